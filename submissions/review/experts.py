"""Expert review (专家评审): assigning experts to applications, and what an expert reads.

An assignment is a django-guardian per-object permission, `submissions.review_as_expert`, held in
the direct foreign-key table `ApplicationUserObjectPermission` together with the level that made it
(the city bureau or the provincial department) and who made it. Who may assign whom, and what a
grant opens, are rules of `submissions.policy` (`can_assign_expert`, `can_unassign_expert`,
`expert_may_read`, `can_view_contact_details`); this module writes the grants (one transaction with
its audit entry each) and reads what the pages and the API show, in a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import remove_perm

from portal.access import Actor, Decision
from portal.models import User
from portal.services import audit_record
from programs.deadlines import Deadline, DeadlineBook
from scoring.engine import InputError, evaluate
from submissions import notifications
from submissions.blind import CONTACT_PATHS, without_contact_details
from submissions.constants import Level
from submissions.embargo import display_copy
from submissions.models import Application, ApplicationUserObjectPermission, Attachment, ExpertReview
from submissions.policy import (
    EXPERT_PERM,
    EXPERT_PERMISSION,
    applications_visible,
    can_ask_expert_round,
    can_assign_expert,
    can_manage_experts,
    can_score_as_expert,
    can_unassign_expert,
    can_view_contact_details,
    expert_assigning_level,
    expert_grants,
    expert_may_read,
)
from submissions.review.selectors import review_form
from submissions.review.services import effective_inputs, level_inputs, rubric_for


def _require(decision: Decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def _lock(application) -> Application:
    pk = application.pk if isinstance(application, Application) else int(application)
    Application.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).get()
    return Application.objects.select_related("call", "region", "province", "organization").get(pk=pk)


def _audit(*, actor: Actor, app: Application, action: str, grant: ApplicationUserObjectPermission, expert):
    # on the application, without organization: the applicant's side does not learn who its experts are
    return audit_record(actor=actor, action=f"review.{action}", obj=app, province=app.province, region=app.region,
                 data={"level": grant.level, "expert": expert.pk, "expert_name": expert.display_name()})


# --- writes -------------------------------------------------------------------------------------------


@transaction.atomic
def expert_assign(*, actor: Actor, application, expert) -> ApplicationUserObjectPermission:
    """Grant `expert` (a user of the province's expert pool) the review of the application, for the
    actor's level (the city bureau or the provincial department)."""
    app = _lock(application)
    _require(can_assign_expert(actor, app, expert))
    if expert_grants(application=app, user=expert).exists():
        raise ValidationError(_("This expert is already assigned to this application."), code="already_assigned")
    grant = ApplicationUserObjectPermission.objects.assign_perm(EXPERT_PERMISSION, expert, app)
    grant.level = expert_assigning_level(actor)
    grant.assigned_by = actor.user
    grant.assigned_at = timezone.now()
    grant.save(update_fields=["level", "assigned_by", "assigned_at"])
    entry = _audit(actor=actor, app=app, action="expert_assign", grant=grant, expert=expert)
    closes = DeadlineBook([app.call_id]).for_application(app, grant.level)
    notifications.expert_assignment_enqueue(entry=entry, application=app, expert=expert, closes_at=closes.at)
    return grant


@transaction.atomic
def expert_unassign(*, actor: Actor, application, expert) -> None:
    """Remove the assignment of `expert`: its access to the application ends at once."""
    app = _lock(application)
    _require(can_manage_experts(actor, app))
    grant = expert_grants(application=app, user=expert).first()
    if grant is None:
        raise ValidationError(_("This expert is not assigned to this application."), code="not_assigned")
    _require(can_unassign_expert(actor, app, grant))
    remove_perm(EXPERT_PERM, expert, app)
    _audit(actor=actor, app=app, action="expert_unassign", grant=grant, expert=expert)


# --- reads ---------------------------------------------------------------------------------------------


def assignments_of(application) -> QuerySet[ApplicationUserObjectPermission]:
    """The experts assigned to one application (for the bureau that may manage them)."""
    return (expert_grants(application=application).select_related("user", "assigned_by")
            .order_by("assigned_at", "id"))


@dataclass
class ExpertRow:
    """One application on the expert's list: the level that assigned it, the deadline of that
    level's stage, and whether the expert may still open it."""

    app: Application
    level: str
    deadline: Deadline
    open: Decision
    mine: object = None  # the expert's review of the latest round it was asked for (None: not yet)

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label) if self.level in Level.values else ""


def expert_queryset(actor: Actor) -> QuerySet[Application]:
    """The expert's applications (policy.applications_visible) with the level of its grant."""
    level = Subquery(expert_grants(user=actor.user).filter(content_object=OuterRef("pk")).values("level")[:1])
    return (applications_visible(actor).select_related("call__province", "region__city")
            .annotate(expert_level=level).order_by("-submitted_at", "-id"))


def expert_rows(actor: Actor, apps=None, *, now: dt.datetime | None = None) -> list[ExpertRow]:
    """The rows of the expert's list (`apps`: a page of `expert_queryset`, default all of it): four
    queries whatever the number of rows (the applications, the stages and extensions of their
    calls, the expert's own reviews)."""
    apps = list(expert_queryset(actor) if apps is None else apps)
    book = DeadlineBook({a.call_id for a in apps})
    mine = {}
    for review in ExpertReview.objects.filter(expert=actor.user, application__in=[a.pk for a in apps]).order_by("round"):
        mine[review.application_id] = review  # the latest round wins
    rows = []
    for app in apps:
        level = app.expert_level or ""
        deadline = book.for_application(app, level) if level else Deadline(level=level)
        rows.append(ExpertRow(app=app, level=level, deadline=deadline, mine=mine.get(app.pk),
                              open=expert_may_read(actor, app, level=level, book=book, now=now)))
    return rows


def expert_application(actor: Actor, pk) -> Application | None:
    """The application `pk` if the expert may read it now (None: answer 404)."""
    app = expert_queryset(actor).select_related("organization__region").filter(pk=pk).first()
    if app is None or not expert_may_read(actor, app, level=app.expert_level or ""):
        return None
    return app


def expert_file(actor: Actor, app: Application) -> dict:
    """What the expert's read-only page shows: the form as submitted (without the applicant's contact
    details on a blind call), the current materials, the stage deadline that ends its access."""
    blind = not can_view_contact_details(actor, app)
    shown = display_copy(app, data=without_contact_details(app.data)) if blind else app
    form = review_form(shown, inputs=app.score_inputs or {}, corrections=())
    if blind:
        form["profile"] = [row for row in form["profile"] if row.path not in CONTACT_PATHS]
    level = getattr(app, "expert_level", None) or ""
    deadline = DeadlineBook([app.call_id]).for_application(app, level) if level else Deadline(level=level)
    attachments = list(Attachment.objects.filter(application=app, is_current=True).select_related("material")
                       .order_by("material__order", "id"))
    return {"form": form, "blind": blind, "deadline": deadline, "level": level, "attachments": attachments,
            "data": shown.data}


# --- the expert's review: level items, opinion, conflicts; rounds ---------------------------------------


def expert_round(application) -> int:
    """The application's current round of expert review (1 until the bureau asks another)."""
    latest = ExpertReview.objects.filter(application=application).aggregate(n=Max("round"))["n"]
    return latest or 1


def my_review(actor: Actor, application) -> ExpertReview | None:
    """The expert's review of the current round (None: not written yet)."""
    return ExpertReview.objects.filter(application=application, expert=actor.user,
                                       round=expert_round(application)).first()


def level_items(application) -> list:
    """The rubric's items an expert scores by picking a level (empty: the expert gives a score)."""
    return level_inputs(rubric_for(application.call))


def _expert_score(app: Application, levels: Mapping[str, str], score) -> tuple[dict, Decimal]:
    resolved = rubric_for(app.call)
    items = {spec.key: spec for spec in level_inputs(resolved)}
    if not items:  # no level items: the expert's own score, bounded like the bureau's (0 to the rubric's maximum)
        top = Decimal(resolved.rubric.base_max) if resolved else Decimal(100)
        try:
            value = Decimal(str(score).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError({"score": _("Enter the score as a number.")}) from None
        if not value.is_finite() or value < 0 or value > top:
            raise ValidationError({"score": _("The score must be between 0 and %(max)s.") % {"max": top}})
        return {}, value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    picks, missing = {}, []
    for key, spec in items.items():
        text = str(levels.get(key) or "").strip()
        if not text:
            missing.append(spec.label_zh)
            continue
        try:
            picks[key] = spec.parse(text)
        except ValueError as exc:
            raise ValidationError({key: str(exc)}) from exc
    if missing:
        raise ValidationError({"levels": _("Pick a level for every item: %(items)s.") % {"items": "、".join(missing)}})
    inputs = {k: v for k, v in effective_inputs(app).items() if k in resolved.rubric.inputs}
    try:
        result = evaluate(resolved.rubric, {**inputs, **picks})
    except InputError as exc:
        raise ValidationError({key: [message] for key, message in exc.errors.items()}) from exc
    return picks, Decimal(result.total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _expert_open(actor: Actor, application, *, conflicted_ok: bool = False) -> tuple[Application, ExpertReview | None]:
    app = _lock(application)
    mine = my_review(actor, app)
    decision = can_score_as_expert(actor, app, conflicted=bool(mine and mine.conflict) and not conflicted_ok)
    if not decision:
        raise PermissionDenied(decision.reason)
    return app, mine


@transaction.atomic
def expert_review_submit(*, actor: Actor, application, levels: Mapping[str, str] | None = None, score=None,
                         opinion: str) -> ExpertReview:
    """The expert scores the rubric's level items (or gives a score when there are none) with its
    opinion, for the current round; it may change them until the stage closes (audited each time)."""
    app, mine = _expert_open(actor, application)
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationError({"opinion": _("Write your opinion.")})
    picks, total = _expert_score(app, levels or {}, score)
    review = mine or ExpertReview(application=app, expert=actor.user, round=expert_round(app))
    review.levels, review.score, review.opinion, review.submitted_at = picks, total, opinion, timezone.now()
    review.save()
    audit_record(actor=actor, action="review.expert_score", obj=app, province=app.province, region=app.region,
                 comment=opinion, data={"round": review.round, "score": str(total), "levels": picks})
    return review


@transaction.atomic
def expert_conflict_declare(*, actor: Actor, application, reason: str) -> ExpertReview:
    """The expert declares a conflict of interest: it does not score the application (the bureau
    sees it and may assign another expert)."""
    app, mine = _expert_open(actor, application)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what the conflict of interest is.")})
    review = mine or ExpertReview(application=app, expert=actor.user, round=expert_round(app))
    review.conflict, review.conflict_reason = True, reason
    review.levels, review.score, review.submitted_at = {}, None, timezone.now()
    review.save()
    audit_record(actor=actor, action="review.expert_conflict", obj=app, province=app.province, region=app.region,
                 comment=reason, data={"round": review.round})
    return review


@transaction.atomic
def expert_round_ask(*, actor: Actor, application) -> int:
    """The assigning bureau asks its experts for a further round: their earlier scores stay on
    record; each assigned expert without a declared conflict scores again."""
    app = _lock(application)
    _require(can_ask_expert_round(actor, app))
    current = expert_round(app)
    done = ExpertReview.objects.filter(application=app, round=current, submitted_at__isnull=False)
    if not done.exists():
        raise ValidationError(_("No expert has scored this round yet."), code="round_empty")
    conflicted = set(ExpertReview.objects.filter(application=app, conflict=True).values_list("expert_id", flat=True))
    experts = [g.user_id for g in expert_grants(application=app) if g.user_id not in conflicted]
    ExpertReview.objects.bulk_create([ExpertReview(application=app, expert_id=uid, round=current + 1) for uid in experts])
    entry = audit_record(actor=actor, action="review.expert_round", obj=app, province=app.province,
                         region=app.region, data={"round": current + 1, "experts": len(experts)})
    notifications.expert_round_enqueue(entry=entry, application=app, round_no=current + 1,
                                       experts=User.objects.filter(pk__in=experts))
    return current + 1


@dataclass
class RoundSummary:
    round: int
    rows: list
    scores: list

    @property
    def mean(self) -> Decimal | None:
        if not self.scores:
            return None
        return (sum(self.scores) / len(self.scores)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def spread(self) -> Decimal | None:
        """The range of the scores (highest minus lowest)."""
        return (max(self.scores) - min(self.scores)) if self.scores else None

    @property
    def stdev(self) -> Decimal | None:
        if len(self.scores) < 2:
            return None
        return Decimal(str(statistics.pstdev([float(s) for s in self.scores]))).quantize(Decimal("0.01"))


def expert_summary(application) -> list[RoundSummary]:
    """Every round of expert review of the application, latest first: each expert's score, opinion
    or declared conflict, and the mean and the spread of the scores given (for the bureau)."""
    rows = list(ExpertReview.objects.filter(application=application).select_related("expert")
                .order_by("-round", "expert__username"))
    rounds: dict[int, RoundSummary] = {}
    for row in rows:
        summary = rounds.setdefault(row.round, RoundSummary(round=row.round, rows=[], scores=[]))
        summary.rows.append(row)
        if row.score is not None and not row.conflict and row.submitted_at is not None:
            summary.scores.append(row.score)
    return list(rounds.values())
