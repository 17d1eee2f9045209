"""Review services of the bureaus and the province: one use case, one transaction each.

Every status change goes through ``workflow.fire`` (which writes the audit entry); the other
writes (corrections, level scores, site verifications, opinions, quota exceptions, deadline
extensions, conflict declarations, result lists) write theirs with ``audit_record``. Entries about
the review file (``review.*``) carry no organization, so the applicant's audit list does not show
them; the application's timeline shows them to the review side only.

Whether an action may be taken at all is asked of the workflow (``workflow.require`` before the
use case's own checks, ``workflow.fire`` again under the locks): the access rule (who, at which
level, conflicts of interest), the application's state, the bureau's stage deadline and, for
recommendations and sign-offs, the quota are the transition's conditions. The services check what
is theirs alone: reasons, scores, dates, photos.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.access import Actor, Decision
from portal.constants import RegionLevel
from portal.models import Organization, Region
from portal.services import audit_record
from programs.deadlines import DeadlineBook
from programs.models import Stage, StageExtension
from programs.policy import (
    can_extend_stage,
    can_grant_quota_exception,
    can_publish_results,
)
from programs.workdays import end_of_day
from scoring.engine import InputError, evaluate
from scoring.policy import assessment_kind_for
from scoring.selectors import UnknownRubric, resolve_rubric
from scoring.services import assessment_record
from submissions import notifications, workflow
from submissions.constants import DECISION_TEMPLATES, DecisionKind, Status
from submissions.forms import form_spec
from submissions.models import (
    Application,
    ConflictDeclaration,
    InputCorrection,
    QuotaException,
    Recommendation,
    ResultPublication,
    Review,
    SiteVisit,
    SiteVisitPhoto,
)
from submissions.policy import (
    can_declare_conflict,
    review_applications_visible,
)
from submissions.quotas import (
    QuotaExceeded,
    lock_counter_for,
    quota_region_for,
    sync_counter,
)
from submissions.returns import ReturnTarget, return_targets
from submissions.stored_files import written_files

DECISIONS = ("approve", "not_approve", "pilot")
DECIDED = frozenset({Status.APPROVED, Status.NOT_APPROVED, Status.PILOT})
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
TWO_PLACES = Decimal("0.01")


def _require(decision: Decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def _load(application) -> Application:
    pk = application.pk if isinstance(application, Application) else int(application)
    return Application.objects.select_related(
        "call", "organization__region", "region__city", "region__province", "province"
    ).get(pk=pk)


def _audit_review(*, actor: Actor, app: Application, action: str, comment: str = "", data: dict | None = None):
    """An entry of the review file: on the application, without organization (not the applicant's)."""
    return audit_record(actor=actor, action=f"review.{action}", obj=app, province=app.province, region=app.region,
                        comment=comment, data={"level": app.level, **(data or {})})


def _may_review(actor: Actor, app: Application) -> None:
    """May the actor work on the review file now (who, state, deadline)? Reads only."""
    workflow.require(actor, app, "review")


def _open_for_review(actor: Actor, application) -> Application:
    """Load, ask the workflow whether the actor may work on the review file now (who, state,
    deadline), and start the review if it has not started yet."""
    app = _load(application)
    _may_review(actor, app)
    if app.status == Status.SUBMITTED:
        workflow.fire(actor=actor, application=app, name="start_review")
    return app


@transaction.atomic
def review_start(*, actor: Actor, application) -> Application:
    """Start the review (the application can no longer be withdrawn by the applicant)."""
    return _open_for_review(actor, application)


def _review_of(actor: Actor, app: Application) -> Review:
    review, _created = Review.objects.get_or_create(application=app, level=app.level,
                                                   defaults={"reviewer": actor.user})
    return review


# --- scoring ---------------------------------------------------------------------------------


def rubric_for(call):
    """The call's rubric (scoring.selectors.ResolvedRubric) or None when it has none."""

    if not call.rubric_code:
        return None
    try:
        return resolve_rubric(call.rubric_code)
    except UnknownRubric:
        return None


def effective_inputs(app: Application, corrections: Sequence[InputCorrection] | None = None) -> dict:
    """The self-assessment figures with every bureau correction applied in order."""
    inputs = dict(app.score_inputs or {})
    if corrections is None:
        corrections = app.corrections.order_by("corrected_at", "id")
    for c in corrections:
        inputs[c.input_key] = c.new_value
    return inputs


def _value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _quantize(value) -> Decimal:
    return Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _recompute(*, actor: Actor, app: Application, review: Review) -> None:
    """Score the corrected inputs with the call's rubric; the bureau's score follows.

    With a published rubric version an Assessment of the bureau's kind is recorded (every
    recomputation is a new row: earlier ones stay on record)."""
    resolved = rubric_for(app.call)
    if resolved is None:
        return

    inputs = {k: v for k, v in effective_inputs(app).items() if k in resolved.rubric.inputs}
    if resolved.version is not None:
        kind = assessment_kind_for(actor)
        assessment = assessment_record(actor=actor, organization=app.organization, rubric_version=resolved.version,
                                       inputs=inputs, scorer_kind=kind, call=app.call)
        review.assessment = assessment
        review.score = _quantize(assessment.total)
    else:
        try:
            result = evaluate(resolved.rubric, inputs)
        except InputError as exc:
            raise ValidationError({key: [message] for key, message in exc.errors.items()}) from exc
        review.score = _quantize(result.total)
    review.reviewer = actor.user
    review.updated_at = timezone.now()
    review.save()


def _parse_for(resolved, key: str, value) -> str:
    spec = resolved.rubric.inputs.get(key)
    if spec is None:
        raise ValidationError(_("“%(key)s” is not a figure of this call's rubric.") % {"key": key}, code="unknown_input")
    text = _value_text(value)
    if not text:
        raise ValidationError(_("Enter the corrected value."), code="blank")
    try:
        spec.parse(text)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_value") from exc
    return text


@transaction.atomic
def input_correct(*, actor: Actor, application, input_key: str, new_value, reason: str) -> InputCorrection:
    """Correct one figure of the self-assessment with a reason; the bureau's score is recomputed.
    The declared value and the corrected one both stay on record."""
    app = _open_for_review(actor, application)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the figure is corrected."), code="reason_required")
    resolved = rubric_for(app.call)
    if resolved is not None:
        new_text = _parse_for(resolved, input_key, new_value)
    else:
        if input_key not in (app.score_inputs or {}):
            raise ValidationError(_("“%(key)s” is not a figure of this application.") % {"key": input_key},
                                  code="unknown_input")
        new_text = _value_text(new_value)
        if not new_text:
            raise ValidationError(_("Enter the corrected value."), code="blank")
    old_text = _value_text(effective_inputs(app).get(input_key))
    if old_text == new_text:
        raise ValidationError(_("The corrected value is the same as the current one."), code="unchanged")
    correction = InputCorrection.objects.create(
        application=app, level=app.level, input_key=input_key, old_value=old_text[:64], new_value=new_text[:64],
        reason=reason, corrected_by=actor.user,
    )
    review = _review_of(actor, app)
    _recompute(actor=actor, app=app, review=review)
    _audit_review(actor=actor, app=app, action="correct_input", comment=reason,
                  data={"input": input_key, "old": old_text, "new": new_text,
                        "score": None if review.score is None else str(review.score)})
    return correction


def level_inputs(resolved) -> list:
    """The rubric's inputs a reviewer scores by picking a level (很完善 / 比较完善 / ...)."""
    if resolved is None:
        return []
    return [spec for spec in resolved.rubric.inputs.values() if spec.type == "level"]


@transaction.atomic
def level_items_score(*, actor: Actor, application, levels: Mapping[str, str], note: str = "") -> Review:
    """Score the level-type items: each pick that differs from the current value is recorded as a
    correction (the applicant's own pick stays on record) and the score is recomputed."""
    app = _open_for_review(actor, application)
    resolved = rubric_for(app.call)
    allowed = {spec.key: spec for spec in level_inputs(resolved)}
    if not allowed:
        raise ValidationError(_("This call's rubric has no items scored by level."), code="no_level_items")
    current = effective_inputs(app)
    changed = {}
    for key, value in levels.items():
        if key not in allowed:
            raise ValidationError(_("“%(key)s” is not an item scored by level.") % {"key": key}, code="unknown_input")
        text = _value_text(value)
        if not text:
            continue
        try:
            parsed = allowed[key].parse(text)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid_value") from exc
        if _value_text(current.get(key)) != parsed:
            changed[key] = (_value_text(current.get(key)), parsed)
    for key, (old, new) in changed.items():
        InputCorrection.objects.create(application=app, level=app.level, input_key=key, old_value=old[:64],
                                       new_value=new[:64], reason=(note or "").strip(), corrected_by=actor.user)
    review = _review_of(actor, app)
    _recompute(actor=actor, app=app, review=review)
    _audit_review(actor=actor, app=app, action="score_levels", comment=(note or "").strip(),
                  data={"levels": {k: v[1] for k, v in changed.items()},
                        "score": None if review.score is None else str(review.score)})
    return review


@transaction.atomic
def review_opinion_save(*, actor: Actor, application, opinion: str) -> Review:
    app = _open_for_review(actor, application)
    review = _review_of(actor, app)
    review.opinion = (opinion or "").strip()
    review.reviewer = actor.user
    review.updated_at = timezone.now()
    review.save()
    _audit_review(actor=actor, app=app, action="opinion", comment=review.opinion)
    return review


def _sniff_image(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def site_visit_record(*, actor: Actor, application, visit_date: dt.date, people: str, findings: str,
                      photos: Sequence = ()) -> SiteVisit:
    """Record a site verification (现场核查): date, people, findings and photos (JPEG, PNG, WebP).

    The rule, the fields and the photos are checked first (a refusal writes nothing); then the
    photos are written to storage under their final random names, before any transaction, and only
    then is the application locked for the rows (the visit, its photos, the review's start, the
    audit). A failure of the database part deletes the photos written, so a rolled-back record
    leaves no file behind and no lock is held while photos are written."""

    app = _load(application)
    _may_review(actor, app)  # before a photo is read or written
    people, findings = (people or "").strip(), (findings or "").strip()
    checked = _checked_visit(visit_date=visit_date, people=people, findings=findings, photos=photos)
    rows = []
    with written_files() as written:
        for photo, kind, size, sha in checked:
            row = SiteVisitPhoto(visit=SiteVisit(application=app), content_type=kind, size=size, sha256=sha,
                                 original_name=(getattr(photo, "name", "") or "photo")[:255])
            written.save(row.file, "photo", photo)  # outside any transaction: no row is locked yet
            rows.append(row)
        with transaction.atomic():
            app = _open_for_review(actor, app)  # again, under the lock (and the review starts)
            visit = SiteVisit.objects.create(application=app, level=app.level, visit_date=visit_date,
                                             people=people[:300], findings=findings, recorded_by=actor.user)
            for row in rows:
                row.visit = visit
                row.save()
            _audit_review(actor=actor, app=app, action="site_visit", comment=findings,
                          data={"visit": visit.pk, "date": visit_date.isoformat(), "people": people,
                                "photos": len(rows)})
    return visit


def _checked_visit(*, visit_date: dt.date, people: str, findings: str, photos: Sequence) -> list:
    """The fields and photos of a site verification, checked; raises ValidationError. Reads only."""
    errors = {}
    if not visit_date:
        errors["visit_date"] = _("Give the date of the visit.")
    elif visit_date > timezone.localdate():
        errors["visit_date"] = _("The date of the visit cannot be in the future.")
    if not people:
        errors["people"] = _("Say who took part in the visit.")
    if not findings:
        errors["findings"] = _("Write down the findings.")
    checked = []
    for photo in photos or ():
        size = photo.size
        if size > PHOTO_MAX_BYTES:
            errors["photos"] = _("A photo may not exceed 10 MB.")
            break
        photo.seek(0)
        head = photo.read(16)
        kind = _sniff_image(head)
        if kind is None:
            errors["photos"] = _("Photos must be JPEG, PNG or WebP images.")
            break
        photo.seek(0)
        digest = hashlib.sha256()
        for chunk in photo.chunks():
            digest.update(chunk)
        photo.seek(0)
        checked.append((photo, kind, size, digest.hexdigest()))
    if errors:
        raise ValidationError(errors)
    return checked


# --- transitions -------------------------------------------------------------------------------


def _clean_reasons(reasons, targets: list[ReturnTarget] | None = None) -> list[dict]:
    """The reasons with text, each naming an item of the form (`targets`: what a return can name
    on this call's form, `returns.return_targets`; its label is the form's). An item the form
    does not have is refused."""
    known = {t.value: t for t in targets or ()}
    out = []
    for r in reasons or ():
        if isinstance(r, str):
            r = {"target": "general", "text": r}
        text = str(r.get("text", "")).strip()
        if not text:
            continue
        target = str(r.get("target") or "general")[:100]
        if targets is not None and target not in known:
            raise ValidationError({"reasons": _("“%(target)s” is not an item of this application: name a section, "
                                                "a field or a material of its form.") % {"target": target}})
        label = str(known[target].label) if target in known and target != "general" else str(r.get("label", ""))
        out.append({"target": target, "label": label[:200], "text": text})
    return out


def _check_revision_deadline(revision_deadline) -> dt.datetime:
    if not revision_deadline:
        raise ValidationError({"revision_deadline": _("Set a deadline for the revision.")})
    if isinstance(revision_deadline, dt.date) and not isinstance(revision_deadline, dt.datetime):

        revision_deadline = end_of_day(revision_deadline)
    if timezone.is_naive(revision_deadline):
        revision_deadline = timezone.make_aware(revision_deadline)
    if revision_deadline <= timezone.now():
        raise ValidationError({"revision_deadline": _("The revision deadline must lie in the future.")})
    return revision_deadline


def _return_one(*, actor: Actor, application, reasons: list[dict], revision_deadline: dt.datetime,
                book: DeadlineBook | None = None) -> Application:
    app = _load(application)
    workflow.require(actor, app, "return", book=book)
    stage_deadline = (book or DeadlineBook([app.call_id])).for_application(app)
    if actor.is_bureau and stage_deadline.at is not None and revision_deadline > stage_deadline.at:
        raise ValidationError({"revision_deadline": _(
            "The revision deadline must fall before this stage's deadline (%(at)s): after it the bureau could not "
            "act on the resubmission.") % {"at": date_format(timezone.localtime(stage_deadline.at), "Y-m-d H:i")}})
    comment = "\n".join(f"{r['label'] or r['target']}: {r['text']}" if r["target"] != "general" else r["text"]
                        for r in reasons)
    return workflow.fire(
        actor=actor, application=app, name="return", comment=comment, book=book,
        data={"reasons": reasons, "revision_deadline": revision_deadline.isoformat()},
        changes={"return_reasons": reasons, "revision_deadline": revision_deadline},
    )


@transaction.atomic
def application_return(*, actor: Actor, application, reasons, revision_deadline) -> Application:
    """Return for revision with reasons ({"target", "text"}), each naming any item of the form: a
    section ("field:profile"), a single field ("field:summary", "input:rd_expenditure"), a material
    slot ("material:<code>"), or the whole ("general"); and a revision deadline (a date means the
    end of that day, Asia/Shanghai). The applicant may then change exactly the items named
    (submissions.returns)."""
    app = _load(application)
    workflow.require(actor, app, "return")  # first: a stranger learns nothing from the checks below
    with translation.override("zh-hans"):  # the labels on record are the form's Chinese ones
        reasons = _clean_reasons(reasons, return_targets(form_spec(app.call)))
    if not reasons:
        raise ValidationError({"reasons": _("Give at least one reason for the return.")})
    deadline = _check_revision_deadline(revision_deadline)
    return _return_one(actor=actor, application=app, reasons=reasons, revision_deadline=deadline)


@transaction.atomic
def application_reject(*, actor: Actor, application, reason: str) -> Application:
    app = _load(application)
    workflow.require(actor, app, "reject")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the application is not recommended.")})
    return workflow.fire(actor=actor, application=app, name="reject", comment=reason, data={"reason": reason})


def _parse_score(score) -> Decimal | None:
    if score in (None, ""):
        return None
    try:
        value = Decimal(str(score).strip())
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise ValidationError({"score": _("Enter the score as a number.")}) from None
    if _quantize(value) != value:  # 59.999 is not rounded up to meet a condition of 60
        raise ValidationError({"score": _("Give the score with at most two decimal places.")})
    return _quantize(value)


def _score_for_recommendation(*, actor: Actor, app: Application, review: Review, score, book=None,
                              wanted: int = 1) -> Decimal | None:
    """The score the recommendation records: computed from the figures when the call has a rubric,
    else the one given (or the bureau's earlier one). The workflow asks it against the call's
    bounds, its requirement and the notice's conditions before anything is written."""
    resolved = rubric_for(app.call)
    if resolved is not None:
        if score not in (None, ""):
            raise ValidationError({"score": _("This call has a rubric: the bureau's score is computed from the "
                                              "figures; correct a figure instead of the score.")})
        _recompute(actor=actor, app=app, review=review)
        return review.score
    value = _parse_score(score)
    if value is None:
        value = review.score
    workflow.require(actor, app, "recommend", book=book, wanted=wanted, score=value)
    review.score = value
    return value


def _recommend_one(*, actor: Actor, app: Application, opinion: str, score, wanted: int = 1,
                   book: DeadlineBook | None = None) -> Application:
    """Record the bureau's opinion and score, then fire `recommend`: the workflow asks the score
    against the call, locks the quota's counter and the application, and refuses when the quota
    has no room (QuotaExceeded)."""
    review = _review_of(actor, app)
    opinion = (opinion or "").strip() or review.opinion
    if not opinion:
        raise ValidationError({"opinion": _("Write the bureau's opinion for the recommendation.")})
    final_score = _score_for_recommendation(actor=actor, app=app, review=review, score=score, book=book,
                                            wanted=wanted)
    review.opinion = opinion
    review.reviewer = actor.user
    review.updated_at = timezone.now()
    review.save()
    level = app.level
    region = quota_region_for(application=app, level=level)
    data = {"score": None if final_score is None else str(final_score), "level": level}
    # the quota's state when the place is taken goes into the entry's data (a fact of the condition)
    workflow.fire(actor=actor, application=app, name="recommend", comment=opinion, data=data, wanted=wanted,
                  book=book, score=final_score)
    Recommendation.objects.create(application=app, level=level, quota_region=region, recommended_by=actor.user)
    _sync_quota(app, level)
    return app


def _sync_quota(app: Application, level: str) -> None:
    counter = lock_counter_for(application=app, level=level)  # already held by this transaction
    if counter is not None:
        sync_counter(counter)


@transaction.atomic
def application_recommend(*, actor: Actor, application, opinion: str = "", score=None) -> Application:
    """Recommend to the next level with the bureau's score and opinion, within the quota.

    `workflow.fire` locks the quota counter of the region (SELECT … FOR UPDATE) before the
    application, and the quota condition counts the recommendations while the lock is held:
    concurrent recommendations never exceed it."""
    app = _load(application)
    workflow.require(actor, app, "recommend")  # who, state, deadline, quota: before anything is written
    _recommend_one(actor=actor, app=app, opinion=opinion, score=score)
    return app


@transaction.atomic
def application_withdraw_recommendation(*, actor: Actor, application, reason: str) -> Application:
    """Take back a recommendation before the bureau head signs it off (a wrong click, a doubt that
    came later): the application is under review again at the same level and its quota place is
    free. After the sign-off the recommendation belongs to the next level and cannot be withdrawn."""
    app = _load(application)
    workflow.require(actor, app, "withdraw_recommendation")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the recommendation is withdrawn.")})
    workflow.lock(app, "withdraw_recommendation")  # the quota counter, then the application; fire re-checks
    level = app.level
    withdrawn = Recommendation.objects.filter(application=app, level=level, is_active=True,
                                              signed_off_at__isnull=True).update(is_active=False)
    workflow.fire(actor=actor, application=app, name="withdraw_recommendation", comment=reason,
                  data={"reason": reason, "level": level, "places_released": withdrawn})
    _sync_quota(app, level)
    return app


@transaction.atomic
def application_decide(*, actor: Actor, application, decision: str, comment: str = "") -> Application:
    """The province's decision: approve (认定), not_approve (不予认定), pilot (试点); approve or
    not_approve again after a pilot."""
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("Unknown decision.")})
    app = _load(application)
    workflow.require(actor, app, decision)
    review = Review.objects.filter(application=app, level=app.level).first()
    data = {"decision": decision, "score": None if review is None or review.score is None else str(review.score)}
    return workflow.fire(actor=actor, application=app, name=decision, comment=decision_comment(decision, comment),
                         data=data)


def decision_choices() -> list[dict]:
    """The decisions with their labels and message templates (for the forms and the API)."""
    return [{"value": d.value, "label": d.label, "template": DECISION_TEMPLATES[d]} for d in DecisionKind]


def decision_comment(decision: str, comment: str = "") -> str:
    """The message of a decision: the province's own words, else the template of the decision."""
    comment = (comment or "").strip()
    return comment or str(DECISION_TEMPLATES.get(decision, ""))


# --- bulk actions ---------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    done: list
    message: str = ""


def _visible_selection(actor: Actor, applications) -> list[Application]:
    ids = sorted({a.pk if isinstance(a, Application) else int(a) for a in applications})
    if not ids:
        raise ValidationError(_("Select at least one application."), code="empty_selection")
    rows = list(
        review_applications_visible(actor).filter(pk__in=ids)
        .select_related("region__city", "region__province", "call", "organization")
        .order_by("pk")
    )
    if len(rows) != len(ids):
        raise PermissionDenied(_("Some of the selected applications are outside your scope."))
    return rows


def _labelled(app: Application, exc: Exception) -> str:
    message = "; ".join(getattr(exc, "messages", None) or [str(exc)])
    return f"{app.organization.name}: {message}"


def _relabel(app: Application, exc: Exception) -> Exception:
    """The same refusal, naming the application it concerns (for bulk actions). A quota's refusal
    concerns a region, not one application: it is raised as it is."""
    if isinstance(exc, QuotaExceeded) or getattr(exc, "code", None) == "quota_exceeded":
        return exc
    if isinstance(exc, PermissionDenied):
        return PermissionDenied(_labelled(app, exc))
    return ValidationError(_labelled(app, exc), code=getattr(exc, "code", None))


def _row_scores(apps: list[Application], scores: Mapping | None) -> dict[int, Decimal | None]:
    """The score of each row of a bulk recommendation: the one given for it, else the bureau's
    earlier score at this level (the page prefills each row with it); None: no score."""
    try:
        given = {int(k): v for k, v in (scores or {}).items()}
    except (TypeError, ValueError):
        raise ValidationError({"scores": _("Give each row's score by the application's number.")}) from None
    earlier = dict(Review.objects.filter(application__in=apps, level__in={a.level for a in apps})
                   .values_list("application_id", "score")) if apps else {}
    out = {}
    for app in apps:
        try:
            value = _parse_score(given.get(app.pk))
        except ValidationError as exc:
            raise _relabel(app, exc) from exc
        if value is not None and rubric_for(app.call) is not None:
            raise _relabel(app, ValidationError(_(
                "This call has a rubric: the bureau's score is computed from the figures; correct a figure "
                "instead of the score.")))
        out[app.pk] = value if value is not None else earlier.get(app.pk)
    return out


@transaction.atomic
def applications_recommend(*, actor: Actor, applications, opinion: str, scores: Mapping | None = None) -> BulkOutcome:
    """Recommend the selected, all or none: the quota of each region must hold them all. `scores`
    maps an application's id to the bureau's score for it (a row without one keeps the bureau's
    earlier score); every row whose score the call refuses (missing where required, out of
    bounds, below a condition of the notice) is named in one refusal."""
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationError({"opinion": _("Write the bureau's opinion for the recommendation.")})
    apps = _visible_selection(actor, applications)
    row_scores = _row_scores(apps, scores)
    book = DeadlineBook({a.call_id for a in apps})
    groups: dict[tuple, list] = {}
    for app in apps:
        region = quota_region_for(application=app, level=app.level)
        groups.setdefault((app.call_id, region.pk if region else 0, app.level), []).append(app)
    refused = []
    for members in groups.values():  # every one is asked before anything is written: all or none
        for app in members:
            score = row_scores[app.pk] if rubric_for(app.call) is None else workflow.NOT_GIVEN
            try:
                workflow.require(actor, app, "recommend", book=book, wanted=len(members), score=score)
            except ValidationError as exc:
                if getattr(exc, "code", None) != "score" and not _is_score_error(exc):
                    raise _relabel(app, exc) from exc
                refused.append(_labelled(app, exc))
            except PermissionDenied as exc:
                raise _relabel(app, exc) from exc
    if refused:
        raise ValidationError(refused, code="score")
    done = []
    for key in sorted(groups):  # counters locked in a fixed order: no deadlock between bulk actions
        members = groups[key]
        for i, app in enumerate(members):
            fresh = _load(app)
            score = row_scores[app.pk] if rubric_for(app.call) is None else None
            try:  # the first of a group asks room for all of it, under the counter's lock
                _recommend_one(actor=actor, app=fresh, opinion=opinion, score=score, wanted=len(members) - i,
                               book=book)
            except (PermissionDenied, ValidationError) as exc:
                raise _relabel(app, exc) from exc
            done.append(fresh)
    return BulkOutcome(done=done)


def _is_score_error(exc: ValidationError) -> bool:
    return hasattr(exc, "error_dict") and set(exc.error_dict) == {"score"}


@transaction.atomic
def applications_decide(*, actor: Actor, applications, decision: str, comment: str = "") -> BulkOutcome:
    """The province's decision on the selected, all or none, with one message (the decision's
    template when none is written)."""
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("Unknown decision.")})
    apps = _visible_selection(actor, applications)
    book = DeadlineBook({a.call_id for a in apps})
    for app in apps:  # every one is asked before anything is written
        try:
            workflow.require(actor, app, decision, book=book)
        except (PermissionDenied, ValidationError) as exc:
            raise _relabel(app, exc) from exc
    done = []
    for app in apps:
        try:
            done.append(application_decide(actor=actor, application=app, decision=decision, comment=comment))
        except (PermissionDenied, ValidationError) as exc:
            raise _relabel(app, exc) from exc
    return BulkOutcome(done=done)


@transaction.atomic
def applications_return(*, actor: Actor, applications, reason: str, revision_deadline) -> BulkOutcome:
    """Return the selected with one reason, all or none."""
    reasons = _clean_reasons([reason])
    if not reasons:
        raise ValidationError({"reason": _("Give at least one reason for the return.")})
    deadline = _check_revision_deadline(revision_deadline)
    apps = _visible_selection(actor, applications)
    book = DeadlineBook({a.call_id for a in apps})
    done = []
    for app in apps:
        try:
            done.append(_return_one(actor=actor, application=app, reasons=reasons, revision_deadline=deadline,
                                    book=book))
        except (PermissionDenied, ValidationError) as exc:
            raise _relabel(app, exc) from exc
    return BulkOutcome(done=done)


# --- the head signs off the stage's batch ------------------------------------------------------------


def sign_off_candidates(actor: Actor, call=None):
    """The recommendations of the actor's bureau waiting for the head's sign-off."""
    qs = review_applications_visible(actor).filter(status=Status.RECOMMENDED)
    if actor.is_bureau:
        qs = qs.filter(level=actor.level)
    if call is not None:
        qs = qs.filter(call=call)
    return qs


@transaction.atomic
def sign_off_batch(*, actor: Actor, call, applications=None, opinion: str = "") -> BulkOutcome:
    """The bureau head signs off the batch of recommendations of one call (all of them, or the
    selected): every one is asked first (who, deadline, quota), then each is fired, the quota
    checked again under the counter's lock; each moves on to the next level. The head's opinion is
    kept with each recommendation (with the head's name and the time) and in the audit entries."""
    opinion = (opinion or "").strip()
    qs = sign_off_candidates(actor, call).select_related("region__city", "region__province", "call", "organization")
    if applications is not None:
        ids = {a.pk if isinstance(a, Application) else int(a) for a in applications}
        qs = qs.filter(pk__in=ids)
    apps = list(qs.order_by("pk"))
    if not apps:
        raise ValidationError(_("There is no recommendation waiting for your sign-off."), code="empty_batch")
    book = DeadlineBook({call.pk})

    def region_key(app):  # counters locked in a fixed order: no deadlock between batches
        region = quota_region_for(application=app, level=app.level)
        return (region.pk if region else 0, app.pk)

    apps.sort(key=region_key)
    for app in apps:
        try:
            workflow.require(actor, app, "sign_off", book=book)
        except (PermissionDenied, ValidationError) as exc:
            raise _relabel(app, exc) from exc
    now = timezone.now()
    done = []
    for app in apps:
        level = app.level
        try:
            workflow.fire(actor=actor, application=app, name="sign_off", book=book, comment=opinion,
                          data={"batch": len(apps), "level": level})
        except (PermissionDenied, ValidationError) as exc:
            raise _relabel(app, exc) from exc
        Recommendation.objects.filter(application=app, level=level, is_active=True, signed_off_at__isnull=True).update(
            signed_off_by=actor.user, signed_off_at=now, signed_off_opinion=opinion)
        done.append(app)
    # the bureau's recommendation letter (推荐函) of the batch, PDF and DOCX, built after the commit
    from submissions.documents.letter import letters_request  # noqa: PLC0415 - the packet reads review's selectors

    letters_request(actor=actor, call=call, applications=done, level=actor.level)
    return BulkOutcome(done=done)


# --- the province ------------------------------------------------------------------------------------


@transaction.atomic
def results_publish(*, actor: Actor, call, note: str = "", publicity_working_days: int | None = None
                    ) -> ResultPublication:
    """Publish the result list of a call (the decided applications). Until now the decisions were
    internal (the applicants saw their applications under review, see portal.access); after the
    commit each applicant whose decision this list makes public is told its result by e-mail. The
    list is on public notice (公示, /public/results/<code>/) for the call's N working days
    (`publicity_working_days` sets N on the call first), open to objections meanwhile."""
    _require(can_publish_results(actor, call))
    counts = {s: Application.objects.filter(call=call, status=s).count() for s in DECIDED}
    if not any(counts.values()):
        raise ValidationError(_("No application of this call has been decided yet."), code="nothing_decided")
    if publicity_working_days is not None:
        try:
            days = int(publicity_working_days)
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= 60:
            raise ValidationError({"publicity_working_days": [_("The public notice period is 1 to 60 working days.")]})
        call.publicity_working_days = days
        call.save(update_fields=["publicity_working_days"])
    publication = ResultPublication.objects.create(call=call, published_by=actor.user, note=(note or "").strip(),
                                                   publicity_working_days=call.publicity_working_days)
    audit_record(actor=actor, action="results.publish", obj=publication, province=call.province,
                 comment=publication.note, data={"call": call.code, "publicity_working_days":
                                                 publication.publicity_working_days,
                                                 **{str(k): v for k, v in counts.items()}})
    notifications.decisions_release(publication)  # the decision mails held until now go after the commit
    return publication


@transaction.atomic
def quota_exception_grant(*, actor: Actor, call, region: Region, extra: int, reason: str) -> QuotaException:
    """Extra places for a region beyond the call's quota, with the reason (audited)."""
    _require(can_grant_quota_exception(actor, call))
    reason = (reason or "").strip()
    errors = {}
    if region.province_id != call.province_id or region.level not in (RegionLevel.COUNTY, RegionLevel.CITY):
        errors["region"] = _("Choose a county or a city of the call's province.")
    try:
        extra = int(extra)
    except (TypeError, ValueError):
        extra = 0
    if extra < 1 or extra > 100:
        errors["extra"] = _("Grant between 1 and 100 extra places.")
    if not reason:
        errors["reason"] = _("Say why the exception is granted.")
    if errors:
        raise ValidationError(errors)
    exc = QuotaException.objects.create(call=call, region=region, extra=extra, reason=reason, granted_by=actor.user)
    audit_record(actor=actor, action="quota.exception", obj=exc, province=call.province, region=region,
                 comment=reason, data={"call": call.code, "region": region.code, "extra": extra})
    return exc


@transaction.atomic
def stage_extend(*, actor: Actor, stage, new_deadline: dt.datetime, reason: str,
                 region: Region | None = None, organization: Organization | None = None) -> StageExtension:
    """Extend a stage's deadline, for all regions, one (a city covers its counties) or one
    organization (e.g. an enterprise's filing). The extension, its reason and who made it are
    recorded; the affected users are notified (and only they see it: programs.policy)."""

    stage = Stage.objects.select_related("call__province").get(pk=stage.pk)
    _require(can_extend_stage(actor, stage))
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Say why the deadline is extended.")
    if new_deadline is None:
        errors["new_deadline"] = _("Give the new deadline.")
    else:
        if isinstance(new_deadline, dt.date) and not isinstance(new_deadline, dt.datetime):

            new_deadline = end_of_day(new_deadline)
        if timezone.is_naive(new_deadline):
            new_deadline = timezone.make_aware(new_deadline)
        if new_deadline <= timezone.now():
            errors["new_deadline"] = _("The new deadline must lie in the future.")
        elif stage.deadline_at is not None and new_deadline <= stage.deadline_at:
            errors["new_deadline"] = _("The new deadline must be later than the stage's deadline.")
    if region is not None and region.province_id != stage.call.province_id:
        errors["region"] = _("Choose a region of the call's province.")
    if organization is not None:
        if region is not None:
            errors["organization"] = _("Extend for a region or for one organization, not both.")
        elif organization.region.province_id != stage.call.province_id:
            errors["organization"] = _("Choose an organization of the call's province.")
    if errors:
        raise ValidationError(errors)
    ext = StageExtension.objects.create(stage=stage, region=region, organization=organization,
                                        new_deadline=new_deadline, reason=reason, granted_by=actor.user)
    entry = audit_record(actor=actor, action="stage.extend", obj=ext, province=stage.call.province, region=region,
                         organization=organization,
                         from_state=stage.deadline_at.isoformat() if stage.deadline_at else "",
                         to_state=new_deadline.isoformat()[:32], comment=reason,
                         data={"call": stage.call.code, "stage": stage.pk, "region": region.code if region else None,
                               "organization": organization.pk if organization else None})
    notifications.extension_enqueue(entry=entry, extension=ext)
    return ext


# --- conflicts of interest ------------------------------------------------------------------------------


@transaction.atomic
def conflict_declare(*, actor: Actor, organization: Organization, relation: str) -> ConflictDeclaration:
    """A reviewer declares a relation with an applicant; from now on they cannot review it."""
    _require(can_declare_conflict(actor, organization))
    relation = (relation or "").strip()
    if not relation:
        raise ValidationError({"relation": _("Describe the relation with the organization.")})
    declaration, _created = ConflictDeclaration.objects.update_or_create(
        user=actor.user, organization=organization, defaults={"relation": relation[:300]}
    )
    region = organization.region
    # No `organization` on the entry: the applicant does not read who declared a relation with it.
    audit_record(actor=actor, action="conflict.declare", obj=declaration, province=region.province, region=region,
                 comment=relation, data={"organization": organization.pk, "name": organization.name})
    return declaration
