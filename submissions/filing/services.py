"""The applicant's use cases: one function, one transaction, keyword-only arguments.

Writes (each checks its rule in portal.access, writes its audit entry in the same transaction, and
sends e-mail only after the commit):

    commitment_accept(*, actor, call, ip_address)                 -> CommitmentAcceptance
    application_start(*, actor, call, now=None)                    -> Application
    application_save_draft(*, actor, application, base_version, data, score_inputs, now=None) -> SaveOutcome
    draft_conflict_resolve(*, actor, conflict, keep)               -> SaveOutcome | None
    attachment_upload(*, actor, application, material, file, filename=None) -> Attachment
    attachment_remove(*, actor, attachment)                        -> Attachment
    application_submit(*, actor, application, now=None)            -> Receipt
    application_resubmit(*, actor, application, now=None)          -> Receipt
    application_withdraw(*, actor, application, reason="")         -> Application
    member_invite(*, actor, application, name, credit_code, email="") -> ApplicationMember
    member_remove(*, actor, member)                                -> None
    member_invitations_claim(*, organization)                      -> int

Status changes only through submissions.workflow.fire. Nothing a user typed is lost: a save refused
because someone else saved first (optimistic concurrency on `Application.version`), because the
application is no longer editable, or because it touches items a bureau did not unlock, is kept in
a DraftConflict row and returned with the current version; a refused submission changes nothing.

Reads shared by the pages and the API (no writes) are at the end: filing_deadline, next_deadline,
submission_problems, declared_figures, policy_rows, applications_for_list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import access
from portal.access import Actor
from portal.models import Organization, validate_credit_code
from portal.services import audit_record
from programs.constants import CallStatus, ConditionKind, StageLevel
from programs.deadlines import Deadline, filing_deadline, resolve_deadline, stages_prefetch
from programs.policy import (
    call_kind_decision,
    call_place_decision,
    calls_visible,
    can_view_call,
)
from scoring.display import calculation
from scoring.engine import InputError, evaluate
from scoring.services import assessment_record
from submissions import notifications, workflow
from submissions.constants import EDITABLE_STATUSES, MemberRole, Status
from submissions.embargo import as_seen_by_applicant, with_applicant_view
from submissions.filing.uploads import check_upload
from submissions.forms import (
    FormSpec,
    clean_targets,
    form_spec,
    get_path,
    is_blank,
    number_problem,
    set_path,
    value_of,
)
from submissions.models import (
    Application,
    ApplicationMember,
    Attachment,
    CommitmentAcceptance,
    DraftConflict,
    DraftVersion,
    Receipt,
)
from submissions.policy import (
    applications_visible,
    can_edit_application,
    can_manage_application_members,
    can_start_application,
    can_upload_attachment,
    draft_conflicts_visible,
    expert_open_ids,
    writes_for_lead,
)
from submissions.returns import path_unlocked, returned_editable
from submissions.routing import routing_for
from submissions.stored_files import written_files

log = logging.getLogger(__name__)


def _require(decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def _sha256_text(text: str) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


# --- Deadlines (asked of the one resolver, programs.deadlines) -----------------------------------

FilingDeadline = Deadline  # the name the applicant side has used


@dataclass(frozen=True)
class NextDeadline:
    at: dt.datetime | None
    label: str


def next_deadline(app: Application) -> NextDeadline | None:
    """The next deadline that matters for the application (uses the call's stages prefetched with
    `stages_prefetch("call__")` when present)."""
    if app.status == Status.DRAFT:
        d = filing_deadline(call=app.call, region=app.region, organization_id=app.organization_id)
        if d.at is None:
            return NextDeadline(None, _("Any time (rolling)") if d.rolling else _("No deadline announced"))
        return NextDeadline(d.at, _("Filing deadline"))
    if app.status == Status.RETURNED:
        if app.revision_deadline:
            return NextDeadline(app.revision_deadline, _("Revision deadline"))
        return NextDeadline(None, _("Revise and resubmit"))
    if app.status in (Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECOMMENDED) and app.level:
        d = resolve_deadline(call=app.call, region=app.region, level=app.level)
        if d.at is not None:
            return NextDeadline(d.at, _("Review deadline of the bureau"))
    return None


# --- Values, scores, eligibility ---------------------------------------------------------------


def _num(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        d = Decimal(text)
    except Exception:  # noqa: BLE001 - any unreadable text is "no number"
        return None
    return d if d.is_finite() else None


def condition_figures(spec: FormSpec, data: Mapping, score_inputs: Mapping) -> dict:
    """The figures the conditions and the rubric read: the rubric inputs typed in their own
    section, then the facts, then the latest year's figures (a figure typed once serves all)."""
    out: dict = {}
    for key, value in (score_inputs or {}).items():
        if not is_blank(value):
            out[key] = value
    for key, value in (get_path(data, "facts") or {}).items():
        if not is_blank(value):
            out[key] = value
    for key, value in (get_path(data, f"figures.{spec.latest}") or {}).items():
        if not is_blank(value):
            out[key] = value
    return out


def typed_inputs(spec: FormSpec, score_inputs: Mapping) -> dict:
    """The rubric inputs typed in their own section (not those copied from the figures)."""
    own = {f.path[len("inputs."):] for f in spec.inputs}
    return {k: v for k, v in (score_inputs or {}).items() if k in own}


def rubric_inputs(spec: FormSpec, data: Mapping, score_inputs: Mapping) -> dict:
    """The complete inputs of the call's rubric (stored in Application.score_inputs)."""
    if spec.rubric is None:
        return {}
    figures = condition_figures(spec, data, score_inputs)
    return {key: figures[key] for key in spec.rubric_keys if key in figures}


def self_score(spec: FormSpec, inputs: Mapping) -> Decimal | None:
    if spec.rubric is None:
        return None

    try:
        return evaluate(spec.rubric.rubric, inputs).total
    except (InputError, ValueError, ArithmeticError):
        return None


def score_panel(spec: FormSpec, inputs: Mapping) -> dict | None:
    """The live self-assessment panel (scoring.display.calculation): totals, items, hints."""
    if spec.rubric is None:
        return None

    return calculation(spec.rubric.rubric, inputs)


def condition_rows(spec: FormSpec, figures: Mapping) -> list[dict]:
    """Each condition of the call with its state for these figures: holds True/False/None."""
    rows = []
    for c in spec.call.conditions.all():
        holds, reason = c.evaluate(figures)
        yours = ""
        if holds is not None and c.input_key in figures:
            value = _num(figures.get(c.input_key))
            if c.kind == ConditionKind.RATIO:
                den = _num(figures.get(c.denominator_key))
                if value is not None and den:
                    yours = f"{(value / den * 100).quantize(Decimal('0.01'))}%"
            elif value is not None:
                yours = f"{value.normalize():f} {c.unit}".strip()
        rows.append({"condition": c, "holds": holds, "yours": yours, "reason": reason})
    return rows


# --- Completeness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str  # deadline / closed / commitment / missing / invalid / material / members / eligibility / state
    message: str
    target: str = ""  # a form anchor or a material code

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "target": self.target}


class SubmissionRefused(ValidationError):
    """A submission that cannot be accepted: every problem, each with what to do."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__([p.message for p in self.problems], code="submission_refused")


def field_label(f) -> str:
    """The label of a form field as a person reads it (a figure with its year)."""
    return _label(f)


def _label(f) -> str:
    text = str(f.label)
    if f.path.startswith("figures."):
        year = f.path.split(".")[1]
        text = _("%(year)s figures · %(label)s") % {"year": year, "label": text}
    return text


def completeness_problems(app: Application, spec: FormSpec, *, attachments=None, members=None) -> list[Problem]:
    data, inputs = app.data or {}, app.score_inputs or {}
    problems: list[Problem] = []
    for f in spec.scalar_fields():
        value = value_of(f, data, inputs)
        if f.path.startswith("inputs.") and f.path[len("inputs."):] not in inputs:
            value = None
        if f.required and is_blank(value):
            if f.kind == "bool":
                msg = _("Declaration not made: %(label)s") % {"label": _label(f)}
            else:
                msg = _("Required: %(label)s") % {"label": _label(f)}
            problems.append(Problem("missing", msg, f.anchor))
            continue
        bad = number_problem(f, value)
        if bad:
            problems.append(Problem("invalid", f"{_label(f)}: {bad}", f.anchor))
    if spec.outline is not None:
        rows = [r for r in clean_targets(data.get("targets"), spec.outline) if r.get("task", "").strip()]
        if not rows:
            problems.append(Problem("missing", _("Add at least one row to the table “%(title)s”.")
                                    % {"title": spec.outline.table_title}, "f-targets"))
    if spec.rubric is not None:

        try:
            result = evaluate(spec.rubric.rubric, inputs)
        except InputError as exc:
            for key, message in exc.errors.items():
                problems.append(Problem("invalid", message, f"f-inputs-{key}"))
        else:
            known = {p.target for p in problems}
            for key in result.missing:
                anchor = f"f-inputs-{key}"
                if key in spec.figure_keys:
                    anchor = f"f-figures-{spec.latest}-{key}"
                if anchor not in known:
                    problems.append(Problem("missing", _("Required for the self-assessment: %(key)s") % {"key": key},
                                            anchor))
    if spec.multi:
        members = list(app.members.all()) if members is None else members
        if not [m for m in members if m.role == MemberRole.MEMBER]:
            problems.append(Problem("members", _("An alliance or innovation center needs at least one member unit."),
                                    "members"))
    current = list(app.attachments.filter(is_current=True)) if attachments is None else [
        a for a in attachments if a.is_current]
    have = {a.material_id for a in current}
    for material in spec.materials:
        if material.is_required and material.pk not in have:
            problems.append(Problem("material", _("Material not uploaded: %(name)s") % {"name": material.name},
                                    f"m-{material.code}"))
    return problems


def eligibility_problems(app: Application, spec: FormSpec) -> list[Problem]:
    figures = condition_figures(spec, app.data or {}, app.score_inputs or {})
    problems = []
    for c in spec.call.conditions.all():
        if not c.is_hard or c.kind not in (ConditionKind.THRESHOLD, ConditionKind.RATIO):
            continue
        if c.input_key in {"initial_score"}:
            continue  # established by the county bureau
        holds, _reason = c.evaluate(figures)
        if holds is False:
            row = next(r for r in condition_rows(spec, figures) if r["condition"].pk == c.pk)
            msg = _("Condition not met: %(text)s") % {"text": c.text}
            if row["yours"]:
                msg += " " + _("(yours: %(value)s)") % {"value": row["yours"]}
            problems.append(Problem("eligibility", msg, f"c-{c.code}"))
    return problems


def commitment_accepted(call, organization) -> bool:
    if not (call.commitment_text or "").strip():
        return True
    return CommitmentAcceptance.objects.filter(
        call=call, organization=organization, text_sha256=_sha256_text(call.commitment_text)
    ).exists()


def submission_problems(app: Application, *, now: dt.datetime | None = None, resubmit: bool | None = None,
                        spec: FormSpec | None = None) -> list[Problem]:
    """Everything that stops this application from being (re)submitted now; [] when it can be."""
    now = now or timezone.now()
    resubmit = app.status == Status.RETURNED if resubmit is None else resubmit
    call = app.call
    spec = spec or form_spec(call)
    problems: list[Problem] = []
    if app.status not in EDITABLE_STATUSES:
        return [Problem("state", _("The application has been submitted and is read-only."))]
    # the call's state and the deadlines are conditions of the transition: asked of the workflow
    problems += [Problem(r.code, r.reason) for r in workflow.refusals(
        access.ANONYMOUS, app, "resubmit" if resubmit else "submit", codes=workflow.FILING_CODES, now=now)]
    if not resubmit:
        if not commitment_accepted(call, app.organization):
            problems.append(Problem("commitment", _("Read and accept the commitment letter of the call first."),
                                    "commitment"))
    problems += completeness_problems(app, spec)
    problems += eligibility_problems(app, spec)
    return problems


# --- Receipts --------------------------------------------------------------------------------------


def canonical_json(obj) -> str:
    """The one serialization that is fingerprinted: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def fingerprint(snapshot: Mapping) -> str:
    return hashlib.sha256(canonical_json(snapshot).encode("utf-8")).hexdigest()


def build_snapshot(app: Application, *, now: dt.datetime, number: str, kind: str, spec: FormSpec) -> dict:
    attachments = sorted(
        (
            {"material": a.material.code, "name": a.original_name, "size": a.size, "sha256": a.sha256,
             "content_type": a.content_type}
            for a in app.attachments.filter(is_current=True).select_related("material")
        ),
        key=lambda a: (a["material"], a["name"], a["sha256"]),
    )
    members = sorted(
        (
            {"role": m.role, "name": m.organization.name if m.organization else m.invited_name,
             "credit_code": m.organization.credit_code if m.organization else m.invited_credit_code}
            for m in app.members.select_related("organization")
        ),
        key=lambda m: (m["role"], m["credit_code"] or ""),
    )
    rubric = None
    if spec.rubric is not None:
        rubric = {"code": spec.rubric.rubric.code,
                  "version": spec.rubric.version.version if spec.rubric.version is not None else None}
    org = app.organization
    return {
        "format": 1,
        "kind": kind,
        "number": number,
        "submitted_at": timezone.localtime(now).isoformat(),
        "application": app.pk,
        "version": app.version,
        "call": {"code": app.call.code, "title": app.call.title},
        "organization": {"name": org.name, "credit_code": org.credit_code, "region": app.region.code},
        "members": members,
        "data": app.data,
        "score_inputs": app.score_inputs,
        "self_score": None if app.self_score is None else str(app.self_score),
        "rubric": rubric,
        "attachments": attachments,
    }


def _receipt_number(app: Application, now: dt.datetime) -> str:
    seq = app.receipts.count() + 1
    return f"{app.province.code}-{timezone.localtime(now):%Y%m%d}-{app.pk:06d}-{seq:02d}"


# --- Use cases: commitment and start ---------------------------------------------------------------


@transaction.atomic
def commitment_accept(*, actor: Actor, call, ip_address: str | None = None) -> CommitmentAcceptance:
    """The applicant read and accepted the call's commitment letter (stored with user, time and IP)."""
    _require(access.can_file(actor))
    _require(can_view_call(actor, call))
    _require(call_place_decision(actor.organization, call))
    if not (call.commitment_text or "").strip():
        raise ValidationError(_("This call has no commitment letter."))
    acceptance = CommitmentAcceptance.objects.create(
        call=call, organization=actor.organization, user=actor.user, ip_address=ip_address or None,
        text_sha256=_sha256_text(call.commitment_text),
    )
    org = actor.organization
    audit_record(actor=actor, action="commitment.accept", obj=acceptance, province=org.region.province,
                 region=org.region, organization=org,
                 data={"call": call.code, "text_sha256": acceptance.text_sha256, "ip": ip_address or ""})
    return acceptance


def declared_figures(organization, *, exclude_pk=None) -> tuple[str | None, dict, dict]:
    """The figures the organization declared most recently in its applications:
    (year, figures of that year, facts)."""
    rows = Application.objects.filter(organization=organization).order_by("-updated_at", "-id")
    if exclude_pk:
        rows = rows.exclude(pk=exclude_pk)
    for data in rows.values_list("data", flat=True)[:20]:
        figures = (data or {}).get("figures") or {}
        years = sorted((y for y, v in figures.items() if isinstance(v, dict) and any(
            not is_blank(x) for x in v.values())), reverse=True)
        facts = {k: v for k, v in ((data or {}).get("facts") or {}).items() if not is_blank(v)}
        if years or facts:
            year = years[0] if years else None
            return year, dict(figures.get(year) or {}) if year else {}, facts
    return None, {}, {}


def _initial_data(org: Organization, spec: FormSpec) -> dict:
    data: dict = {"profile": {f.path.split(".", 1)[1]: getattr(org, f.path.split(".", 1)[1], "") or ""
                              for f in spec.profile}}
    # figures the organization declared before (another application) are offered again
    previous = Application.objects.filter(organization=org).order_by("-updated_at", "-id").values_list(
        "data", flat=True)[:5]
    for old in previous:
        old_figures = (old or {}).get("figures") or {}
        for year in spec.years:
            for key in spec.figure_keys:
                value = get_path(old_figures, f"{year}.{key}")
                if not is_blank(value) and is_blank(get_path(data, f"figures.{year}.{key}")):
                    set_path(data, f"figures.{year}.{key}", value)
        for f in spec.facts:
            key = f.path.split(".", 1)[1]
            value = ((old or {}).get("facts") or {}).get(key)
            if not is_blank(value) and is_blank(get_path(data, f.path)):
                set_path(data, f.path, value)
    if spec.outline is not None:
        data["targets"] = []
    return data


def application_start(*, actor: Actor, call, now: dt.datetime | None = None) -> Application:
    """Open a draft application of the actor's organization to `call` (after the commitment)."""

    now = now or timezone.now()
    _require(can_start_application(actor, call, now=now))
    org = actor.organization
    if not commitment_accepted(call, org):
        raise ValidationError(_("Read and accept the commitment letter of the call first."), code="commitment")
    spec = form_spec(call)
    data = _initial_data(org, spec)
    try:
        with transaction.atomic():
            app = Application.objects.create(
                call=call, organization=org, region=org.region, province=org.region.province,
                routing=routing_for(call=call, organization=org), title=f"{org.name} · {call.title}"[:300],
                data=data, score_inputs=rubric_inputs(spec, data, {}), created_by=actor.user, created_at=now,
                updated_by=actor.user, updated_at=now,
            )
            if spec.multi:
                ApplicationMember.objects.create(application=app, organization=org, role=MemberRole.LEAD,
                                                 invited_name=org.name, invited_credit_code=org.credit_code or "")
            audit_record(actor=actor, action="application.start", obj=app, province=app.province, region=app.region,
                         organization=org, to_state=Status.DRAFT, data={"call": call.code})
    except IntegrityError:
        raise ValidationError(_("Your organization already has an application to this call.")) from None
    return app


# --- Use cases: drafts --------------------------------------------------------------------------------


@dataclass
class SaveOutcome:
    application: Application
    saved: bool
    conflict: DraftConflict | None = None
    refused: str = ""  # why a save was refused (the text is kept in `conflict`)
    locked: list[str] = field(default_factory=list)  # items a returned application may not change
    warnings: dict[str, str] = field(default_factory=dict)  # path -> message (saved anyway)


def _deep_merge(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for key, value in new.items():
            out[key] = _deep_merge(old.get(key), value)
        return out
    return new


def _leaves(node: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        yield prefix, canonical_json(node)
    else:
        yield prefix, node


def changed_paths(old: Mapping, new: Mapping) -> list[str]:
    a, b = dict(_leaves(old)), dict(_leaves(new))
    norm = lambda v: "" if v is None or v is False else v  # noqa: E731 - blank and unset are the same
    return sorted(p for p in set(a) | set(b) if norm(a.get(p)) != norm(b.get(p)))


def _text(value, limit=20000) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)[:limit]


def clean_input(spec: FormSpec, data: Any, score_inputs: Any) -> tuple[dict, dict, dict]:
    """Keep the parts of submitted data the form knows (values as text); report the rest."""
    if not isinstance(data, Mapping) or not isinstance(score_inputs, Mapping):
        raise ValidationError(_("The form data must be an object."))
    warnings: dict[str, str] = {}
    known = {f.path: f for f in spec.scalar_fields()}
    clean: dict = {}

    def walk(node, prefix=""):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if path == "targets" and spec.outline is not None:
                clean["targets"] = clean_targets(value, spec.outline)
            elif isinstance(value, Mapping):
                walk(value, path)
            elif path in known:
                f = known[path]
                set_path(clean, path, bool(value) if f.kind == "bool" and not isinstance(value, str)
                         else (str(value).lower() in ("1", "true", "on", "yes") if f.kind == "bool" else _text(value)))
            else:
                warnings[f"data.{path}"] = _("Not a field of this form: ignored.")

    walk(data)
    inputs: dict = {}
    rubric_only = {f.path[len("inputs."):]: f for f in spec.inputs}
    for key, value in score_inputs.items():
        if key in rubric_only:
            inputs[key] = _text(value, 200) if not isinstance(value, bool) else value
        elif key in spec.rubric_keys:
            warnings[f"score_inputs.{key}"] = _("This figure is entered in the figures of the form.")
        else:
            warnings[f"score_inputs.{key}"] = _("Not an input of this call's self-assessment: ignored.")
    return clean, inputs, warnings


def value_warnings(spec: FormSpec, data: Mapping, inputs: Mapping) -> dict[str, str]:
    out = {}
    for f in spec.scalar_fields():
        bad = number_problem(f, value_of(f, data, inputs))
        if bad:
            out[f.path] = bad
    return out


def _keep_refused(app, actor, base_version, data, score_inputs) -> DraftConflict:
    return DraftConflict.objects.create(
        application=app, user=actor.user, base_version=base_version, current_version=app.version,
        data=data if isinstance(data, dict) else {"value": _text(data)},
        score_inputs=score_inputs if isinstance(score_inputs, dict) else {},
    )


_REUSED = ("call", "organization", "region", "province")


def _reuse_related(app: Application, loaded: Application) -> None:
    """Give `app` (the row read again under its lock) the related rows `loaded` holds already, where
    the keys are still the same (the others are read when first used)."""
    for name in _REUSED:
        relation = Application._meta.get_field(name)
        if relation.is_cached(loaded) and getattr(app, relation.attname) == getattr(loaded, relation.attname):
            relation.set_cached_value(app, relation.get_cached_value(loaded))


def application_save_draft(*, actor: Actor, application: Application, base_version: int, data: Any = None,
                           score_inputs: Any = None, now: dt.datetime | None = None,
                           spec: FormSpec | None = None) -> SaveOutcome:
    """Save what was typed (a partial update: only the parts given change) if `base_version` is
    still the current version; otherwise keep it as a DraftConflict and return the current one.
    (`spec`: the form of the application's call when the caller built it already.)"""
    now = now or timezone.now()
    data = {} if data is None else data
    score_inputs = {} if score_inputs is None else score_inputs
    with transaction.atomic():
        # the row alone, under its lock; what the caller loaded with it (the call and its program,
        # the organization, the regions) is reused, not read again
        app = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
        _reuse_related(app, application)
        decision = can_edit_application(actor, app)
        if not decision:
            if writes_for_lead(actor, app):
                # e.g. submitted meanwhile by the administrator: the typed text is kept
                conflict = _keep_refused(app, actor, base_version, data, score_inputs)
                return SaveOutcome(app, saved=False, conflict=conflict, refused=decision.reason)
            raise PermissionDenied(decision.reason)
        try:
            base_version = int(base_version)
        except (TypeError, ValueError):
            raise ValidationError(_("The version of the draft being edited is missing.")) from None
        if not 0 <= base_version <= 2_147_483_647:
            raise ValidationError(_("The version of the draft being edited is missing."))
        if base_version != app.version:
            conflict = _keep_refused(app, actor, base_version, data, score_inputs)
            audit_record(actor=actor, action="application.draft_conflict", obj=app, province=app.province,
                         region=app.region, organization=app.organization,
                         data={"base_version": base_version, "current_version": app.version, "conflict": conflict.pk})
            return SaveOutcome(app, saved=False, conflict=conflict, refused=_(
                "Someone else saved this draft after you opened it. Your text is kept; compare the two versions."))
        if spec is None or spec.call.pk != app.call_id:
            spec = form_spec(app.call)
        clean, typed, warnings = clean_input(spec, data, score_inputs)
        new_data = _deep_merge(app.data or {}, clean)
        old_typed = typed_inputs(spec, app.score_inputs)
        new_typed = {**old_typed, **typed}
        if app.status == Status.RETURNED:
            everything, paths, _materials = returned_editable(app)
            changed = changed_paths(app.data or {}, new_data) + [
                f"inputs.{k}" for k in changed_paths(old_typed, new_typed)]
            locked = [] if everything else [p for p in changed if not path_unlocked(p, paths)]
            if locked:
                conflict = _keep_refused(app, actor, base_version, data, score_inputs)
                return SaveOutcome(app, saved=False, conflict=conflict, locked=locked, refused=_(
                    "The bureau returned the application for other items; these cannot change: %(items)s. "
                    "Your text is kept.") % {"items": ", ".join(locked)})
        stored_inputs = rubric_inputs(spec, new_data, new_typed) if spec.rubric is not None else {}
        app.data = new_data
        app.score_inputs = stored_inputs
        app.self_score = self_score(spec, stored_inputs)
        app.version += 1
        app.updated_by = actor.user
        app.updated_at = now
        app.save(update_fields=["data", "score_inputs", "self_score", "version", "updated_by", "updated_at"])
        # every save keeps a version (one INSERT; compacted hourly by submissions.filing.versions)
        DraftVersion.objects.create(application=app, version=app.version, data=new_data, score_inputs=stored_inputs,
                                    saved_by=actor.user, saved_at=now)
        warnings.update(value_warnings(spec, new_data, stored_inputs))
    application.__dict__.update({k: v for k, v in app.__dict__.items() if not k.startswith("_")})
    return SaveOutcome(app, saved=True, warnings=warnings)


def draft_conflict_resolve(*, actor: Actor, conflict: DraftConflict, keep: str) -> SaveOutcome | None:
    """Settle a refused save: keep "mine" (save it over the current version) or "theirs" (leave
    the current version). The refused text stays on record either way."""
    if keep not in ("mine", "theirs"):
        raise ValidationError(_("Choose which version to keep."))
    app = conflict.application
    if not draft_conflicts_visible(actor, app).filter(pk=conflict.pk).exists():
        raise PermissionDenied(_("This refused save is not yours."))
    outcome = None
    with transaction.atomic():
        if keep == "mine":
            app.refresh_from_db()
            outcome = application_save_draft(actor=actor, application=app, base_version=app.version,
                                             data=conflict.data, score_inputs=conflict.score_inputs)
            if not outcome.saved:
                return outcome
        DraftConflict.objects.filter(pk=conflict.pk).update(resolved_at=timezone.now())
        audit_record(actor=actor, action="application.draft_conflict_resolve", obj=app, province=app.province,
                     region=app.region, organization=app.organization, data={"conflict": conflict.pk, "keep": keep})
    return outcome


# --- Use cases: materials ---------------------------------------------------------------------------


def attachment_upload(*, actor: Actor, application: Application, material, file, filename: str | None = None,
                      now: dt.datetime | None = None) -> Attachment:
    """Check a file by its content (submissions.filing.uploads) and store it under a name the portal
    chooses, with its SHA-256. A refused file raises UploadRefused and stores nothing. The file
    replaces the current one of the slot (the previous one stays on record, not current).

    The file is written first, under its final random name, and the application's row is locked
    afterwards for the database work only (no lock is held while a large file is written); if the
    database part fails or the rule refuses under the lock, the written file is deleted."""

    now = now or timezone.now()
    _require(can_upload_attachment(actor, application, material))  # before reading the file
    checked = check_upload(file=file, filename=filename if filename is not None else getattr(file, "name", ""),
                           material=material)
    attachment = Attachment(
        application_id=application.pk, material=material, original_name=checked.name,
        content_type=checked.content_type, size=checked.size, sha256=checked.sha256, uploaded_by=actor.user,
        uploaded_at=now,
    )
    with written_files() as written:
        file.seek(0)
        written.save(attachment.file, checked.name, file)  # outside any transaction: no row is locked yet
        with transaction.atomic():
            app = Application.objects.select_for_update(of=("self",)).select_related("call__program").get(pk=application.pk)
            _require(can_upload_attachment(actor, app, material))  # again, under the lock
            attachment.application = app
            previous = list(app.attachments.filter(material=material, is_current=True).values_list("pk", flat=True))
            attachment.save()
            Attachment.objects.filter(pk__in=previous).update(is_current=False)
            Application.objects.filter(pk=app.pk).update(updated_by=actor.user, updated_at=now)
            audit_record(actor=actor, action="application.upload", obj=app, province=app.province, region=app.region,
                         organization=app.organization,
                         data={"material": material.code, "attachment": attachment.pk, "name": checked.name,
                               "size": checked.size, "sha256": checked.sha256, "replaces": previous})
    return attachment


@transaction.atomic
def attachment_remove(*, actor: Actor, attachment: Attachment) -> Attachment:
    """Take a file out of its slot (the file and its row stay on record, no longer current)."""
    app = Application.objects.select_for_update(of=("self",)).select_related("call__program").get(pk=attachment.application_id)
    _require(can_upload_attachment(actor, app, attachment.material))
    Attachment.objects.filter(pk=attachment.pk).update(is_current=False)
    attachment.is_current = False
    audit_record(actor=actor, action="application.remove_attachment", obj=app, province=app.province,
                 region=app.region, organization=app.organization,
                 data={"material": attachment.material.code, "attachment": attachment.pk,
                       "name": attachment.original_name})
    return attachment


# --- Use cases: submission -------------------------------------------------------------------------


def _record_self_assessment(actor: Actor, app: Application, spec: FormSpec) -> None:
    """Keep the submitted self-score as a `self` assessment when the rubric is a stored version."""
    if spec.rubric is None or spec.rubric.version is None or not spec.rubric.version.is_published:
        return

    try:
        with transaction.atomic():
            assessment_record(actor=actor, organization=app.organization, rubric_version=spec.rubric.version,
                              inputs=app.score_inputs or {}, scorer_kind="self", call=app.call,
                              comment=f"{app.number}")
    except (PermissionDenied, ValidationError) as exc:  # the submission stands; the score is in the receipt
        log.warning("self assessment of application %s not recorded: %s", app.pk, exc)


def _submit(*, actor: Actor, application: Application, now: dt.datetime | None, name: str) -> Receipt:

    now = now or timezone.now()
    with transaction.atomic():
        app = Application.objects.select_for_update(of=("self",)).select_related(
            "call__program", "call__province", "organization", "region", "province").get(pk=application.pk)
        refused = workflow.refusal(actor, app, name, now=now)
        if refused is not None and refused.code not in workflow.FILING_CODES:  # the state, who: nothing else to say
            raise refused.error
        spec = form_spec(app.call)
        problems = submission_problems(app, now=now, resubmit=(name == "resubmit"), spec=spec)
        if problems:
            raise SubmissionRefused(problems)
        number = _receipt_number(app, now)
        snapshot = build_snapshot(app, now=now, number=number, kind=name, spec=spec)
        receipt = Receipt.objects.create(application=app, number=number, submitted_at=now, submitted_by=actor.user,
                                         fingerprint=fingerprint(snapshot), snapshot=snapshot)
        changes: dict = {"submitted_at": now}
        if name == "submit":
            Application.objects.filter(pk=app.pk).update(routing=routing_for(call=app.call, organization=app.organization))
        changes["number"] = number  # the copy of the current receipt's number (see Application.current_receipt)
        workflow.fire(actor=actor, application=app, name=name, now=now,
                      comment=_("Receipt %(number)s") % {"number": number},
                      data={"receipt": number, "fingerprint": receipt.fingerprint,
                            "self_score": None if app.self_score is None else str(app.self_score)},
                      changes=changes)
        _record_self_assessment(actor, app, spec)
    application.refresh_from_db()
    return receipt


def application_submit(*, actor: Actor, application: Application, now: dt.datetime | None = None) -> Receipt:
    """Submit a draft: the filing deadline (Asia/Shanghai, with extensions), the commitment, the
    required fields and materials and the hard conditions are checked on the server; the applicant
    gets a receipt (number, time, SHA-256 of what was submitted) and the application is read-only.
    A refused submission raises SubmissionRefused (every problem) and changes nothing."""
    return _submit(actor=actor, application=application, now=now, name="submit")


def application_resubmit(*, actor: Actor, application: Application, now: dt.datetime | None = None) -> Receipt:
    """Resubmit a returned application before its revision deadline (a new receipt)."""
    return _submit(actor=actor, application=application, now=now, name="resubmit")


def application_withdraw(*, actor: Actor, application: Application, reason: str = "") -> Application:
    """Withdraw a submitted application before its review starts."""
    with transaction.atomic():
        workflow.fire(actor=actor, application=application, name="withdraw", comment=(reason or "").strip()[:2000])
    application.refresh_from_db()
    return application


# --- Use cases: member units ------------------------------------------------------------------------


def member_invite(*, actor: Actor, application: Application, name: str, credit_code: str, email: str = "",
                  base_url: str = "") -> ApplicationMember:
    """Add a member unit to an alliance / innovation center application. A registered applicant
    organization is linked at once (it then sees the application); an unregistered one is invited
    by e-mail and linked when it registers with that credit code."""
    credit_code = (credit_code or "").strip().upper()
    name = (name or "").strip()
    with transaction.atomic():
        app = Application.objects.select_for_update(of=("self",)).select_related("call__program", "organization").get(
            pk=application.pk)
        _require(can_manage_application_members(actor, app))
        validate_credit_code(credit_code)
        if not name:
            raise ValidationError(_("Give the name of the member unit."))
        if credit_code == app.organization.credit_code:
            raise ValidationError(_("Your organization is the lead unit of this application."))
        if app.members.filter(invited_credit_code=credit_code).exists() or app.members.filter(
                organization__credit_code=credit_code).exists():
            raise ValidationError(_("This unit is already a member of the application."))
        org = Organization.objects.filter(credit_code=credit_code).first()
        if org is not None and not org.is_applicant:
            raise ValidationError(_("This credit code belongs to a bureau, not to an applicant unit."))
        member = ApplicationMember.objects.create(
            application=app, organization=org, role=MemberRole.MEMBER, invited_name=name,
            invited_credit_code=credit_code, invited_email=(email or "").strip(),
        )
        entry = audit_record(actor=actor, action="application.member_invite", obj=app, province=app.province,
                             region=app.region, organization=app.organization,
                             data={"member": member.pk, "name": name, "credit_code": credit_code,
                                   "registered": org is not None})
        notifications.member_invitation_enqueue(entry=entry, application=app, member=member, base_url=base_url)
    return member


def member_remove(*, actor: Actor, member: ApplicationMember) -> None:
    with transaction.atomic():
        app = Application.objects.select_for_update(of=("self",)).select_related("call__program").get(pk=member.application_id)
        _require(can_manage_application_members(actor, app))
        if member.role == MemberRole.LEAD:
            raise ValidationError(_("The lead unit cannot be removed."))
        audit_record(actor=actor, action="application.member_remove", obj=app, province=app.province,
                     region=app.region, organization=app.organization,
                     data={"member": member.pk, "name": str(member), "credit_code": member.invited_credit_code})
        member.delete()


def member_invitation_prefill(token: str) -> dict | None:
    """The registration form's initial values for a member-unit invitation token (None: unknown)."""
    try:
        invite = ApplicationMember.objects.filter(token=token, organization__isnull=True).first()
    except ValidationError:
        return None
    if invite is None:
        return None
    return {"name": invite.invited_name, "credit_code": invite.invited_credit_code,
            "contact_email": invite.invited_email}


def member_invitations_claim(*, organization: Organization) -> int:
    """Link the pending member-unit invitations addressed to this credit code (on registration)."""
    if not organization.credit_code:
        return 0
    claimed = 0
    for member in ApplicationMember.objects.filter(organization__isnull=True,
                                                   invited_credit_code=organization.credit_code):
        if ApplicationMember.objects.filter(application_id=member.application_id, organization=organization).exists():
            continue
        ApplicationMember.objects.filter(pk=member.pk).update(organization=organization)
        claimed += 1
    return claimed


# --- Reads shared by the pages and the API ------------------------------------------------------------


def applications_for_list(actor: Actor):
    """The actor's applications, with what a list row shows, in a constant number of queries. For
    an applicant, annotated with what it sees of them (`with_applicant_view`: a decision
    stays internal until the call's result list is published)."""
    qs = (
        applications_visible(actor)
        .select_related("call__program", "call__province", "organization", "region", "province")
        .prefetch_related(stages_prefetch("call__"))
        .with_current_receipt()
        .order_by("-updated_at", "-id")
    )
    if actor.is_expert:  # only what it may still open: the assigning level's stage has not closed
        qs = qs.filter(pk__in=expert_open_ids(actor))
    return with_applicant_view(qs) if actor.is_applicant else qs


@dataclass
class PolicyRow:
    call: Any
    can_apply: bool
    reasons: list[str]
    unsettled: list[str]
    conditions: list[dict]
    deadline: FilingDeadline
    application: Application | None


def policy_rows(actor: Actor, *, figures: Mapping | None = None, now: dt.datetime | None = None) -> list[PolicyRow]:
    """我的政策: every published or closed call the actor can see, with whether its organization
    may apply now and, if not, every reason (place, kind of organization, closed, a condition the
    declared figures do not meet). Applicable calls first."""
    now = now or timezone.now()
    org = actor.organization
    figures = dict(figures or {})
    calls = (
        calls_visible(actor).filter(status__in=[CallStatus.PUBLISHED, CallStatus.CLOSED])
        .select_related("program", "province", "issuing_region")
        .prefetch_related(stages_prefetch(), "conditions")
        .order_by("-year", "code")
    )
    live = {}
    if org is not None:
        apps = Application.objects.filter(organization=org).exclude(status=Status.WITHDRAWN).select_related("call")
        for app in with_applicant_view(apps):
            live[app.call_id] = as_seen_by_applicant(app)
    rows = []
    for call in calls:
        reasons: list[str] = []
        unsettled: list[str] = []
        deadline = (filing_deadline(call=call, region=org.region, organization_id=org.pk) if org
                    else Deadline(level=StageLevel.APPLICANT))
        if org is not None:
            for decision in (call_place_decision(org, call), call_kind_decision(org, call)):
                if not decision:
                    reasons.append(decision.reason)
        if call.status != CallStatus.PUBLISHED:
            reasons.append(_("This call is closed."))
        elif deadline.passed(now):
            reasons.append(_("The filing deadline, %(deadline)s (Beijing time), has passed.")
                           % {"deadline": _local(deadline.at)})
        conditions = []
        for c in call.conditions.all():
            holds, _reason = c.evaluate(figures) if c.input_key not in {"initial_score"} else (None, "")
            conditions.append({"condition": c, "holds": holds})
            if not c.is_hard:
                continue
            if holds is False:
                reasons.append(_("Not met by the figures you declared: %(text)s") % {"text": c.text})
            elif c.kind in (ConditionKind.THRESHOLD, ConditionKind.RATIO) and c.input_key not in {"initial_score"}:
                unsettled.append(_("Declare your figures to check: %(text)s") % {"text": c.text})
        app = live.get(call.pk)
        rows.append(PolicyRow(call=call, can_apply=not reasons and app is None and bool(org),
                              reasons=reasons, unsettled=unsettled, conditions=conditions, deadline=deadline,
                              application=app))
    rows.sort(key=lambda r: (not (r.can_apply or (r.application and not r.reasons)), bool(r.reasons),
                             -(r.call.year or 0), r.call.code))
    return rows

