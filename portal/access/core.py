"""The core of the access layer: who is asking (Actor), the answer (Decision) and region scope.

Every rule in the portal returns a `Decision` (allowed, reason) so a screen can say why something
is not possible. The rules themselves live with their domain and build on this core:

* `portal.access.tenancy`: organizations, memberships, the audit list, registration, reference data;
* `programs.policy`: calls, stages, quotas, result lists;
* `scoring.policy`: rubrics and assessments;
* `submissions.policy`: applications, review files, materials, documents
  (with `submissions.embargo`, the result embargo, and `submissions.returns`, what a return unlocks).

Region scoping serves the bulk of the data (a county bureau sees its county, a city bureau its city
and counties, a provincial department its province, an applicant itself; nobody crosses a
province); django-guardian, on direct foreign-key tables, the sparse per-object grants.
Querysets returned by the rules are already scoped: views must not widen them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Q, QuerySet

from portal.constants import (
    APPLICANT_ROLES,
    BUREAU_ROLES,
    PROVINCIAL_ROLES,
    RegionLevel,
    Role,
)
from portal.models import Membership, Organization, Region, User


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
    # the user's active memberships as `actor_for` read them (None: not read), for the pages that
    # list them (the role switch) without reading them again
    memberships: tuple[Membership, ...] | None = field(default=None, compare=False, repr=False)

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
    def is_expert(self) -> bool:
        """An external expert of one province's pool: reads only the applications granted to it
        (django-guardian, submissions.policy), nothing by region."""
        return self.role == Role.EXPERT

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
    return Actor(user=user, membership=chosen, memberships=tuple(memberships))


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
