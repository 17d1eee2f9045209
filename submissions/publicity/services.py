"""Objections (异议) to a published result list: anyone files one during the public notice period
(公示期, `submissions.policy.can_file_objection`); the provincial department takes it in hand and
answers it. One use case, one transaction, one audit entry each; the attachment passes the same
checks as every upload (`submissions.filing.uploads.check_upload`) and is written before the
transaction (`submissions.stored_files`), taken back if anything fails."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import Actor
from portal.services import audit_record
from submissions import notifications
from submissions.constants import ObjectionStatus
from submissions.filing.uploads import check_upload
from submissions.models import Objection, ResultPublication
from submissions.policy import (
    can_answer_objection,
    can_file_objection,
    can_handle_objection,
    can_take_objection,
)
from submissions.stored_files import written_files

#: what an objection may attach: PDF or a photo, up to 20 MB (checked by content)
OBJECTION_SLOT = SimpleNamespace(allowed_types=["pdf", "jpeg", "png"], max_size_mb=20)


def _require(decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def objection_file(*, publication: ResultPublication, name: str, contact: str, text: str, upload=None,
                   now: dt.datetime | None = None) -> Objection:
    """File an objection (no account needed) during the public notice period. Refused with the
    reason outside it or when a field is missing; nothing is stored then."""
    now = now or timezone.now()
    decision = can_file_objection(publication, now=now)
    if not decision:
        raise ValidationError({"__all__": [decision.reason]})
    name, contact, text = (name or "").strip(), (contact or "").strip(), (text or "").strip()
    errors = {}
    if not name:
        errors["name"] = [_("Give your name (or your organization's).")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    if not contact:
        errors["contact"] = [_("Give a telephone number or an e-mail address to answer you.")]
    elif len(contact) > 200:
        errors["contact"] = [_("At most 200 characters.")]
    if not text:
        errors["text"] = [_("Say what you object to and why.")]
    elif len(text) > 5000:
        errors["text"] = [_("At most 5,000 characters.")]
    checked = None
    if upload is not None:
        try:
            checked = check_upload(file=upload, filename=upload.name, material=OBJECTION_SLOT)
        except ValidationError as exc:
            errors["file"] = exc.messages
    if errors:
        raise ValidationError(errors)
    objection = Objection(publication=publication, call_id=publication.call_id, name=name, contact=contact, text=text,
                          filed_at=now)
    with written_files() as written:
        if checked is not None:
            upload.seek(0)
            written.save(objection.file, checked.name, upload)
            objection.original_name, objection.content_type = checked.name, checked.content_type
            objection.size, objection.sha256 = checked.size, checked.sha256
        with transaction.atomic():
            locked = ResultPublication.objects.select_for_update(of=("self",)).select_related("call__province").get(
                pk=publication.pk)
            again = can_file_objection(locked, now=now)
            if not again:
                raise ValidationError({"__all__": [again.reason]})
            objection.save()
            entry = audit_record(actor=None, action="objection.file", obj=objection, province=locked.call.province,
                                 to_state=ObjectionStatus.RECEIVED, comment=text[:500],
                                 data={"call": locked.call.code, "publication": locked.pk,
                                       "file": objection.original_name})
            notifications.objection_enqueue(entry=entry, objection=objection)
    return objection


@transaction.atomic
def objection_take(*, actor: Actor, objection: Objection) -> Objection:
    """The provincial department takes an objection in hand (received → being handled)."""
    objection = Objection.objects.select_for_update(of=("self",)).select_related("call__province").get(pk=objection.pk)
    _require(can_handle_objection(actor, objection))
    decision = can_take_objection(actor, objection)
    if not decision:
        raise ValidationError(decision.reason)
    objection.status, objection.handled_by = ObjectionStatus.HANDLING, actor.user
    objection.save(update_fields=["status", "handled_by"])
    audit_record(actor=actor, action="objection.take", obj=objection, province=objection.call.province,
                 from_state=ObjectionStatus.RECEIVED, to_state=ObjectionStatus.HANDLING)
    return objection


@transaction.atomic
def objection_answer(*, actor: Actor, objection: Objection, answer: str) -> Objection:
    """The provincial department answers an objection (received or being handled → answered)."""
    objection = Objection.objects.select_for_update(of=("self",)).select_related("call__province").get(pk=objection.pk)
    _require(can_handle_objection(actor, objection))
    answer = (answer or "").strip()
    decision = can_answer_objection(actor, objection)
    if not decision:
        raise ValidationError(decision.reason)
    if not answer:
        raise ValidationError({"answer": [_("Write the answer.")]})
    before = objection.status
    objection.status, objection.answer, objection.answered_at = ObjectionStatus.ANSWERED, answer, timezone.now()
    objection.handled_by = objection.handled_by or actor.user
    objection.save(update_fields=["status", "answer", "answered_at", "handled_by"])
    audit_record(actor=actor, action="objection.answer", obj=objection, province=objection.call.province,
                 from_state=before, to_state=ObjectionStatus.ANSWERED, comment=answer)
    return objection
