"""E-mails sent after a state change has been committed."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import translation
from django.utils.translation import gettext as _

from portal.constants import Role
from portal.models import AuditEntry, Membership

from .constants import Status


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_transition(audit_id: int, notify_bureau: bool = False) -> int:
    """Tell the applicant (and, when work arrives, the bureau) what happened. Returns mails sent."""
    from .models import Application

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
        applicant = set(
            Membership.objects.filter(organization=app.organization, is_active=True, user__email__gt="")
            .values_list("user__email", flat=True)
        )
        if app.organization.contact_email:
            applicant.add(app.organization.contact_email)
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
