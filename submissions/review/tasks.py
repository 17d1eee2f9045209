"""E-mails of the review side: deadline extensions and stage-deadline reminders (Celery beat).

``send_stage_deadline_reminders`` runs periodically (hourly is fine): for every stage whose
effective deadline for a region lies 3 days or 1 day ahead (in the windows (2 d, 3 d] and
(0, 1 d]) it writes once to

* the applicants of that region with an unsubmitted draft (applicant stages: the filing stage),
* the bureau of that region with pending work (county and city stages: applications waiting at
  that level: submitted, under review, or recommended and awaiting the head's sign-off).

Each reminder is recorded as an audit entry (action ``reminder.stage_deadline`` on the stage, its
key in ``comment``) with its mails in the outbox, in one transaction, which makes the task
idempotent: a rerun or a retry records nothing twice, the outbox sends each mail once, and a
deadline moved by an extension is reminded again. Who is told: ``submissions.notifications``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from portal import outbox
from portal.models import AuditEntry
from portal.services import audit_record
from programs.constants import CallStatus, StageLevel
from programs.deadlines import DeadlineBook
from programs.models import Stage, StageExtension
from submissions import notifications
from submissions.models import Application
from submissions.notifications import PENDING_AT_BUREAU

REMINDER_DAYS = (3, 1)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_stage_extension(extension_id: int) -> int:
    """Send the mails about a stage extension (kept for tasks queued before the outbox: the
    extension's mails are now composed in its transaction, see submissions.notifications).
    Returns the number of mails sent now."""
    ext = StageExtension.objects.select_related("stage__call", "region").filter(pk=extension_id).first()
    if ext is None:
        return 0
    entry = AuditEntry.objects.filter(action="stage.extend", object_type=ext._meta.label_lower,
                                      object_id=str(ext.pk)).order_by("id").first()
    if entry is None:
        return 0
    if not entry.outbox_messages.exists():
        notifications.extension_enqueue(entry=entry, extension=ext, dispatch=False)
    outcome = outbox.deliver(entry_ids=[entry.pk])
    if outcome.error is not None:
        raise outcome.error
    return outcome.sent


def _window(delta: dt.timedelta) -> int | None:
    for days in REMINDER_DAYS:
        if dt.timedelta(days=days - 1) < delta <= dt.timedelta(days=days):
            return days
    return None


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_stage_deadline_reminders(now_iso: str | None = None) -> int:
    """Reminders 3 days and 1 day before a stage deadline. Returns the number of reminders recorded
    now (each one audit entry, mailed through the outbox to its recipients)."""
    now = dt.datetime.fromisoformat(now_iso) if now_iso else timezone.now()
    horizon = now + dt.timedelta(days=max(REMINDER_DAYS))
    call_ids = set(
        Stage.objects.filter(call__status=CallStatus.PUBLISHED, deadline_at__gt=now, deadline_at__lte=horizon)
        .values_list("call_id", flat=True)
    ) | set(
        StageExtension.objects.filter(stage__call__status=CallStatus.PUBLISHED, new_deadline__gt=now,
                                      new_deadline__lte=horizon).values_list("stage__call_id", flat=True)
    )
    if not call_ids:
        return 0
    book = DeadlineBook(call_ids)  # the one resolver answers for drafts and bureaus alike

    # (stage, audience, region, days, deadline) -> recipients
    planned: dict[tuple, set[str]] = defaultdict(set)
    apps = Application.objects.filter(call_id__in=call_ids).select_related("region", "call")

    drafts = list(apps.filter(status="draft"))
    emails = notifications.applicant_addresses({a.organization_id for a in drafts})
    for app in drafts:
        d = book.for_application(app, StageLevel.APPLICANT)
        days = _window(d.at - now) if d.at else None
        if days:
            planned[(d.stage, "applicants", app.region, days, d.at)] |= emails.get(app.organization_id, set())

    pending = list(apps.filter(status__in=PENDING_AT_BUREAU, level__in=["county", "city"]).select_related("region__city"))
    by_level: dict[str, set[int]] = defaultdict(set)
    targets = []
    for app in pending:
        d = book.for_application(app)
        days = _window(d.at - now) if d.at else None
        if not days:
            continue
        bureau_region = app.region if app.level == "county" or app.region.level == "city" else app.region.city
        by_level[app.level].add(bureau_region.pk)
        targets.append((d.stage, app.level, bureau_region, days, d.at))
    members = {level: notifications.bureau_addresses(level, ids) for level, ids in by_level.items()}
    for stage, level, region, days, at in targets:
        planned[(stage, "bureau", region, days, at)] |= members[level].get(region.pk, set())

    entry_ids = []
    for (stage, audience, region, days, at), recipients in planned.items():
        if not recipients:
            continue
        key = f"{audience}:{region.code}:{days}:{at.isoformat()}"
        # The record and its mails are written together; the stage row's lock keeps two runs at once
        # from recording (and mailing) the same reminder twice. The outbox sends each mail once.
        with transaction.atomic():
            Stage.objects.select_for_update().filter(pk=stage.pk).first()
            if AuditEntry.objects.filter(action="reminder.stage_deadline", object_type="programs.stage",
                                         object_id=str(stage.pk), comment=key).exists():
                continue
            entry = audit_record(actor=None, action="reminder.stage_deadline", obj=stage, province=stage.call.province,
                                 region=region, comment=key,
                                 data={"audience": audience, "days": days, "recipients": len(recipients)})
            notifications.reminder_enqueue(entry=entry, stage=stage, audience=audience, days=days, at=at,
                                           recipients=recipients, dispatch=False)
        entry_ids.append(entry.pk)
    if entry_ids:
        outbox.deliver(entry_ids=entry_ids)  # what fails here is retried by the outbox's sweep
    return len(entry_ids)
