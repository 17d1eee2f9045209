"""E-mails of the review side: deadline extensions and stage-deadline reminders (Celery beat).

``send_stage_deadline_reminders`` runs periodically (hourly is fine): for every stage whose
effective deadline for a region lies 3 days or 1 day ahead (in the windows (2 d, 3 d] and
(0, 1 d]) it writes once to

* the applicants of that region with an unsubmitted draft (applicant stages: the filing stage),
* the bureau of that region with pending work (county and city stages: applications waiting at
  that level: submitted, under review, or recommended and awaiting the head's sign-off).

Each reminder sent is recorded as an audit entry (action ``reminder.stage_deadline`` on the stage,
its key in ``comment``), which makes the task idempotent: a rerun or a retry sends nothing twice,
and a deadline moved by an extension is reminded again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.constants import APPLICANT_ROLES, BUREAU_ROLES, OrgKind
from portal.models import AuditEntry, Membership

REMINDER_DAYS = (3, 1)
PENDING_AT_BUREAU = ("submitted", "under_review", "recommended")


def _bureau_members(level: str, region_ids) -> dict[int, set[str]]:
    """E-mail addresses of the bureau members by the region their bureau governs."""
    kind = OrgKind.COUNTY_BUREAU if level == "county" else OrgKind.CITY_BUREAU
    out: dict[int, set[str]] = defaultdict(set)
    for region_id, email in Membership.objects.filter(
        is_active=True, role__in=list(BUREAU_ROLES), user__email__gt="", organization__kind=kind,
        organization__region_id__in=list(region_ids),
    ).values_list("organization__region_id", "user__email"):
        out[region_id].add(email)
    return out


def _applicant_emails(organization_ids) -> dict[int, set[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    for org_id, email in Membership.objects.filter(
        is_active=True, role__in=list(APPLICANT_ROLES), user__email__gt="", organization_id__in=list(organization_ids),
    ).values_list("organization_id", "user__email"):
        out[org_id].add(email)
    return out


def _fmt(at: dt.datetime) -> str:
    return date_format(timezone.localtime(at), "Y-m-d H:i")


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_stage_extension(extension_id: int) -> int:
    """Tell the users concerned that the province extended a stage's deadline. Returns mails sent."""
    from programs.models import StageExtension
    from submissions.models import Application

    ext = StageExtension.objects.select_related("stage__call", "region").filter(pk=extension_id).first()
    if ext is None:
        return 0
    stage, call = ext.stage, ext.stage.call
    apps = Application.objects.filter(call=call).select_related("region")
    if ext.region_id:
        r = ext.region
        apps = apps.filter(Q(region_id=r.pk) | Q(region__city_id=r.pk) | Q(region__province_id=r.pk))
    recipients: set[str] = set()
    if stage.level in ("county", "city"):
        pending = apps.filter(status__in=PENDING_AT_BUREAU, level=stage.level)
        regions = set()
        for app in pending:
            regions.add(app.region_id if stage.level == "county" or app.region.level == "city" else app.region.city_id)
        if ext.region_id:  # the bureaus of the region, even with nothing pending yet
            scope = Q(organization__region_id=ext.region_id) | Q(organization__region__city_id=ext.region_id) | Q(
                organization__region__province_id=ext.region_id)
        else:  # the whole province: every bureau of that level
            scope = Q(organization__region__province_id=call.province_id)
        kind = OrgKind.COUNTY_BUREAU if stage.level == "county" else OrgKind.CITY_BUREAU
        recipients |= set(Membership.objects.filter(scope, is_active=True, role__in=list(BUREAU_ROLES),
                                                    user__email__gt="", organization__kind=kind)
                          .values_list("user__email", flat=True))
        for emails in _bureau_members(stage.level, regions).values():
            recipients |= emails
    elif stage.level == "applicant":
        orgs = set(apps.filter(status__in=["draft", "returned"]).values_list("organization_id", flat=True))
        for emails in _applicant_emails(orgs).values():
            recipients |= emails
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Innovation platform portal] Deadline extended: %(call)s") % {"call": call.title}
        body = _(
            "The provincial department extended the deadline of “%(stage)s” (%(call)s)%(region)s to %(at)s.\n"
            "Reason: %(reason)s"
        ) % {"stage": stage.name, "call": call.title, "at": _fmt(ext.new_deadline), "reason": ext.reason,
             "region": f" ({ext.region.name})" if ext.region_id else ""}
    send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, sorted(recipients))], fail_silently=False)
    return 1


def _window(delta: dt.timedelta) -> int | None:
    for days in REMINDER_DAYS:
        if dt.timedelta(days=days - 1) < delta <= dt.timedelta(days=days):
            return days
    return None


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_stage_deadline_reminders(now_iso: str | None = None) -> int:
    """Reminders 3 days and 1 day before a stage deadline. Returns the number of mails sent."""
    from programs.constants import CallStatus, StageLevel
    from programs.deadlines import DeadlineBook
    from programs.models import Stage, StageExtension
    from submissions.models import Application

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
    emails = _applicant_emails({a.organization_id for a in drafts})
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
    members = {level: _bureau_members(level, ids) for level, ids in by_level.items()}
    for stage, level, region, days, at in targets:
        planned[(stage, "bureau", region, days, at)] |= members[level].get(region.pk, set())

    from portal.services import audit_record

    messages, entries = [], []
    with translation.override(settings.LANGUAGE_CODE):
        for (stage, audience, region, days, at), recipients in planned.items():
            if not recipients:
                continue
            key = f"{audience}:{region.code}:{days}:{at.isoformat()}"
            if AuditEntry.objects.filter(action="reminder.stage_deadline", object_type="programs.stage",
                                         object_id=str(stage.pk), comment=key).exists():
                continue
            subject = _("[Innovation platform portal] %(days)d day(s) left: %(stage)s") % {
                "days": days, "stage": stage.name}
            if audience == "applicants":
                body = _(
                    "Your application to “%(call)s” has not been submitted yet. The stage “%(stage)s” closes at "
                    "%(at)s. Sign in to the portal to complete and submit it."
                )
            else:
                body = _(
                    "Applications to “%(call)s” are waiting for your bureau. The stage “%(stage)s” closes at "
                    "%(at)s. Sign in to the portal to review and recommend them."
                )
            body = body % {"call": stage.call.title, "stage": stage.name, "at": _fmt(at)}
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, sorted(recipients)))
            entries.append((stage, region, key, audience, days, len(recipients)))
    if not messages:
        return 0
    # The record and the mails succeed together: a failed send rolls the record back and the
    # retry sends again; a sent reminder is never sent twice.
    with transaction.atomic():
        for stage, region, key, audience, days, n in entries:
            audit_record(actor=None, action="reminder.stage_deadline", obj=stage, province=stage.call.province,
                         region=region, comment=key, data={"audience": audience, "days": days, "recipients": n})
        send_mass_mail(messages, fail_silently=False)
    return len(messages)
