"""E-mails sent after a state change has been committed."""

from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import translation
from django.utils.translation import gettext as _

from portal.constants import Role
from portal.models import AuditEntry, Membership
from submissions.constants import Status
from submissions.embargo import DECISION_ACTIONS, decisions_published_by


def _applicant_emails(organizations) -> dict[int, set[str]]:
    """The addresses of the applicant organizations (active members, the contact address) by id."""
    out: dict[int, set[str]] = defaultdict(set)
    for org in organizations:
        if org.contact_email:
            out[org.pk].add(org.contact_email)
    for org_id, email in Membership.objects.filter(
        organization__in=[o.pk for o in organizations], is_active=True, user__email__gt=""
    ).values_list("organization_id", "user__email"):
        out[org_id].add(email)
    return out


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_transition(audit_id: int, notify_bureau: bool = False, notify_applicant: bool = True) -> int:
    """Tell the applicant (and, when work arrives, the bureau) what happened. Returns mails sent.
    The province's decisions are not told here (``notify_applicant`` False): see ``notify_results``."""
    from submissions.models import Application

    entry = AuditEntry.objects.filter(pk=audit_id).first()
    if entry is None:
        return 0
    app = Application.objects.select_related("organization", "call", "region").filter(pk=entry.object_id).first()
    if app is None:
        return 0
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        status = Status(app.status).label
        subject = _("[Innovation platform portal] %(title)s: %(status)s") % {"title": app.call.title, "status": status}
        body = _(
            "%(org)s\n\nThe application to “%(call)s” is now: %(status)s.\n%(comment)s\n"
            "Sign in to the portal to see the details and the timeline."
        ) % {"org": app.organization.name, "call": app.call.title, "status": status,
             "comment": entry.comment or ""}
        applicant = _applicant_emails([app.organization])[app.organization.pk] if notify_applicant else set()
        if applicant:
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, sorted(applicant)))
        if notify_bureau and app.level:
            bureau = _bureau_emails(app)
            if bureau:
                messages.append((
                    _("[Innovation platform portal] New work: %(title)s") % {"title": app.call.title},
                    _("%(org)s: an application to “%(call)s” is waiting for your review.")
                    % {"org": app.organization.name, "call": app.call.title},
                    settings.DEFAULT_FROM_EMAIL, sorted(bureau),
                ))
    if messages:
        send_mass_mail(messages, fail_silently=False)
    return len(messages)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_results(publication_id: int) -> int:
    """The result list of a call was published: tell each applicant whose decision it makes public
    its result (with the province's comment). Returns mails sent."""

    from submissions.models import ResultPublication

    publication = ResultPublication.objects.select_related("call").filter(pk=publication_id).first()
    if publication is None:
        return 0
    apps = list(decisions_published_by(publication).select_related("organization", "call").order_by("pk"))
    if not apps:
        return 0
    comments: dict[str, str] = {}
    for object_id, comment in AuditEntry.objects.filter(
        object_type="submissions.application", object_id__in=[str(a.pk) for a in apps], action__in=DECISION_ACTIONS,
    ).order_by("at", "id").values_list("object_id", "comment"):
        comments[object_id] = comment  # the latest decision's
    emails = _applicant_emails({a.organization for a in apps})
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for app in apps:
            recipients = emails.get(app.organization_id)
            if not recipients:
                continue
            status = Status(app.status).label
            subject = _("[Innovation platform portal] %(title)s: %(status)s") % {
                "title": app.call.title, "status": status}
            body = _(
                "%(org)s\n\nThe provincial department has published the result list of “%(call)s”. "
                "The result of your application: %(status)s.\n%(comment)s\n"
                "Sign in to the portal to see the details and the timeline."
            ) % {"org": app.organization.name, "call": app.call.title, "status": status,
                 "comment": comments.get(str(app.pk), "")}
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, sorted(recipients)))
    if messages:
        send_mass_mail(messages, fail_silently=False)
    return len(messages)


def _bureau_emails(app) -> set[str]:
    from portal.constants import OrgKind

    region = app.region
    if app.level == "county":
        orgs = {"organization__kind": OrgKind.COUNTY_BUREAU, "organization__region": region}
    elif app.level == "city":
        city = region if region.level == "city" else region.parent
        orgs = {"organization__kind": OrgKind.CITY_BUREAU, "organization__region": city}
    else:
        orgs = {"organization__kind": OrgKind.PROVINCIAL_DEPARTMENT, "organization__region": app.province}
    return set(
        Membership.objects.filter(is_active=True, user__email__gt="", role__in=[
            Role.BUREAU_REVIEWER, Role.BUREAU_HEAD, Role.PROVINCIAL_OFFICER, Role.PROVINCIAL_HEAD], **orgs)
        .values_list("user__email", flat=True)
    )
