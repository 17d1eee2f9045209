"""Writes of the program catalogue: one use case, one transaction, one audit entry.

A call's status changes only through programs.workflow (draft → published → closed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.access import Actor
from portal.models import Region
from portal.services import audit_record
from programs.policy import can_change_call, can_create_call, can_edit_call_draft

from . import workflow
from .constants import CallStatus, DeadlineKind
from .loaders import FixtureError, call_to_row, load_call_row
from .models import Call, Stage
from .workdays import WorkdayCalendar, end_of_day

CALL_EDITABLE_FIELDS = ("title", "document_number", "notice_text", "commitment_text", "batch", "blind_review")


def _require(decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def _lock_call(call: Call) -> Call:
    return Call.objects.select_for_update(of=("self",)).select_related("province").get(pk=call.pk)


@transaction.atomic
def call_update(*, actor: Actor, call: Call, changes: dict) -> Call:
    _require(can_change_call(actor, call))
    unknown = set(changes) - set(CALL_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    call = _lock_call(call)
    before = {k: getattr(call, k) for k in changes}
    for key, value in changes.items():
        setattr(call, key, value)
    call.full_clean()
    call.save(update_fields=list(changes))
    audit_record(
        actor=actor, action="call.update", obj=call, province=call.province,
        data={"before": before, "after": changes},
    )
    return call


@transaction.atomic
def call_publish(*, actor: Actor, call: Call) -> Call:
    """Publish a draft (it needs its stages): the call becomes public and open for applications."""
    return workflow.fire(actor=actor, call=call, name="publish")


@transaction.atomic
def call_close(*, actor: Actor, call: Call, comment: str = "") -> Call:
    """Close a published call (for good: a closed call is not published again)."""
    return workflow.fire(actor=actor, call=call, name="close", comment=comment)


@transaction.atomic
def stage_set_event_date(*, actor: Actor, stage: Stage, event_date: dt.date) -> tuple[Stage, list[str]]:
    """Date the event a relative deadline counts from (e.g. the training of Guizhou's pilot call);
    the deadline becomes N working days later, end of day, Asia/Shanghai."""
    _require(can_change_call(actor, stage.call))
    stage = Stage.objects.select_for_update(of=("self",)).select_related("call__province").get(pk=stage.pk)
    if stage.deadline_kind != DeadlineKind.RELATIVE:
        raise ValidationError(_("Only a deadline counted from an event takes an event date."))
    result = WorkdayCalendar().add_working_days(event_date, stage.relative_working_days or 0)
    before = stage.deadline_at
    stage.event_date = event_date
    stage.deadline_at = end_of_day(result.date)
    stage.save(update_fields=["event_date", "deadline_at"])
    audit_record(
        actor=actor, action="stage.set_event_date", obj=stage, province=stage.call.province,
        data={
            "event_date": event_date.isoformat(),
            "deadline_before": before.isoformat() if before else None,
            "deadline_after": stage.deadline_at.isoformat(),
            "warnings": result.warnings,
        },
    )
    return stage, result.warnings


# --- a call from a notice file ------------------------------------------------------------------

CALL_FILE_MAX_BYTES = 2 * 1024 * 1024


@dataclass
class UploadedCalls:
    codes: list[str]
    created: list[str]


def calls_from_file(*, actor: Actor, content: bytes) -> UploadedCalls:
    """Create (or replace, while still drafts) the calls of a notice file in the format of
    fixtures/calls/ (see fixtures/examples/call-template.yaml), for the actor's own province. Every
    call of the file becomes a draft; nothing is stored if any part of the file is wrong."""



    if len(content) > CALL_FILE_MAX_BYTES:
        raise ValidationError(_("The file is larger than 2 MB; a notice file is a few dozen kB."))
    try:
        data = yaml.safe_load(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text. Save it as UTF-8 (YAML) and upload it again.")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" (line %(n)d)") % {"n": mark.line + 1} if mark is not None else ""
        raise ValidationError(_("The file is not valid YAML%(where)s.") % {"where": where}) from None
    rows = data.get("calls") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ValidationError(_("The file lists no call: it needs a “calls:” list, as in the example file."))
    codes = []
    for row in rows:
        code = str(row.get("code") or "").strip() if isinstance(row, dict) else ""
        if not code:
            raise ValidationError(_("Every call of the file needs a code."))
        province = Region.objects.filter(code=str(row.get("province") or "").strip()).first()
        if province is None:
            raise ValidationError(_("Call %(code)s: no province with the code “%(p)s”.")
                                  % {"code": code, "p": row.get("province")})
        _require(can_create_call(actor, province))
        existing = Call.objects.filter(code=code).first()
        if existing is not None:
            _require(can_change_call(actor, existing))
            if existing.status != CallStatus.DRAFT:
                raise ValidationError(
                    _("Call %(code)s is already published: a file replaces drafts only. Correct its texts on "
                      "the call page.") % {"code": code})
        row["status"] = str(CallStatus.DRAFT.value)  # published on the call page, after a look
        row.pop("published_at", None)
        codes.append(code)
    existing_codes = set(Call.objects.filter(code__in=codes).values_list("code", flat=True))
    try:
        with transaction.atomic():
            for row in rows:
                result = load_call_row(row, source="file")
                call = Call.objects.select_related("province").get(code=result.code)
                audit_record(actor=actor, action="call.upload", obj=call, province=call.province,
                             data={"result": result.action, "counts": result.counts})
    except FixtureError as exc:
        detail = str(exc).replace("file: ", "", 1)
        raise ValidationError(_("The file cannot be loaded: %(detail)s") % {"detail": detail}) from None
    return UploadedCalls(codes=codes, created=[c for c in codes if c not in existing_codes])


# --- a call built in forms ------------------------------------------------------------------------


class CallRowError(ValidationError):
    """A call's data refused by the notice-file loader, with where it is: `section` (stages,
    quotas, conditions, materials, contacts; None for the call itself), `key` (the row's position
    or code) and `field`, so that a form shows the message beside the field."""

    def __init__(self, exc: FixtureError):
        super().__init__(exc.detail)
        self.section, self.key, self.field = exc.section, exc.key, exc.field


def _load_row(row: dict) -> Call:
    try:
        result = load_call_row(row)
    except FixtureError as exc:
        raise CallRowError(exc) from None
    return Call.objects.select_related("province", "program").get(code=result.code)


def _store_templates(call: Call, templates: dict) -> None:
    """Material templates (uploaded files) by material code."""
    for code, upload in (templates or {}).items():
        material = call.materials.filter(code=code).first()
        if material is not None and upload is not None:
            material.template.save(Path(upload.name).name, upload, save=True)


@transaction.atomic
def call_create(*, actor: Actor, row: dict, templates: dict | None = None) -> Call:
    """A new call built in forms (or from one entry of a notice file): always a draft of the
    actor's own province, validated by the notice-file loader."""
    province = Region.objects.filter(code=str(row.get("province") or "")).first()
    if province is None:
        raise CallRowError(FixtureError("form", "province: " + _("Choose the province.")))
    _require(can_create_call(actor, province))
    if Call.objects.filter(code=row.get("code")).exists():
        raise CallRowError(FixtureError("form", "code: " + _("A call with this code exists already.")))
    row = {**row, "status": str(CallStatus.DRAFT.value)}
    row.pop("published_at", None)
    call = _load_row(row)
    _store_templates(call, templates)
    audit_record(actor=actor, action="call.create", obj=call, province=call.province, data={"after": call_to_row(call)})
    return call


@transaction.atomic
def call_save_draft(*, actor: Actor, call: Call, row: dict, templates: dict | None = None) -> Call:
    """Replace everything of a draft call (its stages, quotas, conditions, materials, contacts) by
    what the forms hold; audited with the previous and the new version."""
    _require(can_edit_call_draft(actor, call))
    call = _lock_call(call)
    _require(can_edit_call_draft(actor, call))
    before = call_to_row(call)
    row = {**row, "code": call.code, "province": call.province.code, "status": call.status}
    row.pop("published_at", None)
    call = _load_row(row)
    _store_templates(call, templates)
    after = call_to_row(call)
    if after != before:
        audit_record(actor=actor, action="call.edit_draft", obj=call, province=call.province,
                     data={"before": before, "after": after})
    return call


def call_export(*, call: Call) -> bytes:
    """The call as a notice file (YAML, the format `calls_from_file` and `load_calls` read)."""
    row = call_to_row(call)
    return yaml.safe_dump({"calls": [row]}, allow_unicode=True, sort_keys=False).encode("utf-8")
