"""Who may see or do what with applications, their review files, materials and documents
(built on portal.access and programs.policy).

The result embargo (what the applicant's side sees of a decision) is `submissions.embargo`; what a
return for revision unlocks is `submissions.returns`.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user

from portal.access import ALLOW, Actor, Decision, can_file, can_view_organization, deny, region_in_scope, region_q
from portal.constants import OrgKind, RegionLevel, Role
from portal.models import Membership, Organization, Region, User
from programs.constants import CallStatus
from programs.deadlines import DeadlineBook, filing_deadline
from programs.policy import call_kind_decision, call_place_decision, can_view_call
from programs.workdays import WorkdayCalendar, end_of_day
from submissions import models as m
from submissions.constants import EDITABLE_STATUSES, FINAL_STATUSES, DocumentKind, Level, Status
from submissions.returns import path_unlocked, returned_editable

# --- Applications (submissions) ---------------------------------------------------------------


def applications_visible(actor: Actor):
    """Applicants see the applications of their organization (lead or member); bureaus and the
    province see submitted (non-draft) applications of their region scope; an expert the submitted
    applications of its province granted to it (one query; whether its review is still open is
    `can_view_application`'s question); operators see all."""

    qs = m.Application.objects.select_related("call__program", "organization", "region", "province")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_operator:
        return qs
    if actor.is_expert:
        return expert_granted(actor, qs)
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


def can_view_dashboard(actor: Actor) -> Decision:
    """The dashboard (/dashboard/): every bureau role and the provincial department, each with the
    figures of its own region."""
    if (actor.is_bureau or actor.is_provincial) and actor.region is not None:
        return ALLOW
    return deny(_("The dashboard is for the bureaus and the provincial department."))


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


def quota_panel_regions(actor: Actor, call) -> tuple[list[Region], list[Region]]:
    """The (cities, counties) of the queue's quota panel: a bureau's own region and, for a city, its
    counties; the province's staff its cities (the counties are on the quota page)."""
    cities, counties = quota_regions_visible(actor, call)
    return (cities, counties) if actor.is_bureau else (cities, [])


def quota_exceptions_visible(actor: Actor):
    """Extra places granted by the province: for the staff whose region scope holds the region."""
    qs = m.QuotaException.objects.select_related("call", "region", "granted_by")
    if actor.is_operator:
        return qs
    if not (actor.is_bureau or actor.is_provincial):
        return qs.none()
    return qs.filter(region_q(actor, "region"))


def can_make_summary_tables(actor: Actor) -> Decision:
    """The summary table (推荐申报汇总表) is made by the county bureau that recommends; the city
    bureau and the provincial department make their roll-ups (the counties' / the cities'
    recommendations)."""
    if (actor.is_bureau or actor.is_provincial) and actor.region is not None and actor.region.level in (
            RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE):
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
    if actor.is_expert:
        return expert_may_read(actor, app)
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


def can_decide_at_all(actor: Actor) -> Decision:
    """The decisions (认定 / 不予认定 / 试点), one by one or in bulk: the provincial department's."""
    if not actor.is_provincial:
        return deny(_("Only the provincial department records the decision."))
    return ALLOW


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
    deadline = filing_deadline(call=call, region=org.region, organization_id=org.pk)
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


def draft_versions_visible(actor: Actor, app):
    """The saved versions of a draft: for the lead organization's people (restoring one is an edit:
    `can_edit_application`)."""
    qs = m.DraftVersion.objects.filter(application=app).select_related("saved_by")
    return qs if _is_lead(actor, app) else qs.none()


# --- Documents: application packets and county summary tables ---
#
# A packet (one PDF of an application as submitted: cover, contents, form, materials) is read by
# whoever may read its application, except as a draft: the applicant (lead, member units, viewers
# included), the bureaus and the province whose scope holds the application's region, operators.
# Whoever may read it may have it built. A county summary table (推荐申报汇总表) belongs to the county
# bureau that recommends: that bureau has it built; the bureau itself, its city's bureau and its
# province read it. Nobody else learns that a document exists (the views answer 404).


def can_request_packet(actor: Actor, app) -> Decision:

    if actor.is_expert:
        return deny(_("Experts read the application on their review page; packets are for the applicant and the "
                      "bureaus."))
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
        return deny(_("A bureau makes the summary table of its own region only."))
    if call.province_id != region.province_id:
        return deny(_("This call belongs to another province."))
    return can_view_call(actor, call)


REGION_DOCUMENTS = (DocumentKind.COUNTY_SUMMARY, DocumentKind.CITY_SUMMARY, DocumentKind.PROVINCE_SUMMARY,
                    DocumentKind.LETTER, DocumentKind.BUNDLE)  # the documents of a region, not of one application


def _region_documents_q(actor: Actor) -> Q | None:
    """Which documents of a region (summary tables, letters, their bundles) the actor may read:
    the bureaus and the province those of their region scope, operators all (None: no restriction),
    nobody else any."""
    if actor.is_operator:
        return None
    if actor.is_authenticated and actor.membership is not None and not actor.is_expert and (
            actor.is_bureau or actor.is_provincial):
        return Q(kind__in=REGION_DOCUMENTS) & region_q(actor, "region")
    return Q(pk__in=[])


def documents_visible(actor: Actor):
    """The document jobs the actor may read (their status and, once built, their file)."""
    qs = m.DocumentJob.objects.select_related("call", "region", "application__organization", "receipt")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_operator:
        return qs
    if actor.is_expert:
        return qs.none()
    packets = Q(kind=DocumentKind.PACKET, application__in=applications_visible(actor).order_by().values("pk"))
    if actor.is_applicant:
        return qs.filter(packets)
    if not (actor.is_bureau or actor.is_provincial):
        return qs.none()
    return qs.filter(packets | _region_documents_q(actor))


def region_documents_visible(actor: Actor):
    """The documents of a region (summary tables, letters, bundles) the actor may read: what
    `documents_visible` gives of these kinds, without the applications' packets (one narrow query
    for the panels that list only these)."""
    qs = m.DocumentJob.objects.filter(kind__in=REGION_DOCUMENTS)
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    rule = _region_documents_q(actor)
    return qs if rule is None else qs.filter(rule)


def can_view_document(actor: Actor, job) -> Decision:

    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if actor.is_expert:
        return deny(_("Experts read the application on their review page; packets are for the applicant and the "
                      "bureaus."))
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


# A recommendation letter (推荐函) is made when a bureau head signs off a batch: it belongs to that
# bureau's region and is read like a summary table (the bureau, the levels above it). A bureau's
# seal is uploaded by its head, once, and used on its letters and summary tables.


def can_upload_seal(actor: Actor) -> Decision:
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if not (actor.is_bureau and actor.role == Role.BUREAU_HEAD):
        return deny(_("Only the head of a bureau uploads the bureau's seal."))
    return ALLOW


# Anyone holding a PDF the portal built may check it on the public verification page: the answer
# names the document's application or batch, found by the exact fingerprint (SHA-256) of the whole
# file, so it tells nothing to whoever does not already hold the signed file.


def document_by_fingerprint(sha256: str):
    """The finished document whose file has exactly this SHA-256 (None: none)."""
    if len(sha256) != 64:
        return None
    return (m.DocumentJob.objects.select_related("call", "region", "receipt", "application__organization")
            .filter(sha256=sha256.lower(), status="done").first())


# --- Experts (专家评审) -----------------------------------------------------------------------------
#
# An expert is an external account of one province's expert pool (Role.EXPERT in an organization of
# kind EXPERT_POOL attached to the province). It sees nothing by region: only the applications
# granted to it, one by one, with the per-object permission `submissions.review_as_expert`
# (django-guardian, on the direct foreign-key table ApplicationUserObjectPermission). The city bureau
# whose region holds an application, or the provincial department of its province, assigns experts
# of that province and removes them (submissions.review.experts, audited). A grant opens the
# application for reading while the review stage of the level that assigned it has not closed
# (programs.deadlines, extensions included) and the applicant has not withdrawn it; on a call with
# blind review (Call.blind_review) without the applicant's contact details (`can_view_contact_details`,
# submissions.blind). An expert edits, recommends, signs off and decides nothing, reads no review file,
# no timeline entries of the bureaus and no packet: the rules above refuse it.

EXPERT_PERMISSION = "review_as_expert"
EXPERT_PERM = f"submissions.{EXPERT_PERMISSION}"
EXPERT_HIDDEN_STATUSES = (Status.DRAFT, Status.WITHDRAWN)


def expert_granted(actor: Actor, qs=None):
    """The applications of the expert's province granted to it (guardian on the direct table: one
    query, no superuser or global shortcut)."""
    if not actor.is_expert or actor.user is None:
        return m.Application.objects.none()
    qs = m.Application.objects.all() if qs is None else qs
    granted = get_objects_for_user(actor.user, EXPERT_PERM, klass=qs, use_groups=False, with_superuser=False,
                                   accept_global_perms=False)
    return granted.filter(province_id=actor.province_id).exclude(status__in=EXPERT_HIDDEN_STATUSES)


def expert_grants(*, application=None, user=None):
    """The expert assignments (grant rows), of one application and/or one user."""
    qs = m.ApplicationUserObjectPermission.objects.filter(
        permission__codename=EXPERT_PERMISSION, permission__content_type__app_label="submissions")
    if application is not None:
        qs = qs.filter(content_object=application)
    if user is not None:
        qs = qs.filter(user=user)
    return qs


def expert_review_open(app, level: str, *, book: DeadlineBook | None = None, now=None) -> Decision:
    """Is the review stage of `level` (the level that assigned the expert) still open for the
    application's region? The one deadline resolver answers (extensions included)."""
    if level not in (Level.CITY, Level.PROVINCE):
        return deny(_("This assignment names no level of review."))
    deadline = (book or DeadlineBook([app.call_id])).for_application(app, level)
    if deadline.passed(now):
        return deny(_("The review stage “%(stage)s” closed at %(at)s; the experts' access ended with it.") % {
            "stage": deadline.stage.name, "at": timezone.localtime(deadline.at).strftime("%Y-%m-%d %H:%M")})
    return ALLOW


def expert_may_read(actor: Actor, app, *, level: str | None = None, book: DeadlineBook | None = None,
                    now=None) -> Decision:
    """May an expert read the application: granted to it, of its province, not withdrawn, and the
    assigning level's stage still open? (`level`: the grant's level when the caller loaded it.)"""
    if not actor.is_expert:
        return deny(_("Only an assigned expert reads an application this way."))
    if app.province_id != actor.province_id or app.status == Status.DRAFT:
        return deny(_("This application has not been assigned to you."))
    if app.status == Status.WITHDRAWN:
        return deny(_("The applicant has withdrawn this application."))
    if level is None:
        level = expert_grants(application=app, user=actor.user).values_list("level", flat=True).first()
        if level is None:
            return deny(_("This application has not been assigned to you."))
    return expert_review_open(app, level, book=book, now=now)


def expert_open_ids(actor: Actor, *, now=None) -> set[int]:
    """The ids of the expert's applications it may still read now (the assigning level's stage
    open): three queries whatever the number of assignments."""
    apps = list(expert_granted(actor).only("pk", "call_id", "region_id", "province_id", "status"))
    if not apps:
        return set()
    levels = dict(expert_grants(user=actor.user).filter(content_object__in=[a.pk for a in apps])
                  .values_list("content_object_id", "level"))
    book = DeadlineBook({a.call_id for a in apps})
    return {a.pk for a in apps
            if expert_may_read(actor, a, level=levels.get(a.pk) or "", book=book, now=now)}


def can_view_timeline(actor: Actor, app) -> Decision:
    """The timeline of an application: for whoever may see it, but not for an expert (it reads the
    application, never the bureaus' or the applicant's steps)."""
    if actor.is_expert:
        return deny(_("Experts do not read the timeline of an application."))
    return can_view_application(actor, app)


def can_score_as_expert(actor: Actor, app, *, conflicted: bool = False, now=None) -> Decision:
    """May the expert score the application (its level items, its opinion) or declare a conflict:
    it may read it now (assigned, its province, the assigning level's stage open) and has not
    declared a conflict of interest with it in this round."""
    decision = expert_may_read(actor, app, now=now)
    if not decision:
        return decision
    if conflicted:
        return deny(_("You declared a conflict of interest with this application; you do not score it."))
    return ALLOW


def can_ask_expert_round(actor: Actor, app, *, now=None) -> Decision:
    """May the actor ask the experts of the application for a further round: the level that assigns
    experts, while its review stage is open."""
    decision = can_manage_experts(actor, app)
    if not decision:
        return decision
    return expert_review_open(app, expert_assigning_level(actor) or "", now=now)


def can_review_as_expert(actor: Actor) -> Decision:
    """The expert's pages (专家评审): the experts of a province's pool."""
    if actor.is_expert:
        return ALLOW
    return deny(_("These pages are for the experts of the province's expert pool."))


def can_view_contact_details(actor: Actor, app) -> Decision:
    """The applicant's contact details (contact person, phone, e-mail, address): hidden from experts
    when the call's review is blind."""
    if actor.is_expert and app.call.blind_review:
        return deny(_("Blind review: the applicant's contact details are not shown to experts."))
    return ALLOW


def expert_assigning_level(actor: Actor) -> str | None:
    """The level at which the actor assigns experts: the provincial department, a city bureau."""
    if actor.is_provincial:
        return Level.PROVINCE
    if actor.is_bureau and actor.level == RegionLevel.CITY:
        return Level.CITY
    return None


def can_manage_experts(actor: Actor, app) -> Decision:
    """May the actor see the experts of the application, assign and remove them? The provincial
    department of its province and the city bureau whose region holds it."""
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if expert_assigning_level(actor) is None:
        return deny(_("Experts are assigned by the city bureau or the provincial department."))
    if actor.is_provincial:
        if app.province_id != actor.province_id:
            return deny(_("This application belongs to another province."))
    elif not region_in_scope(actor, app.region):
        return deny(_("This application is outside your region."))
    if app.status == Status.DRAFT:
        return deny(_("A draft is visible only to the applicant."))
    return ALLOW


def expert_pool_province_ids(user) -> set[int]:
    """The provinces whose expert pool the user is an active member of."""
    return set(
        Membership.objects.filter(user=user, role=Role.EXPERT, is_active=True, organization__kind=OrgKind.EXPERT_POOL,
                                  organization__is_approved=True)
        .values_list("organization__region__province_id", flat=True)
    )


def can_assign_expert(actor: Actor, app, expert, *, now=None) -> Decision:
    """May the actor assign `expert` (a user) to the application now?"""
    decision = can_manage_experts(actor, app)
    if not decision:
        return decision
    level = expert_assigning_level(actor)
    if app.routing and level not in app.routing:
        return deny(_("The application does not pass the %(level)s.") % {"level": Level(level).label})
    if app.status in FINAL_STATUSES or app.status == Status.PILOT:
        return deny(_("The review of this application is over."))
    deadline = DeadlineBook([app.call_id]).for_application(app, level)
    if deadline.passed(now):
        return deny(_("The review stage “%(stage)s” closed at %(at)s; experts can no longer be assigned.") % {
            "stage": deadline.stage.name, "at": timezone.localtime(deadline.at).strftime("%Y-%m-%d %H:%M")})
    provinces = expert_pool_province_ids(expert)
    if not provinces:
        return deny(_("Only members of an expert pool can be assigned as experts."))
    if app.province_id not in provinces:
        return deny(_("This expert belongs to the expert pool of another province."))
    orgs = _conflicting_organization_ids(app)
    if Membership.objects.filter(user=expert, organization_id__in=orgs, is_active=True).exists():
        return deny(_("This expert belongs to the applicant organization and cannot review its application."))
    if m.ConflictDeclaration.objects.filter(user=expert, organization_id__in=orgs).exists():
        return deny(_("This expert declared a conflict of interest with this applicant."))
    return ALLOW


def can_unassign_expert(actor: Actor, app, grant) -> Decision:
    """May the actor remove an assignment? The province any of its province; a city bureau those it made."""
    decision = can_manage_experts(actor, app)
    if not decision:
        return decision
    if not actor.is_provincial and grant.level != expert_assigning_level(actor):
        return deny(_("The provincial department assigned this expert; only it can remove the assignment."))
    return ALLOW


def experts_assignable(actor: Actor):
    """The experts the actor may choose from: the expert pool of its province (for the province and
    the city bureaus)."""
    if expert_assigning_level(actor) is None or actor.province_id is None:
        return User.objects.none()
    members = Membership.objects.filter(
        role=Role.EXPERT, is_active=True, organization__kind=OrgKind.EXPERT_POOL, organization__is_approved=True,
        organization__region__province_id=actor.province_id,
    ).values("user_id")
    return User.objects.filter(pk__in=members, is_active=True).order_by("last_name", "first_name", "username")


# --- public notice of result lists (公示) and objections (异议) ----------------------------------


def publicity_period(publication, calendar=None):
    """The public notice period (公示期) of a published result list: from its publication to the end
    (23:59:59, Asia/Shanghai) of its N-th working day, the publication day counting when it is a
    working day; N is set on the call and kept on the publication. Returns (start, end, warnings):
    computed from the working-day calendar each time, so a holiday entered later moves it."""
    start = publication.published_at
    first_day = timezone.localtime(start).date() - dt.timedelta(days=1)
    result = (calendar or WorkdayCalendar()).add_working_days(first_day, max(publication.publicity_working_days, 1))
    return start, end_of_day(result.date), result.warnings


def can_file_objection(publication, *, now=None) -> Decision:
    """Anyone (no account needed) may object to a result list during its public notice period;
    before and after it, nobody."""
    if publication is None:
        return deny(_("The results of this call have not been published."))
    now = now or timezone.now()
    start, end, _warnings = publicity_period(publication)
    if now < start:
        return deny(_("The public notice period has not begun."))
    if now > end:
        return deny(_("The public notice period ended at %(end)s (Beijing time); objections are no longer accepted.")
                    % {"end": timezone.localtime(end).strftime("%Y-%m-%d %H:%M:%S")})
    return ALLOW


def objections_visible(actor: Actor):
    """Objections are read by the provincial department of the call's province (and operators);
    nobody else, the applicants and bureaus included."""
    qs = m.Objection.objects.select_related("call__province", "publication", "handled_by")
    if actor.is_operator:
        return qs
    if actor.is_provincial and actor.region is not None:
        return qs.filter(call__province_id=actor.province_id)
    return qs.none()


def can_open_objection_desk(actor: Actor) -> Decision:
    """The objections page: the provincial department (and operators, reading)."""
    if actor.is_provincial or actor.is_operator:
        return ALLOW
    return deny(_("Only the provincial department handles objections."))


def can_handle_objection(actor: Actor, objection) -> Decision:
    """The provincial department of the call's province handles and answers an objection."""
    if not actor.is_provincial:
        return deny(_("Only the provincial department handles objections."))
    if objection.call.province_id != actor.province_id:
        return deny(_("This belongs to another province."))
    return ALLOW


def can_take_objection(actor: Actor, objection) -> Decision:
    """Take an objection in hand: only a received one (received → being handled)."""
    decision = can_handle_objection(actor, objection)
    if decision and objection.status != "received":
        return deny(_("This objection is already being handled."))
    return decision


def can_answer_objection(actor: Actor, objection) -> Decision:
    """Answer an objection not answered yet (received or being handled → answered)."""
    decision = can_handle_objection(actor, objection)
    if decision and objection.status == "answered":
        return deny(_("This objection has been answered already."))
    return decision
