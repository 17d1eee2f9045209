"""Quotas: how many recommendations a bureau may make in a call, and how many it has used.

* At the county level the call's per-county quota applies to the county (the Ganzhou ETC rule
  depends on the county's attribute ``has_city_etc_program``: no program → at most 2, a program →
  no limit; ``Quota.limit_for`` reads it).
* At the city level the call's per-city quota applies to the city and counts the city's
  recommendations of the applications of all its counties (and of units registered at city level).
* The province decides; it has no quota.

A provincial officer can grant extra places to a region (``QuotaException``); they add to the limit.

Recommending reserves a place under a row lock on ``QuotaCounter`` (SELECT … FOR UPDATE on
PostgreSQL; SQLite serializes writers anyway): the count of active recommendations is read after the
lock is held, so two reviewers clicking at once can never go over. The checks (``has_room``,
``within_limit``) are conditions of the workflow's transitions (``submissions.conditions``);
``workflow.fire`` takes the counter's lock (``lock_counter_for``) before the application's row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from portal.access import ALLOW, Decision, deny
from portal.constants import RegionLevel
from portal.models import Region
from programs.constants import QuotaRule, QuotaScope
from programs.models import REGION_ATTRIBUTE_LABELS, Quota
from submissions.constants import Level
from submissions.models import QuotaCounter, QuotaException, Recommendation


def exceeded_message(status: "QuotaStatus", wanted: int = 1) -> str:
    """The refusal of `wanted` more recommendations when the quota has no room for them."""
    if wanted > 1:
        return _(
            "Quota reached: %(quota)s %(region)s has used %(used)d of %(limit)d places; %(wanted)d "
            "recommendations do not fit in the %(remaining)d remaining."
        ) % {"quota": status.text, "region": status.region.name, "used": status.used, "limit": status.limit,
             "wanted": wanted, "remaining": status.remaining}
    return _(
        "Quota reached: %(quota)s %(region)s has used %(used)d of %(limit)d places."
    ) % {"quota": status.text, "region": status.region.name, "used": status.used, "limit": status.limit}


class QuotaExceeded(ValidationError):
    """A recommendation refused because the quota is used up; the message names the quota."""

    def __init__(self, status: "QuotaStatus", wanted: int = 1):
        self.status = status
        super().__init__(exceeded_message(status, wanted), code="quota_exceeded")


@dataclass
class QuotaStatus:
    call: object
    region: Region
    level: str
    quota: object | None  # programs.models.Quota, or None: no quota applies
    base_limit: int | None = None
    extra: int = 0
    used: int = 0
    exceptions: list = field(default_factory=list)

    @property
    def unlimited(self) -> bool:
        return self.quota is None or self.base_limit is None

    @property
    def limit(self) -> int | None:
        return None if self.unlimited else self.base_limit + self.extra

    @property
    def remaining(self) -> int | None:
        return None if self.unlimited else max(self.limit - self.used, 0)

    @property
    def full(self) -> bool:
        return not self.unlimited and self.used >= self.limit

    @property
    def text(self) -> str:
        return str(self.quota.describe()) if self.quota is not None else _("No quota.")

    @property
    def unlimited_reason(self) -> str:
        """Why the region may recommend without limit (empty when it is limited)."""
        if not self.unlimited:
            return ""
        if self.quota is None:
            return _("No quota of this call applies to %(region)s.") % {"region": self.region.name}
        attribute = self.quota.condition_attribute
        if self.quota.rule == QuotaRule.CONDITIONAL and self.region.attributes.get(attribute):
            return _("No limit: %(region)s: %(attr)s.") % {
                "region": self.region.name, "attr": REGION_ATTRIBUTE_LABELS.get(attribute, attribute)}
        return _("The call sets no limit for %(region)s.") % {"region": self.region.name}

    @property
    def applied(self) -> str:
        """The rule as it applies to this region: its limit (with extra places), or why it has none."""
        if self.unlimited:
            return self.unlimited_reason
        text = _("%(region)s: at most %(n)d") % {"region": self.region.name, "n": self.base_limit}
        if self.extra:
            text += _(", plus %(extra)d granted by the province") % {"extra": self.extra}
        return text

    @property
    def room(self) -> Decision:
        """May one more recommendation count against this quota? (Display only: acting reads the
        status again under the counter's lock.)"""
        return has_room(self)


def quota_region_for(*, application=None, region: Region | None = None, level: str) -> Region | None:
    """The region whose quota a recommendation at `level` counts against (None: no quota)."""
    region = region or application.region
    if level == Level.COUNTY:
        return region if region.level == RegionLevel.COUNTY else None
    if level == Level.CITY:
        if region.level == RegionLevel.CITY:
            return region
        if region.city_id:
            return region.city
    return None


def _scope_for(level: str) -> str | None:
    return {Level.COUNTY: QuotaScope.PER_COUNTY, Level.CITY: QuotaScope.PER_CITY}.get(level)


def pick_quota(quotas: Iterable, region: Region, level: str):
    """The quota of the call for `region` at `level`: one naming the region wins over a general one."""
    scope = _scope_for(level)
    if scope is None:
        return None
    candidates = [q for q in quotas if q.scope == scope and q.applies_to(region)]
    candidates.sort(key=lambda q: (q.region_id is not None, q.pk), reverse=True)
    return candidates[0] if candidates else None


def _used(call_id: int, region_id: int, level: str) -> int:
    return Recommendation.objects.filter(
        application__call_id=call_id, quota_region_id=region_id, level=level, is_active=True
    ).count()


def quota_status(*, call, region: Region, level: str) -> QuotaStatus:
    quota = pick_quota(call.quotas.all(), region, level)
    status = QuotaStatus(call=call, region=region, level=level, quota=quota)
    if quota is not None:
        status.base_limit = quota.limit_for(region)
    status.exceptions = list(QuotaException.objects.filter(call=call, region=region).order_by("granted_at"))
    status.extra = sum(e.extra for e in status.exceptions)
    status.used = _used(call.pk, region.pk, level)
    return status


def quota_statuses(*, calls: Iterable, regions: Iterable[Region], level: str) -> list[QuotaStatus]:
    """Statuses for every (call, region) pair in a few queries (no query per row)."""

    calls = list(calls)
    regions = list(regions)
    if not calls or not regions:
        return []
    call_ids = [c.pk for c in calls]
    region_ids = [r.pk for r in regions]
    by_pk = {c.pk: c for c in calls}
    quotas = defaultdict(list)
    for q in Quota.objects.filter(call_id__in=call_ids).select_related("region"):
        q.call = by_pk[q.call_id]  # the call given, not read again
        quotas[q.call_id].append(q)
    used = {
        (row["application__call_id"], row["quota_region_id"]): row["n"]
        for row in Recommendation.objects.filter(
            application__call_id__in=call_ids, quota_region_id__in=region_ids, level=level, is_active=True
        ).values("application__call_id", "quota_region_id").annotate(n=Count("id"))
    }
    extra = {
        (row["call_id"], row["region_id"]): row["n"] or 0
        for row in QuotaException.objects.filter(call_id__in=call_ids, region_id__in=region_ids)
        .values("call_id", "region_id").annotate(n=Sum("extra"))
    }
    out = []
    for call in calls:
        for region in regions:
            quota = pick_quota(quotas.get(call.pk, ()), region, level)
            status = QuotaStatus(call=call, region=region, level=level, quota=quota)
            if quota is not None:
                status.base_limit = quota.limit_for(region)
            status.extra = extra.get((call.pk, region.pk), 0)
            status.used = used.get((call.pk, region.pk), 0)
            out.append(status)
    return out


def lock_counter(*, call, region: Region, level: str) -> QuotaCounter:
    """The quota counter row of (call, region, level), created if needed and locked FOR UPDATE.

    Must run inside the caller's transaction; callers lock the counter before the applications."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_counter() must run inside transaction.atomic()")
    try:
        with transaction.atomic():  # a savepoint: a concurrent creator may win the insert
            QuotaCounter.objects.get_or_create(call=call, region=region, level=level)
    except IntegrityError:
        pass
    return QuotaCounter.objects.select_for_update().get(call=call, region=region, level=level)


def lock_counter_for(*, application, level: str | None = None) -> QuotaCounter | None:
    """Lock the counter of the quota a recommendation of `application` at `level` counts against
    (None: no quota applies). Inside the caller's transaction, before the application's row."""
    level = level or application.level
    region = quota_region_for(application=application, level=level)
    if region is None:
        return None
    return lock_counter(call=application.call, region=region, level=level)


def sync_counter(counter: QuotaCounter) -> None:
    counter.used = _used(counter.call_id, counter.region_id, counter.level)
    counter.save(update_fields=["used"])


def has_room(status: QuotaStatus, wanted: int = 1) -> Decision:
    """Do `wanted` more recommendations fit? (Read `status` after the counter is locked when acting.)"""
    if status.unlimited or status.used + wanted <= status.limit:
        return ALLOW
    return deny(exceeded_message(status, wanted))


def within_limit(status: QuotaStatus) -> Decision:
    """At sign-off: the active recommendations may not exceed the limit (which may have changed
    since they were made: a quota edited, a region attribute changed)."""
    if status.unlimited or status.used <= status.limit:
        return ALLOW
    return deny(
        _("Quota exceeded: %(quota)s %(region)s has %(used)d recommendations for %(limit)d places; "
          "the batch cannot be signed off.")
        % {"quota": status.text, "region": status.region.name, "used": status.used, "limit": status.limit}
    )


@dataclass
class CityQuotaGroup:
    """One city with its own quota (if any) and its counties' quotas, with the counties' totals."""

    city: Region
    status: QuotaStatus | None
    counties: list[QuotaStatus]

    @property
    def used(self) -> int:
        return sum(s.used for s in self.counties)

    @property
    def unlimited(self) -> bool:
        return any(s.unlimited for s in self.counties)

    @property
    def limit(self) -> int | None:
        return None if self.unlimited else sum(s.limit for s in self.counties)

    @property
    def remaining(self) -> int | None:
        return None if self.unlimited else sum(s.remaining for s in self.counties)


def quotas_by_city(cities: Iterable[QuotaStatus], counties: Iterable[QuotaStatus]) -> list[CityQuotaGroup]:
    """The statuses of one call grouped by city (each county under its city), cities in code order;
    a city appears when it or one of its counties has a quota or has used places."""
    by_city: dict[int, CityQuotaGroup] = {}
    for status in cities:
        by_city[status.region.pk] = CityQuotaGroup(city=status.region, status=status, counties=[])
    for status in counties:
        city = status.region.city
        if city is None:
            continue
        group = by_city.get(city.pk)
        if group is None:
            group = by_city[city.pk] = CityQuotaGroup(city=city, status=None, counties=[])
        group.counties.append(status)
    groups = [g for g in by_city.values()
              if (g.status is not None and (g.status.quota or g.status.used)) or any(s.quota or s.used for s in g.counties)]
    for group in groups:
        group.counties = [s for s in group.counties if s.quota or s.used]
    return sorted(groups, key=lambda g: g.city.code)
