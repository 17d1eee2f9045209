"""Who may see or do what with calls, stages, quotas and result lists (built on portal.access)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user

from portal.access import ALLOW, Actor, Decision, deny, region_within
from portal.constants import OrgKind
from portal.models import Organization, Region

from .constants import CallStatus, StageLevel
from .models import Call, Stage, StageExtension

# --- Calls (programs) ------------------------------------------------------------------


def calls_visible(actor: Actor):
    """Published and closed calls are public notices; drafts only for their province's staff,
    a user granted `view_call` on that draft, and operators."""

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


def can_edit_call_draft(actor: Actor, call) -> Decision:
    """May the actor change everything of the call (stages, quotas, conditions, materials)? Only
    while it is a draft; a published call takes corrections of its texts and extensions."""
    decision = can_change_call(actor, call)
    if not decision:
        return decision
    if call.status != CallStatus.DRAFT:
        return deny(_("The call is published: only its texts can be corrected and its deadlines extended."))
    return ALLOW


def can_create_call(actor: Actor, province: Region) -> Decision:
    if actor.is_operator:
        return ALLOW
    if actor.is_provincial and province.pk == actor.province_id:
        return ALLOW
    return deny(_("Only the provincial department can publish calls for its province."))


def can_load_calls(actor: Actor) -> Decision:
    """May the actor load calls from notice files (drafts of its own province; operators: any)?"""
    if actor.is_provincial or actor.is_operator:
        return ALLOW
    return deny(_("Calls are published by the provincial department."))


def can_build_call(actor: Actor) -> Decision:
    """May the actor build a new call in forms? A provincial officer, for its own province (an
    operator loads notice files, which name their province)."""
    if actor.is_provincial and actor.province_id is not None:
        return ALLOW
    return deny(_("Calls are published by the provincial department."))


def can_publish_call(actor: Actor, call) -> Decision:
    decision = can_change_call(actor, call)
    if not decision:
        return decision
    return ALLOW


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


def can_extend_deadlines(actor: Actor) -> Decision:
    """The provincial department extends stage deadlines (of its own province: `can_extend_stage`)."""
    if actor.is_provincial:
        return ALLOW
    return deny(_("Only the provincial department extends deadlines."))


def can_extend_stage(actor: Actor, stage) -> Decision:
    decision = can_extend_deadlines(actor)
    if not decision:
        return decision
    return _province_staff_of(actor, stage.call.province_id)


def stages_visible_for_review(actor: Actor):
    """The bureau and province stages (not the applicants') whose deadlines the actor follows: those
    of its province's calls; a bureau only the stages of its own level; operators all."""
    qs = Stage.objects.select_related("call", "region").exclude(level=StageLevel.APPLICANT)
    if actor.is_operator:
        return qs
    if actor.region is None:
        return qs.none()
    qs = qs.filter(call__province_id=actor.province_id)
    if actor.is_bureau:
        return qs.filter(level=actor.level)
    if actor.is_provincial:
        return qs
    return qs.none()


def stages_to_extend(actor: Actor):
    """The stages whose deadlines the department may extend: those of its province's calls, the
    applicants' filing stage included (for a region or for one organization)."""
    qs = Stage.objects.select_related("call", "region")
    if actor.is_operator:
        return qs
    if not actor.is_provincial or actor.region is None:
        return qs.none()
    return qs.filter(call__province_id=actor.province_id)


def stage_extensions_visible(actor: Actor):
    """The province's deadline extensions, each only to those it concerns: the department reads
    those of its province's calls; a bureau those for the whole province, its own region (or its
    city) and the regions it oversees, and those granted to one organization of its region; an
    applicant those of the filing stage that concern its region or itself; operators all. Not
    another county's (or another enterprise's) extension and its reason."""
    qs = StageExtension.objects.select_related("stage__call", "region", "granted_by", "organization")
    if actor.is_operator:
        return qs
    own = actor.region
    if own is None:
        return qs.none()
    qs = qs.filter(stage__call__province_id=actor.province_id)
    if actor.is_provincial:
        return qs
    in_region = Q(region__isnull=True) | Q(region_id__in=[own.pk, own.city_id or own.pk, own.province_id])
    if actor.is_bureau:
        oversees = Q(organization__region_id=own.pk) | Q(organization__region__city_id=own.pk)
        return qs.filter((in_region | Q(region__city_id=own.pk)) & (Q(organization__isnull=True) | oversees))
    if actor.is_applicant and actor.organization is not None:
        return qs.filter(stage__level=StageLevel.APPLICANT).filter(
            (in_region & Q(organization__isnull=True)) | Q(organization_id=actor.organization.pk))
    return qs.none()


def can_publish_results(actor: Actor, call) -> Decision:
    if actor.is_operator:
        return deny(_("Only the provincial department publishes results."))
    return _province_staff_of(actor, call.province_id)


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


# --- the working-day calendar -------------------------------------------------------------------


def can_enter_holidays(actor: Actor) -> Decision:
    """The year's official holiday arrangement (national) is entered by the platform operator or a
    provincial department; it moves working-day deadlines everywhere, so it is audited."""
    if actor.is_operator or actor.is_provincial:
        return ALLOW
    return deny(_("Only the platform operator or a provincial department enters the holiday calendar."))
