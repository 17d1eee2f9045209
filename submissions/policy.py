"""Who may see or do what with applications, their review files, materials and documents
(built on portal.access and programs.policy).

The result embargo (what the applicant's side sees of a decision) is `submissions.embargo`; what a
return for revision unlocks is `submissions.returns`.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from portal.access import ALLOW, Actor, Decision, can_file, can_view_organization, deny, region_in_scope, region_q
from portal.constants import RegionLevel, Role
from portal.models import Membership, Organization, Region
from programs.constants import CallStatus
from programs.deadlines import filing_deadline
from programs.policy import call_kind_decision, call_place_decision, can_view_call
from submissions import models as m
from submissions.constants import EDITABLE_STATUSES, DocumentKind, Status
from submissions.returns import path_unlocked, returned_editable

# --- Applications (submissions) ---------------------------------------------------------------


def applications_visible(actor: Actor):
    """Applicants see the applications of their organization (lead or member); bureaus and the
    province see submitted (non-draft) applications of their region scope; operators see all."""

    qs = m.Application.objects.select_related("call__program", "organization", "region", "province")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_operator:
        return qs
    if actor.is_applicant:
        org = actor.organization
        member_of = m.ApplicationMember.objects.filter(organization=org).values("application_id")
        return qs.filter(Q(organization=org) | Q(pk__in=member_of))
    scope = region_q(actor, "region")
    return qs.exclude(status=Status.DRAFT).filter(scope)


def can_follow_applications(actor: Actor) -> Decision:
    """我的政策 and 我的业务: the pages of an applicant organization (read-only viewers included)."""
    if actor.membership is not None and actor.is_applicant:
        return ALLOW
    return deny(_("These pages are for applicant organizations."))


def can_work_review_queue(actor: Actor) -> Decision:
    """The review pages (queue, review files, quotas, deadlines): bureaus and the provincial
    department (each scoped to its own level and region), and platform operators."""
    if actor.is_bureau or actor.is_provincial or actor.is_operator:
        return ALLOW
    return deny(_("The review pages are for the bureaus and the provincial department."))


def can_recommend_at_all(actor: Actor) -> Decision:
    """Bureaus recommend within their quota (the province decides; it does not recommend)."""
    if actor.is_bureau:
        return ALLOW
    return deny(_("Only the reviewing bureaus recommend."))


def quota_region_of(actor: Actor) -> Region | None:
    """The region whose quota a recommending bureau spends (None for everyone else)."""
    return actor.region if can_recommend_at_all(actor) and actor.region is not None else None


def quota_regions_visible(actor: Actor, call) -> tuple[list[Region], list[Region]]:
    """The (cities, counties) whose quota use for `call` the actor may read: the province's staff
    and operators all of the call's province, a city bureau its city and counties, a county bureau
    itself; nobody another province's."""
    own = actor.region
    if actor.is_operator or (actor.is_provincial and own is not None and own.province_id == call.province_id):
        return (list(Region.objects.filter(province_id=call.province_id, level=RegionLevel.CITY).order_by("code")),
                list(Region.objects.filter(province_id=call.province_id, level=RegionLevel.COUNTY)
                     .select_related("city").order_by("code")))
    if not actor.is_bureau or own is None or own.province_id != call.province_id:
        return [], []
    if own.level == RegionLevel.CITY:
        return [own], list(Region.objects.filter(city_id=own.pk, level=RegionLevel.COUNTY).order_by("code"))
    return [], [own]


def quota_exceptions_visible(actor: Actor):
    """Extra places granted by the province: for the staff whose region scope holds the region."""
    qs = m.QuotaException.objects.select_related("call", "region", "granted_by")
    if actor.is_operator:
        return qs
    if not (actor.is_bureau or actor.is_provincial):
        return qs.none()
    return qs.filter(region_q(actor, "region"))


def can_make_summary_tables(actor: Actor) -> Decision:
    """The county summary table (推荐申报汇总表) is made by the county bureau that recommends."""
    if actor.is_bureau and actor.region is not None and actor.region.level == RegionLevel.COUNTY:
        return ALLOW
    return deny(_("The summary table is made by the county bureau that recommends."))


def application_page_name(actor: Actor, app) -> str:
    """Which page shows an application to the actor: the review file on the review side, else the
    applicant's page."""
    return "review-detail" if can_view_review(actor, app) else "applicant-application"


def _is_lead(actor: Actor, app) -> bool:
    return actor.is_applicant and actor.organization is not None and app.organization_id == actor.organization.pk


def writes_for_lead(actor: Actor, app) -> bool:
    """Does the actor write for the lead unit of the application (its administrator or a filer)?"""
    return _is_lead(actor, app) and actor.role != Role.APPLICANT_VIEWER


def _is_member(actor: Actor, app) -> bool:
    if not actor.is_applicant or actor.organization is None:
        return False
    return app.members.filter(organization=actor.organization).exists()


def can_view_application(actor: Actor, app) -> Decision:

    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if actor.is_operator or _is_lead(actor, app) or _is_member(actor, app):
        return ALLOW
    if actor.is_applicant:
        return deny(_("This application belongs to another organization."))
    if app.status == Status.DRAFT:
        return deny(_("A draft is visible only to the applicant."))
    if region_in_scope(actor, app.region):
        return ALLOW
    return deny(_("This application is outside your region."))


def can_edit_application(actor: Actor, app) -> Decision:

    if actor.role == Role.APPLICANT_VIEWER and (_is_lead(actor, app) or _is_member(actor, app)):
        return deny(_("You can read your organization's applications; a viewer cannot change them."))
    if not _is_lead(actor, app):
        if _is_member(actor, app):
            return deny(_("Member units can read the application; the lead unit fills it in."))
        return deny(_("Only the applicant can change its application."))
    if app.status not in EDITABLE_STATUSES:
        return deny(_("The application has been submitted and is read-only."))
    return ALLOW


def can_submit_application(actor: Actor, app) -> Decision:
    decision = can_edit_application(actor, app)
    if not decision:
        return decision
    if actor.role != Role.APPLICANT_ADMIN:
        return deny(_("Only the administrator of the organization can submit; a filer prepares the draft."))
    return ALLOW


def can_withdraw_application(actor: Actor, app) -> Decision:

    if not _is_lead(actor, app) or actor.role != Role.APPLICANT_ADMIN:
        return deny(_("Only the administrator of the applicant can withdraw its application."))
    if app.status != Status.SUBMITTED:
        return deny(_("An application can be withdrawn only before its review starts."))
    return ALLOW


def _acts_at_level(actor: Actor, app) -> Decision:
    if actor.is_provincial:
        if app.level != "province" or app.province_id != actor.province_id:
            return deny(_("The application is not with the provincial department."))
        return no_conflict_of_interest(actor, app)
    if not actor.is_bureau:
        return deny(_("Only the reviewing bureau can do this."))
    if actor.level != app.level:
        return deny(_("The application is not at your level of review."))
    if not region_in_scope(actor, app.region):
        return deny(_("This application is outside your region."))
    return no_conflict_of_interest(actor, app)


def can_review_application(actor: Actor, app) -> Decision:
    return _acts_at_level(actor, app)


def can_recommend_application(actor: Actor, app) -> Decision:
    decision = _acts_at_level(actor, app)
    if decision and actor.is_provincial:
        return deny(_("The provincial department decides; it does not recommend."))
    return decision


def can_sign_off_application(actor: Actor, app) -> Decision:
    decision = can_recommend_application(actor, app)
    if decision and actor.role != Role.BUREAU_HEAD:
        return deny(_("Only the head of the bureau signs off its recommendations."))
    return decision


def can_decide_application(actor: Actor, app) -> Decision:
    if not actor.is_provincial:
        return deny(_("Only the provincial department records the decision."))
    return _acts_at_level(actor, app)


# --- Applications: review side ---
#
# Conflicts of interest: a user who belongs to the applicant organization (or to a member unit of
# its application), or who declared a relation with one of them, may not review, recommend, sign
# off or decide that application (checked in `_acts_at_level`, hence by every bureau transition).
# The review file (reviews, bureau scores, corrections, site verifications, photos, materials as
# the bureau sees them) is for the bureaus and the province whose scope holds the application, and
# for operators; never for applicants. The timeline (transitions) is for everyone who may see the
# application; bureau-internal entries (corrections, scores, site visits, opinions) only for the
# review side. Quota exceptions, deadline extensions and result lists are the province's.


def _conflicting_organization_ids(app) -> set[int]:
    ids = {app.organization_id}
    ids.update(
        m.ApplicationMember.objects.filter(application_id=app.pk, organization__isnull=False)
        .values_list("organization_id", flat=True)
    )
    return ids


def no_conflict_of_interest(actor: Actor, app) -> Decision:
    """Refuse a reviewer who belongs to, or declared a relation with, the applicant (or a member unit)."""
    if not actor.is_authenticated:
        return deny(_("Please sign in."))
    orgs = _conflicting_organization_ids(app)
    if Membership.objects.filter(user=actor.user, organization_id__in=orgs, is_active=True).exists():
        return deny(_("You belong to the applicant organization and cannot review its application."))
    if m.ConflictDeclaration.objects.filter(user=actor.user, organization_id__in=orgs).exists():
        return deny(_("You declared a conflict of interest with this applicant and cannot review its application."))
    return ALLOW


def can_view_review(actor: Actor, app) -> Decision:
    """The review file of an application: bureaus and province in scope, operators."""
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if actor.is_applicant:
        return deny(_("The review file is kept by the bureaus."))
    if not (actor.is_operator or actor.is_bureau or actor.is_provincial):
        return deny(_("Only the reviewing bureaus can see the review file."))
    return can_view_application(actor, app)


def review_applications_visible(actor: Actor):
    """Applications whose review file the actor may see (none for applicants)."""
    if actor.is_applicant or not (actor.is_operator or actor.is_bureau or actor.is_provincial):
        return m.Application.objects.none()
    return applications_visible(actor)


def reviews_visible(actor: Actor):
    return m.Review.objects.filter(application__in=review_applications_visible(actor).values("pk"))


def site_visits_visible(actor: Actor):
    return m.SiteVisit.objects.filter(application__in=review_applications_visible(actor).values("pk"))


def can_declare_conflict(actor: Actor, organization: Organization) -> Decision:
    if not (actor.is_bureau or actor.is_provincial):
        return deny(_("Only reviewers declare conflicts of interest."))
    return can_view_organization(actor, organization)


def conflict_declarations_visible(actor: Actor):
    """One's own declarations; a bureau or provincial head also sees those of the colleagues."""
    qs = m.ConflictDeclaration.objects.select_related("user", "organization")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_operator:
        return qs
    if actor.role in (Role.BUREAU_HEAD, Role.PROVINCIAL_HEAD):
        colleagues = Membership.objects.filter(organization=actor.organization, is_active=True).values("user_id")
        return qs.filter(Q(user=actor.user) | Q(user_id__in=colleagues))
    return qs.filter(user=actor.user)


def can_start_application(actor: Actor, call, *, now=None, existing=None) -> Decision:
    """May the actor open an application of its organization to `call` now? (`existing`: the
    organization's live application to the call if the caller already knows it, else looked up.)"""

    decision = can_file(actor)
    if not decision:
        return decision
    org = actor.organization
    for decision in (call_place_decision(org, call), call_kind_decision(org, call)):
        if not decision:
            return decision
    if call.status != CallStatus.PUBLISHED:
        return deny(_("This call is closed."))
    deadline = filing_deadline(call=call, region=org.region)
    if deadline.passed(now):
        return deny(deadline.passed_message())
    if existing is None:

        existing = (
            m.Application.objects.filter(call=call, organization=org)
            .exclude(status=Status.WITHDRAWN).first()
        )
    if existing:
        return deny(_("Your organization already has an application to this call."))
    return ALLOW


def can_change_part(actor: Actor, app, path: str) -> Decision:
    """May the actor change one part of the application (a data path, "members")?"""

    decision = can_edit_application(actor, app)
    if not decision:
        return decision
    if app.status == Status.RETURNED:
        everything, paths, _materials = returned_editable(app)
        if not everything and not path_unlocked(path, paths):
            return deny(_("The bureau returned the application for other items; this one cannot change."))
    return ALLOW


def can_upload_attachment(actor: Actor, app, material) -> Decision:

    decision = can_edit_application(actor, app)
    if not decision:
        return decision
    if material.call_id != app.call_id:
        return deny(_("This material is not asked by the call."))
    if app.status == Status.RETURNED:
        everything, _paths, materials = returned_editable(app)
        if not everything and material.code not in materials:
            return deny(_("The bureau returned the application for other items; this material cannot change."))
    return ALLOW


def can_view_attachment(actor: Actor, attachment) -> Decision:
    return can_view_application(actor, attachment.application)


def can_manage_application_members(actor: Actor, app) -> Decision:
    if not app.call.program.multi_organization:
        return deny(_("This program is filed by one organization; it has no member units."))
    return can_change_part(actor, app, "members")


def draft_conflicts_visible(actor: Actor, app):
    """Refused saves of a draft: kept for the person who typed them (and the lead's administrator)."""
    qs = m.DraftConflict.objects.filter(application=app).select_related("user")
    if not _is_lead(actor, app):
        return qs.none()
    if actor.role == Role.APPLICANT_ADMIN:
        return qs
    return qs.filter(user=actor.user)


# --- Documents: application packets and county summary tables ---
#
# A packet (one PDF of an application as submitted: cover, contents, form, materials) is read by
# whoever may read its application, except as a draft: the applicant (lead, member units, viewers
# included), the bureaus and the province whose scope holds the application's region, operators.
# Whoever may read it may have it built. A county summary table (推荐申报汇总表) belongs to the county
# bureau that recommends: that bureau has it built; the bureau itself, its city's bureau and its
# province read it. Nobody else learns that a document exists (the views answer 404).


def can_request_packet(actor: Actor, app) -> Decision:

    decision = can_view_application(actor, app)
    if not decision:
        return decision
    if app.status == Status.DRAFT:
        return deny(_("A draft has no packet: submit the application first."))
    if not app.receipts.exists():
        return deny(_("The application has no receipt yet."))
    return ALLOW


def can_request_summary(actor: Actor, call, region: Region) -> Decision:
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    decision = can_make_summary_tables(actor)
    if not decision:
        return decision
    if region.pk != actor.region.pk:
        return deny(_("A county bureau makes the summary table of its own county only."))
    if call.province_id != region.province_id:
        return deny(_("This call belongs to another province."))
    return can_view_call(actor, call)


def documents_visible(actor: Actor):
    """The document jobs the actor may read (their status and, once built, their file)."""
    qs = m.DocumentJob.objects.select_related("call", "region", "application__organization", "receipt")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_operator:
        return qs
    packets = Q(kind=DocumentKind.PACKET, application__in=applications_visible(actor).order_by().values("pk"))
    if actor.is_applicant:
        return qs.filter(packets)
    if not (actor.is_bureau or actor.is_provincial):
        return qs.none()
    return qs.filter(packets | (Q(kind=DocumentKind.COUNTY_SUMMARY) & region_q(actor, "region")))


def can_view_document(actor: Actor, job) -> Decision:

    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if job.kind == DocumentKind.PACKET:
        app = job.application
        if app is None:
            return deny(_("This document belongs to no application."))
        decision = can_view_application(actor, app)
        if decision and app.status == Status.DRAFT:
            return deny(_("A draft has no packet: submit the application first."))
        return decision
    if actor.is_applicant or not (actor.is_operator or actor.is_bureau or actor.is_provincial):
        return deny(_("Summary tables are kept by the bureaus."))
    if region_in_scope(actor, job.region):
        return ALLOW
    return deny(_("This summary table belongs to another region."))
