"""The one access layer: who may see or do what.

Every view and API endpoint asks here. Two mechanisms:

* region scoping for the bulk of the data: a county bureau sees its county, a city bureau its
  city and counties, a provincial department its province, an applicant itself; nobody crosses
  a province (platform operators run the platform and see everything);
* django-guardian object permissions, on direct foreign-key tables, for sparse per-object grants
  (e.g. a reviewer invited to preview one draft call).

Rules return a `Decision` (allowed, reason) so a screen can say why something is not possible.
Querysets returned here are already scoped: views must not widen them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from .constants import (
    APPLICANT_ROLES,
    BUREAU_ROLES,
    PROVINCIAL_ROLES,
    OrgKind,
    RegionLevel,
    Role,
)
from .models import AuditEntry, Membership, Organization, Region, User


class Decision(NamedTuple):
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:  # `if can_x(...):` reads naturally
        return self.allowed


ALLOW = Decision(True, "")


def deny(reason: str) -> Decision:
    return Decision(False, reason)


@dataclass(frozen=True)
class Actor:
    """Who is asking: a user acting through one membership (or anonymous)."""

    user: User | None
    membership: Membership | None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_authenticated

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def organization(self) -> Organization | None:
        return self.membership.organization if self.membership else None

    @property
    def region(self) -> Region | None:
        return self.organization.region if self.organization else None

    @property
    def province_id(self) -> int | None:
        region = self.region
        return region.province_id if region else None

    @property
    def is_operator(self) -> bool:
        return self.role == Role.PLATFORM_OPERATOR

    @property
    def is_applicant(self) -> bool:
        return self.role in APPLICANT_ROLES

    @property
    def is_bureau(self) -> bool:
        return self.role in BUREAU_ROLES

    @property
    def is_provincial(self) -> bool:
        return self.role in PROVINCIAL_ROLES

    @property
    def level(self) -> str | None:
        """The level of region the actor governs (county, city, province) if a bureau/department."""
        if self.is_provincial:
            return RegionLevel.PROVINCE
        if self.is_bureau and self.region:
            return self.region.level
        return None


ANONYMOUS = Actor(user=None, membership=None)


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True, organization__is_approved=True)
        .select_related("organization__region__province", "organization__region__city")
        .order_by("id")
    )


def actor_for(user) -> Actor:
    """The actor for a user: their active membership, or their first one."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    memberships = list(memberships_of(user))
    chosen = next((m for m in memberships if m.pk == user.active_membership_id), None)
    if chosen is None and memberships:
        chosen = memberships[0]
    return Actor(user=user, membership=chosen)


def actor_of(request) -> Actor:
    """The actor of a request (set by ActorMiddleware; computed if a request bypassed it)."""
    actor = getattr(request, "actor", None)
    if actor is None:
        actor = actor_for(getattr(request, "user", None))
    return actor


# --- Region scoping ----------------------------------------------------------------


def region_q(actor: Actor, field: str) -> Q | None:
    """A Q restricting rows whose `field` (path to a Region) lies in the actor's region scope.

    None means no restriction (platform operator). A Q matching nothing is returned for
    actors without a scope (anonymous, applicants: they are scoped by organization instead).
    """
    if actor.is_operator:
        return None
    region = actor.region
    if region is None or not (actor.is_bureau or actor.is_provincial):
        return Q(pk__in=[])
    if actor.is_provincial:
        return Q(**{f"{field}__province_id": region.province_id})
    if region.level == RegionLevel.CITY:
        return Q(**{f"{field}__city_id": region.pk}) | Q(**{field: region.pk})
    if region.level == RegionLevel.COUNTY:
        return Q(**{field: region.pk})
    return Q(pk__in=[])


def region_in_scope(actor: Actor, region: Region) -> bool:
    if actor.is_operator:
        return True
    own = actor.region
    if own is None or not (actor.is_bureau or actor.is_provincial):
        return False
    if actor.is_provincial:
        return region.province_id == own.province_id
    if own.level == RegionLevel.CITY:
        return region.pk == own.pk or region.city_id == own.pk
    return region.pk == own.pk


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


def can_manage_memberships(actor: Actor, org: Organization) -> Decision:
    if actor.is_operator:
        return ALLOW
    if actor.membership and actor.organization.pk == org.pk and actor.role in (
        Role.APPLICANT_ADMIN, Role.BUREAU_HEAD, Role.PROVINCIAL_HEAD
    ):
        return ALLOW
    return deny(_("Only the administrator or head of this organization can manage its members."))


# --- Audit -------------------------------------------------------------------------------


def audit_visible(actor: Actor) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("actor")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_operator:
        return qs
    if actor.is_applicant:  # without the province's decisions whose result list is not published yet
        return qs.filter(organization=actor.organization).filter(_applicant_entries_q(_call_of_entry()))
    if actor.is_provincial:
        return qs.filter(province_id=actor.province_id)
    scope = region_q(actor, "region")
    return qs.filter(scope)


# --- Calls (programs) ------------------------------------------------------------------


def _call_model():
    from programs.models import Call

    return Call


def calls_visible(actor: Actor):
    """Published and closed calls are public notices; drafts only for their province's staff,
    a user granted `view_call` on that draft, and operators."""
    from guardian.shortcuts import get_objects_for_user
    from programs.constants import CallStatus

    Call = _call_model()
    qs = Call.objects.select_related("province", "program", "issuing_region")
    if actor.is_operator:
        return qs
    public = Q(status__in=[CallStatus.PUBLISHED, CallStatus.CLOSED])
    if actor.is_provincial:
        public |= Q(province_id=actor.province_id)
    if actor.is_authenticated:
        granted = get_objects_for_user(
            actor.user, "programs.view_call", klass=Call, use_groups=False, with_superuser=False,
            accept_global_perms=False,
        ).values("pk")
        public |= Q(pk__in=granted)
    return qs.filter(public)


def can_view_call(actor: Actor, call) -> Decision:
    from programs.constants import CallStatus

    if call.status in (CallStatus.PUBLISHED, CallStatus.CLOSED):
        return ALLOW
    if actor.is_operator:
        return ALLOW
    if actor.is_provincial and call.province_id == actor.province_id:
        return ALLOW
    if actor.is_authenticated and actor.user.has_perm("programs.view_call", call):
        return ALLOW
    return deny(_("This call has not been published."))


def can_change_call(actor: Actor, call) -> Decision:
    if actor.is_operator:
        return ALLOW
    if not actor.is_provincial:
        return deny(_("Only the provincial department that issues a call can change it."))
    if call.province_id != actor.province_id:
        return deny(_("This call belongs to another province."))
    return ALLOW


def can_create_call(actor: Actor, province: Region) -> Decision:
    if actor.is_operator:
        return ALLOW
    if actor.is_provincial and province.pk == actor.province_id:
        return ALLOW
    return deny(_("Only the provincial department can publish calls for its province."))


def can_publish_call(actor: Actor, call) -> Decision:
    decision = can_change_call(actor, call)
    if not decision:
        return decision
    return ALLOW


# --- Regions and calendar (reference data) ----------------------------------------------


def can_change_reference_data(actor: Actor) -> Decision:
    """Regions, program types and the holiday calendar are kept by platform operators."""
    if actor.is_operator:
        return ALLOW
    return deny(_("Only platform operators can change reference data."))


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


# --- Scoring (rubrics, assessments) ---
#
# Rubrics: a published version is a public notice (anyone may read it and try the calculator);
# a draft is seen only by the provincial officers and heads of the province that owns it, and by
# operators. Uploading a rubric file and publishing a version is for the provincial officers and
# heads of the owning province (a new code is owned by the uploader's province) and operators.
#
# Assessments: who may record which kind, of whom, with a published version only:
#   applicant admin / filer  -> `self`, of their own organization;
#   county bureau (reviewer / head) -> `county`, of an applicant registered in its county;
#   city bureau (reviewer / head)   -> `city`, of an applicant in its city or the city's counties;
#   provincial officer / head       -> `expert` (entered for the expert panel), of an applicant in
#                                      the province;
#   platform operators and everybody else -> nothing (operators run the platform, they don't score).
# Who may read them: scoped like organizations (bureaus: their region; provincial staff: their
# province; operators: all); an applicant sees its own organization's self, county and city
# assessments, never the experts' (the expert review is not disclosed to applicants).


def _scoring():
    from scoring import models as scoring_models

    return scoring_models


def rubric_owner_province_id(code: str) -> int | None:
    """The province owning a rubric code: that of its newest version naming one (None: unowned)."""
    RubricVersion = _scoring().RubricVersion
    return (
        RubricVersion.objects.filter(rubric__code=code, province__isnull=False)
        .order_by("-version")
        .values_list("province_id", flat=True)
        .first()
    )


def rubric_versions_visible(actor: Actor):
    from scoring.constants import RubricStatus

    RubricVersion = _scoring().RubricVersion
    qs = RubricVersion.objects.select_related("rubric", "province")
    if actor.is_operator:
        return qs
    visible = Q(status=RubricStatus.PUBLISHED)
    if actor.is_provincial and actor.province_id:
        visible |= Q(province_id=actor.province_id)
    return qs.filter(visible)


def can_view_rubric_version(actor: Actor, version) -> Decision:
    if version.is_published or actor.is_operator:
        return ALLOW
    if actor.is_provincial and version.province_id and version.province_id == actor.province_id:
        return ALLOW
    return deny(_("This rubric version has not been published."))


def can_upload_rubric(actor: Actor, code: str = "", province_code: str = "") -> Decision:
    """May the actor upload a rubric file (for `code`, naming `province_code` as its issuer)?"""
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if actor.is_operator:
        return ALLOW
    if not actor.is_provincial:
        return deny(_("Only provincial officers can upload rubrics."))
    if province_code and actor.region is not None and province_code != actor.region.province.code:
        return deny(_("The file names another province as its issuer."))
    if code:
        owner = rubric_owner_province_id(code)
        if owner is not None and owner != actor.province_id:
            return deny(_("This rubric belongs to another province."))
    return ALLOW


def can_publish_rubric_version(actor: Actor, version) -> Decision:
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    if not (actor.is_operator or actor.is_provincial):
        return deny(_("Only provincial officers can publish rubrics."))
    if not actor.is_operator and (version.province_id is None or version.province_id != actor.province_id):
        return deny(_("This rubric belongs to another province."))
    if version.is_published:
        return deny(_("This version is already published."))
    return ALLOW


def assessment_kind_for(actor: Actor) -> str | None:
    """The kind of assessment the actor records (None: the actor records none)."""
    from scoring.constants import ScorerKind

    if actor.membership is None:
        return None
    if actor.is_applicant:
        return ScorerKind.SELF if actor.role != Role.APPLICANT_VIEWER else None
    if actor.is_bureau and actor.region is not None:
        return {RegionLevel.COUNTY: ScorerKind.COUNTY, RegionLevel.CITY: ScorerKind.CITY}.get(actor.region.level)
    if actor.is_provincial:
        return ScorerKind.EXPERT
    return None


def can_record_assessment(actor: Actor, organization: Organization, scorer_kind: str, rubric_version) -> Decision:
    if not actor.is_authenticated or actor.membership is None:
        return deny(_("Please sign in."))
    own_kind = assessment_kind_for(actor)
    if own_kind is None:
        return deny(_("Your role does not score applicants."))
    visible = can_view_organization(actor, organization)
    if not visible:
        return visible
    if not organization.is_applicant:
        return deny(_("Only applicant organizations are assessed."))
    if scorer_kind != own_kind:
        from scoring.constants import ScorerKind

        return deny(
            _("In your role you can record only this kind of assessment: %(kind)s.")
            % {"kind": ScorerKind(own_kind).label}
        )
    if not rubric_version.is_published:
        return deny(_("Only a published rubric version can be used for an assessment."))
    return ALLOW


def assessments_visible(actor: Actor):
    from scoring.constants import ScorerKind

    Assessment = _scoring().Assessment
    qs = Assessment.objects.select_related(
        "rubric_version__rubric", "organization__region", "scored_by", "scorer_organization", "call"
    )
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_operator:
        return qs
    if actor.is_applicant:
        return qs.filter(organization=actor.organization).exclude(scorer_kind=ScorerKind.EXPERT)
    return qs.filter(region_q(actor, "organization__region"))


def can_view_assessment(actor: Actor, assessment) -> Decision:
    from scoring.constants import ScorerKind

    visible = can_view_organization(actor, assessment.organization)
    if not visible:
        return visible
    if actor.is_applicant and assessment.scorer_kind == ScorerKind.EXPERT:
        return deny(_("Expert reviews are not shown to applicants."))
    return ALLOW


# --- Applications (submissions) ---------------------------------------------------------------


def _app_models():
    from submissions import models as m

    return m


def applications_visible(actor: Actor):
    """Applicants see the applications of their organization (lead or member); bureaus and the
    province see submitted (non-draft) applications of their region scope; operators see all."""
    m = _app_models()
    from submissions.constants import Status

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


def _is_lead(actor: Actor, app) -> bool:
    return actor.is_applicant and actor.organization is not None and app.organization_id == actor.organization.pk


def _is_member(actor: Actor, app) -> bool:
    if not actor.is_applicant or actor.organization is None:
        return False
    return app.members.filter(organization=actor.organization).exists()


def can_view_application(actor: Actor, app) -> Decision:
    from submissions.constants import Status

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
    from submissions.constants import EDITABLE_STATUSES

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
    from submissions.constants import Status

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
    m = _app_models()
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
    m = _app_models()
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
        return _app_models().Application.objects.none()
    return applications_visible(actor)


def reviews_visible(actor: Actor):
    m = _app_models()
    return m.Review.objects.filter(application__in=review_applications_visible(actor).values("pk"))


def site_visits_visible(actor: Actor):
    m = _app_models()
    return m.SiteVisit.objects.filter(application__in=review_applications_visible(actor).values("pk"))


# --- Applications: the province's decision, internal until the result list is published ---
#
# The province records a decision per application (approve 认定, not_approve 不予认定, pilot 试点), then
# publishes the call's result list (submissions.models.ResultPublication). The decision is internal
# until then. The one rule: a decision is public once a result list of its call has been published at
# or after the decision. Until then everything the applicant's side shows (its pages, the API, the
# timeline, its audit list, the e-mails) presents the application as still under review at the
# provincial department (after a published pilot: still a pilot), without the decision or its
# comment. Bureaus, the province and operators see the real status.

DECISION_STATUSES = ("approved", "not_approved", "pilot")
DECISION_ACTIONS = ("application.approve", "application.not_approve", "application.pilot")
APPLICATION_TYPE = "submissions.application"


def _published_since(call, at) -> Exists:
    """The rule: a result list of `call` published at or after `at` (values or query expressions)."""
    m = _app_models()
    return Exists(m.ResultPublication.objects.filter(call_id=call, published_at__gte=at))


def _applicant_entries_q(call) -> Q:
    """Audit entries the applicant may read (for entries of applications of `call`): all but the
    decisions whose result list has not been published."""
    return ~Q(action__in=DECISION_ACTIONS) | _published_since(call, OuterRef("at"))


def _call_of_entry() -> Subquery:
    """In an audit entry's subquery: the call of the application the entry is about."""
    m = _app_models()
    return Subquery(
        m.Application.objects.annotate(key=Cast("pk", output_field=CharField()))
        .filter(key=OuterRef(OuterRef("object_id"))).values("call_id")[:1]
    )


def _entries_of_outer_application():
    return AuditEntry.objects.filter(object_type=APPLICATION_TYPE,
                                     object_id=Cast(OuterRef("pk"), output_field=CharField()))


def with_applicant_view(qs):
    """Annotate applications with what the applicant sees: `applicant_status`, and the last action
    (`applicant_last_action`, `applicant_last_action_at`) among the transitions it may read."""
    from submissions.constants import Status
    from submissions.workflow import TRANSITIONS

    decided_at = Coalesce(OuterRef("last_action_at"), OuterRef("created_at"))
    pilot_public = Exists(_entries_of_outer_application().filter(action="application.pilot").filter(
        _published_since(OuterRef(OuterRef("call_id")), OuterRef("at"))))
    status = Case(
        When(~Q(status__in=DECISION_STATUSES), then=F("status")),
        When(_published_since(OuterRef("call_id"), decided_at), then=F("status")),
        When(Q(status__in=[Status.APPROVED, Status.NOT_APPROVED]) & pilot_public, then=Value(Status.PILOT)),
        default=Value(Status.UNDER_REVIEW), output_field=CharField(),
    )
    last = _entries_of_outer_application().filter(
        action__in=[f"application.{name}" for name in TRANSITIONS]
    ).filter(_applicant_entries_q(OuterRef(OuterRef("call_id")))).order_by("-at", "-id")
    return qs.annotate(applicant_status=status).annotate(
        applicant_last_action=Case(When(applicant_status=F("status"), then=F("last_action")),
                                   default=Subquery(last.values("action")[:1]), output_field=CharField()),
        applicant_last_action_at=Case(When(applicant_status=F("status"), then=F("last_action_at")),
                                      default=Subquery(last.values("at")[:1])),
    )


def _applicant_view(app) -> tuple[str, str, object]:
    """(status, last action, its time) as the applicant sees them; from the annotations of
    `with_applicant_view` when the application was loaded with them, else with one query."""
    if not hasattr(app, "applicant_status"):
        if app.status not in DECISION_STATUSES:
            return app.status, app.last_action, app.last_action_at
        m = _app_models()
        row = with_applicant_view(m.Application.objects.filter(pk=app.pk)).values_list(
            "applicant_status", "applicant_last_action", "applicant_last_action_at").first()
        if row is None:
            return app.status, app.last_action, app.last_action_at
        status, action, at = row
    else:
        status, action, at = app.applicant_status, app.applicant_last_action, app.applicant_last_action_at
    if status == app.status:
        return app.status, app.last_action, app.last_action_at
    return status, (action or "").removeprefix("application."), at


def applicant_visible_status(app) -> str:
    """The status the applicant sees: the real one, except a decision whose result list has not
    been published yet (then: under review, or pilot after a published pilot)."""
    return _applicant_view(app)[0]


def status_seen_by(actor: Actor, app) -> str:
    """The status `actor` sees: the applicant's side the visible one, the review side the real one."""
    return applicant_visible_status(app) if actor.is_applicant else app.status


def _not_saved(*args, **kwargs):
    raise RuntimeError("An application as presented to the applicant is for display; it is never saved.")


def as_seen_by_applicant(app):
    """The application for display on the applicant's side: itself when nothing is withheld, else a
    copy (never saved) showing the status and last action the applicant sees."""
    status, action, at = _applicant_view(app)
    if status == app.status:
        return app
    shown = copy.copy(app)
    shown.status, shown.last_action, shown.last_action_at = status, action, at
    shown.save = _not_saved
    return shown


def decisions_published_by(publication):
    """The decided applications of the publication's call whose decision this result list makes
    public (and no earlier one of the call did): those it tells the applicants about."""
    m = _app_models()
    call_id = publication.call_id
    qs = m.Application.objects.filter(call_id=call_id, status__in=DECISION_STATUSES).annotate(
        decided_at=Coalesce("last_action_at", "created_at")).filter(decided_at__lte=publication.published_at)
    earlier = (
        m.ResultPublication.objects.filter(call_id=call_id)
        .filter(Q(published_at__lt=publication.published_at) | Q(published_at=publication.published_at,
                                                                 pk__lt=publication.pk))
        .order_by("-published_at", "-pk").first()
    )
    if earlier is not None:
        qs = qs.filter(decided_at__gt=earlier.published_at)
    return qs


def published_results(publication):
    """The recognized and pilot applications a result list published: those decided at or before
    its publication (a decision recorded later waits for the next list)."""
    from submissions.constants import Status

    m = _app_models()
    return (
        m.Application.objects.filter(call_id=publication.call_id, status__in=[Status.APPROVED, Status.PILOT])
        .annotate(decided_at=Coalesce("last_action_at", "created_at"))
        .filter(decided_at__lte=publication.published_at)
        .select_related("organization", "region")
        .order_by("status", "region__code", "organization__name")
    )


def application_timeline(actor: Actor, app):
    """The audit entries of one application the actor may read (empty if it may not see it). The
    applicant's side reads the transitions, without the decisions not yet published."""
    if not can_view_application(actor, app):
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.select_related("actor").filter(
        object_type=APPLICATION_TYPE, object_id=str(app.pk)
    ).order_by("at", "id")
    if not can_view_review(actor, app):
        qs = qs.filter(action__startswith="application.").filter(_applicant_entries_q(app.call_id))
    return qs


def _province_staff_of(actor: Actor, province_id) -> Decision:
    if actor.is_operator:
        return ALLOW
    if not actor.is_provincial:
        return deny(_("Only the provincial department can do this."))
    if province_id != actor.province_id:
        return deny(_("This belongs to another province."))
    return ALLOW


def can_grant_quota_exception(actor: Actor, call) -> Decision:
    if actor.is_operator:
        return deny(_("Only a provincial officer grants quota exceptions."))
    return _province_staff_of(actor, call.province_id)


def can_extend_stage(actor: Actor, stage) -> Decision:
    if actor.is_operator:
        return deny(_("Only the provincial department extends deadlines."))
    return _province_staff_of(actor, stage.call.province_id)


def can_publish_results(actor: Actor, call) -> Decision:
    if actor.is_operator:
        return deny(_("Only the provincial department publishes results."))
    return _province_staff_of(actor, call.province_id)


def can_declare_conflict(actor: Actor, organization: Organization) -> Decision:
    if not (actor.is_bureau or actor.is_provincial):
        return deny(_("Only reviewers declare conflicts of interest."))
    return can_view_organization(actor, organization)


def conflict_declarations_visible(actor: Actor):
    """One's own declarations; a bureau or provincial head also sees those of the colleagues."""
    m = _app_models()
    qs = m.ConflictDeclaration.objects.select_related("user", "organization")
    if not actor.is_authenticated or actor.membership is None:
        return qs.none()
    if actor.is_operator:
        return qs
    if actor.role in (Role.BUREAU_HEAD, Role.PROVINCIAL_HEAD):
        colleagues = Membership.objects.filter(organization=actor.organization, is_active=True).values("user_id")
        return qs.filter(Q(user=actor.user) | Q(user_id__in=colleagues))
    return qs.filter(user=actor.user)


# --- Applications: applicant side ---
#
# Who may do what on the applicant's side (submissions/services.py asks here before every write):
#   start an application: an applicant administrator or filer of an approved organization, for a
#     published call of its province (and, when the call is relayed by a city, of that city), whose
#     program accepts the organization's kind, still open for filing, with no live application of
#     the organization to that call;
#   save the draft, upload or remove a material, manage member units: `can_edit_application` (the
#     lead unit, draft or returned); on a returned application only the items the bureau named in
#     `return_reasons` may change (see `returned_editable`);
#   submit and resubmit: `can_submit_application` (the lead's administrator; member units read only);
#   read a file: whoever may read its application (`can_view_application`);
#   approve a new account: a bureau (reviewer or head) of the county, or city-level zone, the
#     organization registered in, when its province requires approval; platform operators;
#   invite colleagues: the applicant administrator of the organization.
#
# `return_reasons` (written by the reviewing bureau, submissions/review.py) is a list of entries
#   {"target": "general" | "material:<code>" | "input:<key>" | "field:<path>" | "members" | "all",
#    "label": "...", "text": "..."}
# (also accepted: {"kind": ..., "key": ..., "reason": ...}). A field path points into
# Application.data ("profile.contact_phone", "figures", "sections.1-2", "targets"); an input key is a
# rubric input or figure key ("rd_expenditure"); a material code is a RequiredMaterial code. Only the
# items named may change; a return naming no item (general remarks only) leaves everything editable.


def region_within(region: Region, ancestor: Region) -> bool:
    """Is `region` the region `ancestor` or inside it?"""
    return ancestor.pk in {region.pk, region.parent_id, region.city_id, region.province_id}


def call_place_decision(org: Organization, call) -> Decision:
    region = org.region
    if call.province_id != region.province_id:
        return deny(_("This call is for organizations of %(province)s.") % {"province": call.province.name})
    if call.issuing_region_id and not region_within(region, call.issuing_region):
        return deny(
            _("This call is relayed by %(region)s for the organizations registered there.")
            % {"region": call.issuing_region.name}
        )
    return ALLOW


def call_kind_decision(org: Organization, call) -> Decision:
    kinds = list(call.program.applicant_kinds or [])
    if kinds and org.kind not in kinds:
        labels = "、".join(str(OrgKind(k).label) for k in kinds if k in OrgKind.values)
        return deny(
            _("The program “%(program)s” accepts only: %(kinds)s.") % {"program": call.program.name, "kinds": labels}
        )
    return ALLOW


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


def can_start_application(actor: Actor, call, *, now=None, existing=None) -> Decision:
    """May the actor open an application of its organization to `call` now? (`existing`: the
    organization's live application to the call if the caller already knows it, else looked up.)"""
    from programs.constants import CallStatus

    decision = _applicant_ready(actor)
    if not decision:
        return decision
    org = actor.organization
    for decision in (call_place_decision(org, call), call_kind_decision(org, call)):
        if not decision:
            return decision
    if call.status != CallStatus.PUBLISHED:
        return deny(_("This call is closed."))
    from programs.deadlines import filing_deadline

    deadline = filing_deadline(call=call, region=org.region)
    if deadline.passed(now):
        return deny(deadline.passed_message())
    if existing is None:
        from submissions.constants import Status

        existing = (
            _app_models().Application.objects.filter(call=call, organization=org)
            .exclude(status=Status.WITHDRAWN).first()
        )
    if existing:
        return deny(_("Your organization already has an application to this call."))
    return ALLOW


def returned_editable(app) -> tuple[bool, set[str], set[str]]:
    """What the bureau unlocked on a returned application: (everything, data path prefixes,
    material codes). Rubric inputs and figures appear as "inputs.<key>", "facts.<key>" and, for
    every year, "figures.*.<key>"; member units as "members". A return that names no item (only
    general remarks) unlocks everything: the bureau did not restrict the revision."""
    everything, paths, materials = False, set(), set()
    specific = False
    for entry in app.return_reasons or []:
        if not isinstance(entry, dict):
            continue
        target = str(entry.get("target") or "")
        kind = str(entry.get("kind") or "")
        key = str(entry.get("key") or "").strip()
        if target and ":" in target:
            kind, _sep, key = target.partition(":")
        elif target and target != "general":
            kind, key = kind or "field", target
        elif target == "general" or (not kind and not key):
            continue
        kind = kind or "field"
        if kind == "all" or key == "*":
            everything = True
            specific = True
            continue
        if not key and kind != "members":
            continue
        specific = True
        if kind == "material":
            materials.add(key)
        elif kind == "input":
            paths.update({f"inputs.{key}", f"figures.*.{key}", f"facts.{key}"})
        elif kind == "members":
            paths.add("members")
        else:
            paths.add(key)
    if not specific:
        everything = True
    return everything, paths, materials


def path_unlocked(path: str, prefixes: set[str]) -> bool:
    for prefix in prefixes:
        if "*" in prefix:
            head, _star, tail = prefix.partition(".*.")
            parts = path.split(".")
            if len(parts) >= 3 and parts[0] == head and ".".join(parts[2:]) == tail:
                return True
            continue
        if path == prefix or path.startswith(prefix + "."):
            return True
    return False


def can_change_part(actor: Actor, app, path: str) -> Decision:
    """May the actor change one part of the application (a data path, "members")?"""
    from submissions.constants import Status

    decision = can_edit_application(actor, app)
    if not decision:
        return decision
    if app.status == Status.RETURNED:
        everything, paths, _materials = returned_editable(app)
        if not everything and not path_unlocked(path, paths):
            return deny(_("The bureau returned the application for other items; this one cannot change."))
    return ALLOW


def can_upload_attachment(actor: Actor, app, material) -> Decision:
    from submissions.constants import Status

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
    m = _app_models()
    qs = m.DraftConflict.objects.filter(application=app).select_related("user")
    if not _is_lead(actor, app):
        return qs.none()
    if actor.role == Role.APPLICANT_ADMIN:
        return qs
    return qs.filter(user=actor.user)


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
    from .constants import APPLICANT_KINDS

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


# --- Documents: application packets and county summary tables ---
#
# A packet (one PDF of an application as submitted: cover, contents, form, materials) is read by
# whoever may read its application, except as a draft: the applicant (lead, member units, viewers
# included), the bureaus and the province whose scope holds the application's region, operators.
# Whoever may read it may have it built. A county summary table (推荐申报汇总表) belongs to the county
# bureau that recommends: that bureau has it built; the bureau itself, its city's bureau and its
# province read it. Nobody else learns that a document exists (the views answer 404).


def can_request_packet(actor: Actor, app) -> Decision:
    from submissions.constants import Status

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
    if not actor.is_bureau or actor.region is None or actor.region.level != RegionLevel.COUNTY:
        return deny(_("The summary table is made by the county bureau that recommends."))
    if region.pk != actor.region.pk:
        return deny(_("A county bureau makes the summary table of its own county only."))
    if call.province_id != region.province_id:
        return deny(_("This call belongs to another province."))
    return can_view_call(actor, call)


def documents_visible(actor: Actor):
    """The document jobs the actor may read (their status and, once built, their file)."""
    from submissions.constants import DocumentKind

    m = _app_models()
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
    from submissions.constants import DocumentKind, Status

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
