"""Who is told about an audit entry of the applications' side, and what the e-mail says: one rule.

Every message is composed here from the audit entry (its action, its target state ``to_state``
such as ``approved@province``, its comment), in the transaction that writes the entry, and stored
in the outbox of the tenancy core (``portal.outbox``), which sends each row once.

* A transition (``workflow.fire``): the applicant organization (its contact address and its active
  members, ``portal.outbox.organization_addresses``) is told the state the entry reached; when work
  arrives at a bureau (submit, resubmit, sign-off) the bureau of the application's level and region
  is told too (``bureau_addresses``).
* A decision of the province (approve, not approve, pilot) is held under the result embargo
  (``RESULT_EMBARGO``): the row waits until the call's result list is published
  (``decisions_release``, in the publication's transaction), and at sending time the embargo rule of
  ``portal.access`` must say that the applicant may read the entry. A decision superseded by a later
  published decision of the same application is dropped, so an applicant hears its result once.
* A stage extension: the bureaus of that level in the region concerned, and those with work pending
  at that level; for the applicants' stage, the organizations with a draft or a returned application.
* A stage-deadline reminder (``tasks_review``): the organizations and bureaus it plans for.
* A member-unit invitation: the invited address and, when the unit is registered, its addresses.

Registration and colleague invitations are mails of the tenancy core (``portal.registration``); they
use the same outbox and address book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal import outbox
from portal.constants import BUREAU_ROLES, PROVINCIAL_ROLES, OrgKind, RegionLevel
from portal.models import AuditEntry, OutboxMessage, Region
from portal.outbox import Mail
from submissions.constants import Level, Status
from submissions.embargo import APPLICATION_TYPE, DECISION_ACTIONS, applicant_entries_q, decisions_published_by
from submissions.models import Application

# kinds of message (part of the outbox's unique key)
APPLICANT = "applicant"
BUREAU = "bureau"
DECISION = "decision"
EXTENSION = "extension"
REMINDER = "reminder"
MEMBER_INVITATION = "member_invitation"
EXPERT_ASSIGNMENT = "expert_assignment"
EXPERT_ROUND = "expert_round"

RESULT_EMBARGO = "result_embargo"
OBJECTION = "objection"

# applications with work pending at a bureau: submitted, under review, or recommended and awaiting
# the head's sign-off
PENDING_AT_BUREAU = ("submitted", "under_review", "recommended")

_BUREAU_KIND = {Level.COUNTY: OrgKind.COUNTY_BUREAU, Level.CITY: OrgKind.CITY_BUREAU,
                Level.PROVINCE: OrgKind.PROVINCIAL_DEPARTMENT}
_BUREAU_ROLES = {Level.COUNTY: BUREAU_ROLES, Level.CITY: BUREAU_ROLES, Level.PROVINCE: PROVINCIAL_ROLES}


# --- recipients ----------------------------------------------------------------------------------


def bureau_region_id(region: Region, level: str) -> int | None:
    """The region whose bureau of `level` handles an application (or a draft) from `region`."""
    if level == Level.COUNTY:
        return region.pk
    if level == Level.CITY:
        return region.pk if region.level == RegionLevel.CITY else region.city_id
    if level == Level.PROVINCE:
        return region.province_id
    return None


def bureau_addresses(level: str, region_ids: Iterable[int]) -> dict[int, set[str]]:
    """The staff of the bureaus of `level` (county, city bureau, provincial department) by region."""
    if level not in _BUREAU_KIND:
        return {}
    return outbox.staff_addresses(kinds=[_BUREAU_KIND[level]], roles=_BUREAU_ROLES[level], region_ids=region_ids)


def applicant_addresses(organization_ids: Iterable[int]) -> dict[int, set[str]]:
    """The applicant organizations' addresses (contact e-mail, active members), by organization."""
    return outbox.organization_addresses(organization_ids)


def _fmt(at: dt.datetime) -> str:
    return date_format(timezone.localtime(at), "Y-m-d H:i")


def _target(entry: AuditEntry) -> tuple[str, str]:
    """(status, level) the entry moved the application to, e.g. ("approved", "province")."""
    status, _sep, level = entry.to_state.partition("@")
    return status, level


# --- transitions ---------------------------------------------------------------------------------


def _decision_mails(entry: AuditEntry, app: Application) -> list[Mail]:
    status = Status(_target(entry)[0]).label
    subject = _("[Innovation platform portal] %(title)s: %(status)s") % {"title": app.call.title, "status": status}
    body = _(
        "%(org)s\n\nThe provincial department has published the result list of “%(call)s”. "
        "The result of your application: %(status)s.\n%(comment)s\n"
        "Sign in to the portal to see the details and the timeline."
    ) % {"org": app.organization.name, "call": app.call.title, "status": status, "comment": entry.comment or ""}
    recipients = applicant_addresses([app.organization_id]).get(app.organization_id, set())
    return outbox.mails_to(recipients, kind=DECISION, subject=subject, body=body, hold=RESULT_EMBARGO)


def transition_mails(entry: AuditEntry, *, application: Application, notify_applicant: bool,
                     notify_bureau: bool) -> list[Mail]:
    """The mails about one transition's audit entry, saying the state the entry reached."""
    app = application
    if entry.action in DECISION_ACTIONS:
        # the applicant learns a decision with the call's result list (held until it is published)
        return _decision_mails(entry, app)
    status_value, level = _target(entry)
    status = Status(status_value).label
    mails: list[Mail] = []
    if notify_applicant:
        subject = _("[Innovation platform portal] %(title)s: %(status)s") % {"title": app.call.title, "status": status}
        body = _(
            "%(org)s\n\nThe application to “%(call)s” is now: %(status)s.\n%(comment)s\n"
            "Sign in to the portal to see the details and the timeline."
        ) % {"org": app.organization.name, "call": app.call.title, "status": status, "comment": entry.comment or ""}
        recipients = applicant_addresses([app.organization_id]).get(app.organization_id, set())
        mails += outbox.mails_to(recipients, kind=APPLICANT, subject=subject, body=body)
    if notify_bureau and level:
        region_id = bureau_region_id(app.region, level)
        recipients = bureau_addresses(level, [region_id]).get(region_id, set())
        mails += outbox.mails_to(
            recipients, kind=BUREAU,
            subject=_("[Innovation platform portal] New work: %(title)s") % {"title": app.call.title},
            body=_("%(org)s: an application to “%(call)s” is waiting for your review.")
            % {"org": app.organization.name, "call": app.call.title},
        )
    return mails


def transition_enqueue(*, entry: AuditEntry, application: Application, notify_applicant: bool,
                       notify_bureau: bool) -> int:
    """Compose and store the mails of a transition (in `workflow.fire`'s transaction)."""
    with outbox.composing():
        mails = transition_mails(entry, application=application, notify_applicant=notify_applicant,
                                 notify_bureau=notify_bureau)
    return outbox.enqueue(entry, mails)


def transition_enqueue_late(entry: AuditEntry, *, notify_applicant: bool, notify_bureau: bool) -> int:
    """For an entry written before the outbox existed (a task still queued): compose its mails now,
    from the entry, unless it has some already."""
    if OutboxMessage.objects.filter(audit_entry=entry).exists():
        return 0
    app = Application.objects.select_related("organization", "call", "region").filter(pk=entry.object_id).first()
    if app is None:
        return 0
    with outbox.composing():
        mails = transition_mails(entry, application=app, notify_applicant=notify_applicant,
                                 notify_bureau=notify_bureau)
    return outbox.enqueue(entry, mails, dispatch=False)


# --- decisions and the result embargo ------------------------------------------------------------


def decisions_release(publication, *, dispatch: bool = True) -> list[int]:
    """A result list is published (call in its transaction): the decisions it makes public
    (`decisions_published_by`) are mailed after the commit: the latest decision of each
    application, once; earlier held decisions of those applications are dropped. Returns the ids of
    the audit entries whose mails are released."""
    apps = {str(a.pk): a for a in decisions_published_by(publication).select_related(
        "organization", "call", "region")}
    if not apps:
        return []
    latest: dict[str, AuditEntry] = {}
    older: list[int] = []
    for entry in AuditEntry.objects.filter(
        object_type=APPLICATION_TYPE, object_id__in=list(apps), action__in=DECISION_ACTIONS,
        at__lte=publication.published_at,
    ).order_by("at", "id"):
        if entry.object_id in latest:
            older.append(latest[entry.object_id].pk)
        latest[entry.object_id] = entry
    ids = [e.pk for e in latest.values()]
    composed = set(OutboxMessage.objects.filter(audit_entry_id__in=ids, kind=DECISION)
                   .values_list("audit_entry_id", flat=True))
    with outbox.composing():
        for object_id, entry in latest.items():
            if entry.pk not in composed:  # decided before the outbox existed: composed from the entry now
                outbox.enqueue(entry, _decision_mails(entry, apps[object_id]), dispatch=False)
    outbox.drop(older, reason="superseded by a later decision", kinds=[DECISION])
    outbox.release(ids, kinds=[DECISION])
    if dispatch:
        for pk in ids:
            outbox.dispatch_after_commit(pk)
    return ids


def _embargo_verdict(row: OutboxMessage) -> str:
    """The result embargo (portal.access, the one rule) decides whether a decision mail may go."""
    entry = row.audit_entry
    call_id = Application.objects.filter(pk=entry.object_id).values_list("call_id", flat=True).first()
    if call_id is None:
        return outbox.DROP
    readable = AuditEntry.objects.filter(object_type=APPLICATION_TYPE, object_id=entry.object_id).filter(
        applicant_entries_q(call_id))
    if not readable.filter(pk=entry.pk).exists():
        return outbox.WAIT  # the result list that makes it public is not published yet
    later = readable.filter(action__in=DECISION_ACTIONS).filter(
        Q(at__gt=entry.at) | Q(at=entry.at, pk__gt=entry.pk))
    return outbox.DROP if later.exists() else outbox.SEND


outbox.register_hold(RESULT_EMBARGO, _embargo_verdict)


# --- stage extensions ----------------------------------------------------------------------------


def _regions_within(region_id: int) -> list[int]:
    return list(Region.objects.filter(Q(pk=region_id) | Q(city_id=region_id) | Q(province_id=region_id))
                .values_list("pk", flat=True))


def extension_mails(entry: AuditEntry, extension) -> list[Mail]:
    """Who is told that the province extended a stage's deadline: the bureaus of the stage's level
    in the region concerned (all of the province without one) and those with work pending at that
    level; for the applicants' stage, the organizations with a draft or a returned application."""
    ext = extension
    stage, call = ext.stage, ext.stage.call
    apps = Application.objects.filter(call=call)
    if ext.region_id:
        r = ext.region_id
        apps = apps.filter(Q(region_id=r) | Q(region__city_id=r) | Q(region__province_id=r))
    if ext.organization_id:  # granted to one organization: it alone (and the bureaus holding its file)
        apps = apps.filter(organization_id=ext.organization_id)
    recipients: set[str] = set()
    if stage.level in (Level.COUNTY, Level.CITY):
        regions = {bureau_region_id(app.region, stage.level)
                   for app in apps.filter(status__in=PENDING_AT_BUREAU, level=stage.level).select_related("region")}
        if ext.organization_id:
            pass  # only the bureaus holding that organization's file
        elif ext.region_id:  # the bureaus of the region, even with nothing pending yet
            regions |= set(_regions_within(ext.region_id))
        else:  # the whole province: every bureau of that level
            regions |= set(Region.objects.filter(province_id=call.province_id).values_list("pk", flat=True))
        for emails in bureau_addresses(stage.level, regions).values():
            recipients |= emails
    elif stage.level == "applicant":
        orgs = set(apps.filter(status__in=[Status.DRAFT, Status.RETURNED]).values_list("organization_id", flat=True))
        if ext.organization_id:
            orgs.add(ext.organization_id)
        for emails in applicant_addresses(orgs).values():
            recipients |= emails
    subject = _("[Innovation platform portal] Deadline extended: %(call)s") % {"call": call.title}
    body = _(
        "The provincial department extended the deadline of “%(stage)s” (%(call)s)%(region)s to %(at)s.\n"
        "Reason: %(reason)s"
    ) % {"stage": stage.name, "call": call.title, "at": _fmt(ext.new_deadline), "reason": entry.comment,
         "region": f" ({ext.region.name})" if ext.region_id else (
             f" ({ext.organization.name})" if ext.organization_id else "")}
    return outbox.mails_to(recipients, kind=EXTENSION, subject=subject, body=body)


def extension_enqueue(*, entry: AuditEntry, extension, dispatch: bool = True) -> int:
    with outbox.composing():
        mails = extension_mails(entry, extension)
    return outbox.enqueue(entry, mails, dispatch=dispatch)


# --- stage-deadline reminders --------------------------------------------------------------------


def reminder_mails(*, stage, audience: str, days: int, at: dt.datetime, recipients: Iterable[str]) -> list[Mail]:
    """A reminder `days` before `stage` closes at `at`, to the applicants or to a bureau."""
    subject = _("[Innovation platform portal] %(days)d day(s) left: %(stage)s") % {"days": days, "stage": stage.name}
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
    return outbox.mails_to(recipients, kind=REMINDER, subject=subject, body=body)


def reminder_enqueue(*, entry: AuditEntry, stage, audience: str, days: int, at: dt.datetime,
                     recipients: Iterable[str], dispatch: bool = True) -> int:
    with outbox.composing():
        mails = reminder_mails(stage=stage, audience=audience, days=days, at=at, recipients=recipients)
    return outbox.enqueue(entry, mails, dispatch=dispatch)


# --- member units ----------------------------------------------------------------------------------


def member_invitation_enqueue(*, entry: AuditEntry, application: Application, member, base_url: str = "") -> int:
    """Invite a member unit: an unregistered one at the invited address, with a link to register; a
    registered one at the invited address and its own addresses."""
    app, org = application, member.organization
    with outbox.composing():
        subject = _("[Innovation platform portal] %(lead)s invites you to an application") % {
            "lead": app.organization.name}
        if org is None:
            link = base_url + reverse("register") + f"?invite={member.token}"
            body = _(
                "%(lead)s names %(name)s as a member unit of its application to “%(call)s”.\n"
                "Register your organization in the portal with the credit code %(code)s to see the application:\n%(link)s"
            ) % {"lead": app.organization.name, "name": member.invited_name, "call": app.call.title,
                 "code": member.invited_credit_code, "link": link}
            recipients = {member.invited_email}
        else:
            body = _("%(lead)s names your organization as a member unit of its application to “%(call)s”. "
                     "Sign in to the portal to read it.") % {"lead": app.organization.name, "call": app.call.title}
            recipients = {member.invited_email} | applicant_addresses([org.pk]).get(org.pk, set())
        mails = outbox.mails_to(recipients, kind=MEMBER_INVITATION, subject=subject, body=body)
    return outbox.enqueue(entry, mails)


# --- expert review ---------------------------------------------------------------------------------


def expert_assignment_enqueue(*, entry: AuditEntry, application: Application, expert, closes_at=None) -> int:
    """Tell an expert it has been assigned an application (its own address only; the applicant is
    not told who its experts are)."""
    app = application
    address = outbox.normalize_address(expert.email)
    with outbox.composing():
        subject = _("[Innovation platform portal] Expert review: %(title)s") % {"title": app.call.title}
        body = _("You have been assigned the expert review of an application to “%(call)s” (%(number)s). "
                 "Sign in to the portal and open 专家评审 to read and score it.") % {
            "call": app.call.title, "number": app.number or app.pk}
        if closes_at is not None:
            body += "\n" + _("Your access ends when the review stage closes at %(at)s.") % {"at": _fmt(closes_at)}
        mails = outbox.mails_to({address} if address else set(), kind=EXPERT_ASSIGNMENT, subject=subject, body=body)
    return outbox.enqueue(entry, mails)


def expert_round_enqueue(*, entry: AuditEntry, application: Application, experts: Iterable, round_no: int) -> int:
    """Tell the experts asked for a further round of an application's review."""
    app = application
    recipients = {a for a in (outbox.normalize_address(u.email) for u in experts) if a}
    with outbox.composing():
        subject = _("[Innovation platform portal] Expert review, round %(n)d: %(title)s") % {
            "n": round_no, "title": app.call.title}
        body = _("The bureau asks you to review again an application to “%(call)s” (%(number)s): round %(n)d. "
                 "Your earlier score stays on record. Sign in to the portal and open 专家评审.") % {
            "call": app.call.title, "number": app.number or app.pk, "n": round_no}
        mails = outbox.mails_to(recipients, kind=EXPERT_ROUND, subject=subject, body=body)
    return outbox.enqueue(entry, mails)


# --- objections to a published result list ---------------------------------------------------------


def objection_mails(entry: AuditEntry, objection) -> list[Mail]:
    """The provincial department of the call's province is told of a new objection (its staff)."""
    call = objection.call
    recipients: set[str] = set()
    for emails in bureau_addresses(Level.PROVINCE, [call.province_id]).values():
        recipients |= emails
    subject = _("[Innovation platform portal] Objection to the result list: %(call)s") % {"call": call.title}
    body = _("An objection to the published result list of “%(call)s” was filed at %(at)s by %(name)s. "
             "Sign in to the portal to handle and answer it.") % {
        "call": call.title, "at": _fmt(objection.filed_at), "name": objection.name}
    return outbox.mails_to(recipients, kind=OBJECTION, subject=subject, body=body)


def objection_enqueue(*, entry: AuditEntry, objection, dispatch: bool = True) -> int:
    with outbox.composing():
        mails = objection_mails(entry, objection)
    return outbox.enqueue(entry, mails, dispatch=dispatch)
