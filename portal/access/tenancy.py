"""Access rules of the tenancy core: organizations, memberships, the audit list, registration of
applicant accounts and reference data."""

from __future__ import annotations

from typing import Callable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from portal.constants import APPLICANT_KINDS, OrgKind, RegionLevel, Role
from portal.models import AuditEntry, Membership, Organization, Region

from .core import ALLOW, Actor, Decision, deny, region_in_scope, region_q

# Filters an app adds to the audit list an applicant reads (the result embargo of submissions hides
# the province's decisions until the result list is published). Registered at start-up by the apps.
_applicant_audit_filters: list[Callable[[], Q]] = []


def register_applicant_audit_filter(build_q: Callable[[], Q]) -> None:
    """Apps restrict the audit entries an applicant may read (called from their AppConfig.ready)."""
    if build_q not in _applicant_audit_filters:
        _applicant_audit_filters.append(build_q)

# --- Organizations -------------------------------------------------------------------


def organizations_visible(actor: Actor) -> QuerySet[Organization]:
    qs = Organization.objects.select_related("region__city", "region__province")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_applicant:
        return qs.filter(pk=actor.organization.pk)
    scope = region_q(actor, "region")
    return qs if scope is None else qs.filter(scope)


def can_view_organization(actor: Actor, org: Organization) -> Decision:
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if actor.is_applicant:
        if org.pk == actor.organization.pk:
            return ALLOW
        return deny(_("You can only see your own organization."))
    if region_in_scope(actor, org.region):
        return ALLOW
    return deny(_("This organization is outside your region."))


def can_change_organization(actor: Actor, org: Organization) -> Decision:
    if actor.is_operator:
        return ALLOW
    if actor.role == Role.APPLICANT_ADMIN and org.pk == actor.organization.pk:
        return ALLOW
    if actor.is_applicant and org.pk == actor.organization.pk:
        return deny(_("Only the administrator of your organization can change its profile."))
    visible = can_view_organization(actor, org)
    if not visible:
        return visible
    return deny(_("Only the organization itself can change its profile."))


def can_import_organizations(actor: Actor) -> Decision:
    """The provincial department (organizations of its province) and operators import
    organizations from a table."""
    if actor.is_operator or actor.is_provincial:
        return ALLOW
    return deny(_("Only the provincial department imports organizations."))


# --- Memberships -------------------------------------------------------------------------


def memberships_visible(actor: Actor) -> QuerySet[Membership]:
    qs = Membership.objects.select_related("user", "organization__region")
    if not actor.is_authenticated:
        return qs.none()
    if actor.is_operator:
        return qs
    own = Q(user=actor.user)
    if actor.membership is None:
        return qs.filter(own)
    if actor.role in (Role.APPLICANT_ADMIN, Role.BUREAU_HEAD, Role.PROVINCIAL_HEAD):
        return qs.filter(own | Q(organization=actor.organization))
    return qs.filter(own)


# --- Audit -------------------------------------------------------------------------------


def audit_visible(actor: Actor) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("actor")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_operator:
        return qs
    if actor.is_applicant:  # without the province's decisions whose result list is not published yet
        qs = qs.filter(organization=actor.organization)
        for build_q in _applicant_audit_filters:
            qs = qs.filter(build_q())
        return qs
    if actor.is_provincial:
        return qs.filter(province_id=actor.province_id)
    scope = region_q(actor, "region")
    return qs.filter(scope)


# --- Operators -----------------------------------------------------------------------------------


def can_record_credit_code_exception(actor: Actor) -> Decision:
    if actor.is_operator:
        return ALLOW
    return deny(_("Only platform operators can record an exception for a legacy credit code."))


def is_platform_operator(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, role=Role.PLATFORM_OPERATOR, is_active=True, organization__kind=OrgKind.PLATFORM_OPERATOR
    ).exists()


def _applicant_ready(actor: Actor) -> Decision:
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if not actor.is_applicant:
        return deny(_("Only applicant organizations apply."))
    if not actor.organization.is_approved:
        return deny(_("Your organization's account is waiting for approval by the county bureau."))
    if actor.role == Role.APPLICANT_VIEWER:
        return deny(_("You can read your organization's applications; a viewer cannot change them."))
    return ALLOW


def can_file(actor: Actor) -> Decision:
    """May the actor file applications for its organization at all (an approved applicant account,
    not a read-only viewer)? The per-call checks are in `can_start_application`."""
    return _applicant_ready(actor)


def registration_requires_approval(region: Region) -> bool:
    """A province may require a bureau to approve new applicant accounts (Guizhou does):
    the province region's attribute ``requires_account_approval``."""
    province = region.province if region.province_id and region.province_id != region.pk else region
    return bool((province.attributes or {}).get("requires_account_approval"))


def _approving_region_q(actor: Actor) -> Q | None:
    if actor.is_operator:
        return None
    region = actor.region
    if not actor.is_bureau or region is None:
        return Q(pk__in=[])
    if region.level == RegionLevel.COUNTY:
        return Q(region_id=region.pk)
    if region.level == RegionLevel.CITY:  # a city bureau approves the units registered at city level
        return Q(region_id=region.pk)
    return Q(pk__in=[])


def registrations_pending(actor: Actor) -> QuerySet[Organization]:
    """Applicant organizations waiting for the actor's approval."""

    scope = _approving_region_q(actor)
    qs = Organization.objects.filter(is_approved=False, kind__in=list(APPLICANT_KINDS)).filter(
        pk__in=Membership.objects.filter(is_active=True).values("organization_id")
    ).select_related("region__city", "region__province")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    return qs if scope is None else qs.filter(scope)


def can_approve_registration(actor: Actor, org: Organization) -> Decision:
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if not org.is_applicant:
        return deny(_("Only applicant organizations register here."))
    if actor.is_operator:
        return ALLOW
    if not actor.is_bureau:
        return deny(_("New accounts are approved by the bureau of the county the organization registered in."))
    if actor.region is None or org.region_id != actor.region.pk:
        return deny(_("This organization registered in another region."))
    return ALLOW


def can_invite_colleague(actor: Actor, org: Organization) -> Decision:
    decision = _applicant_ready(actor)
    if not decision:
        return decision
    if org.pk != actor.organization.pk:
        return deny(_("You can only invite colleagues to your own organization."))
    if actor.role != Role.APPLICANT_ADMIN:
        return deny(_("Only the administrator of your organization can invite colleagues."))
    return ALLOW


# --- Pages of the tenancy core (the navigation asks the same rules) ----------------------------------


def can_approve_registrations(actor: Actor) -> Decision:
    """The queue of new accounts waiting for approval: bureaus (of their region) and operators."""
    if actor.is_bureau or actor.is_operator:
        return ALLOW
    return deny(_("New accounts are approved by the bureau of the county the organization registered in."))


def can_manage_colleagues(actor: Actor) -> Decision:
    """The colleagues page of an applicant organization (inviting needs `can_invite_colleague`)."""
    if actor.is_applicant:
        return ALLOW
    return deny(_("These pages are for applicant organizations."))


def can_list_organizations(actor: Actor) -> Decision:
    """The organizations in the actor's scope (bureaus, provincial staff, operators)."""
    if actor.is_bureau or actor.is_provincial or actor.is_operator:
        return ALLOW
    return deny(_("Only bureaus and the provincial department list organizations."))


def can_view_own_organization(actor: Actor) -> Decision:
    """An applicant's page of its own organization."""
    if actor.membership is not None and actor.is_applicant:
        return ALLOW
    return deny(_("Only applicant organizations have this page."))


def can_operate_platform(actor: Actor) -> Decision:
    """The operators' administration pages."""
    if actor.is_operator:
        return ALLOW
    return deny(_("Only platform operators run the platform."))
