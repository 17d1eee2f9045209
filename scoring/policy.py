"""Who may see or do what with rubrics and assessments (built on portal.access)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from portal.access import ALLOW, Actor, Decision, can_view_organization, deny, region_q
from portal.constants import RegionLevel, Role
from portal.models import Organization

from .constants import RoundStatus, RubricStatus, ScorerKind
from .models import Assessment, CountyEvaluationRound, RubricVersion

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


def rubric_owner_province_id(code: str) -> int | None:
    """The province owning a rubric code: that of its newest version naming one (None: unowned)."""
    return (
        RubricVersion.objects.filter(rubric__code=code, province__isnull=False)
        .order_by("-version")
        .values_list("province_id", flat=True)
        .first()
    )


def rubric_versions_visible(actor: Actor):

    qs = RubricVersion.objects.select_related("rubric", "province")
    if actor.is_operator:
        return qs
    visible = Q(status=RubricStatus.PUBLISHED)
    if actor.is_provincial and actor.province_id:
        visible |= Q(province_id=actor.province_id)
    return qs.filter(visible)


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

        return deny(
            _("In your role you can record only this kind of assessment: %(kind)s.")
            % {"kind": ScorerKind(own_kind).label}
        )
    if not rubric_version.is_published:
        return deny(_("Only a published rubric version can be used for an assessment."))
    return ALLOW


def assessments_visible(actor: Actor):

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



# --- County evaluation rounds (seed 002: the city ranks its counties each quarter) ---------------


def can_run_county_evaluation(actor: Actor, city) -> Decision:
    """The city bureau of `city` or the provincial department of its province enters the counties'
    figures and publishes the ranking."""
    if city is None or city.level != RegionLevel.CITY:
        return deny(_("Choose a city."))
    own = actor.region
    if own is not None and actor.is_bureau and actor.level == RegionLevel.CITY and own.pk == city.pk:
        return ALLOW
    if own is not None and actor.is_provincial and own.province_id == city.province_id:
        return ALLOW
    return deny(_("Only the city bureau or the provincial department runs the county evaluation."))


def county_rounds_visible(actor: Actor):
    """Rounds the actor may read: those it runs (its city, or every city of its province), and for a
    county bureau the published rounds of its city (its ranking table); nobody else."""
    qs = CountyEvaluationRound.objects.select_related("city", "rubric_version__rubric")
    own = actor.region
    if own is None:
        return qs.none()
    if actor.is_provincial:
        return qs.filter(city__province_id=own.province_id)
    if actor.is_bureau and actor.level == RegionLevel.CITY:
        return qs.filter(city_id=own.pk)
    if actor.is_bureau and actor.level == RegionLevel.COUNTY and own.city_id:
        return qs.filter(city_id=own.city_id, status=RoundStatus.PUBLISHED)
    return qs.none()


def can_enter_county_figures(actor: Actor, round_) -> Decision:
    decision = can_run_county_evaluation(actor, round_.city)
    if decision and round_.status != RoundStatus.DRAFT:
        return deny(_("This ranking has been published; its figures are frozen."))
    return decision


def can_publish_county_round(actor: Actor, round_) -> Decision:
    decision = can_enter_county_figures(actor, round_)
    if decision and not round_.entries.exists():
        return deny(_("Enter the figures of at least one county first."))
    return decision


def can_see_county_evaluation(actor: Actor) -> Decision:
    """The county evaluation pages: the bureaus (a county reads its city's published rankings) and
    the provincial department."""
    if (actor.is_bureau or actor.is_provincial) and actor.region is not None:
        return ALLOW
    return deny(_("The county evaluation is for the bureaus and the provincial department."))
