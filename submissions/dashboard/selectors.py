"""The bureaus' dashboard: figures counted from the database in a fixed number of queries.

Every figure is counted from the review queue's own queryset (``review.selectors.queue_filtered`` with
``stage="all"``: the applications the access layer lets the actor see), so a figure and the
queue it links to show the same applications. Per region: the province sees its cities, a city
its counties, a county itself; submitted (every non-draft application), recommended (an active
recommendation counted against that region's quota) and the quota (``submissions.quotas``).
The status funnel, the industries and the coming deadlines (``programs.selectors``) complete it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import Actor
from portal.constants import RegionLevel
from portal.models import Region
from programs.constants import CallStatus, StageLevel
from programs.deadlines import DeadlineBook, stages_prefetch
from programs.models import Call
from programs.selectors import UpcomingDeadline, upcoming_deadlines
from submissions.constants import Status
from submissions.models import Recommendation
from submissions.quotas import quota_statuses
from submissions.review.selectors import NO_INDUSTRY, QueueParams, queue_filtered

#: the funnel's steps: how far the applications got
FUNNEL = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECOMMENDED, Status.APPROVED)


@dataclass
class RegionRow:
    region: Region
    submitted: int = 0
    recommended: int = 0
    quota: int | None = None  # None: no quota set (or unlimited)
    unlimited: bool = False
    links: dict = field(default_factory=dict)


@dataclass
class Dashboard:
    level: str
    call: Call | None
    calls: list
    regions: list[RegionRow]
    statuses: list[dict]
    industries: list[dict]
    deadlines: list[dict]

    def chart_data(self) -> dict:
        """What the charts draw (names, figures and the queue link of each figure)."""
        return {
            "regions": {
                "names": [r.region.name for r in self.regions],
                "series": [
                    {"key": "submitted", "name": _("Applications submitted"), "values": [r.submitted for r in self.regions],
                     "links": [r.links["submitted"] for r in self.regions]},
                    {"key": "recommended", "name": _("Recommended"), "values": [r.recommended for r in self.regions],
                     "links": [r.links["recommended"] for r in self.regions]},
                    {"key": "quota", "name": _("Quota"), "values": [r.quota for r in self.regions],
                     "links": [r.links["submitted"] for r in self.regions]},
                ],
            },
            "statuses": [{"name": s["label"], "value": s["count"], "link": s["link"]} for s in self.statuses],
            "industries": [{"name": i["label"], "value": i["count"], "link": i["link"]} for i in self.industries],
            "deadlines": [{"name": f"{d['call']} · {d['stage']}", "value": d["days_left"], "link": d["link"]}
                          for d in self.deadlines],
        }


def _queue_link(call: Call | None, **params) -> str:
    query = {"stage": "all", **({"call": call.pk} if call else {}), **params}
    return reverse("review-queue") + "?" + urlencode(query)


def child_regions(actor: Actor) -> tuple[list[Region], str]:
    """The regions the actor's dashboard breaks down by, and the level their bureaus recommend at."""
    own = actor.region
    if actor.is_provincial:
        return list(Region.objects.filter(province_id=own.pk, level=RegionLevel.CITY).order_by("code")), "city"
    if actor.level == RegionLevel.CITY:
        return list(Region.objects.filter(city_id=own.pk, level=RegionLevel.COUNTY).order_by("code")), "county"
    return [own], "county"


def province_deadlines(actor: Actor, *, now, limit: int = 10) -> list[UpcomingDeadline]:
    """For the provincial department: the coming deadlines of its published calls at every level
    (the applicants' filing, the county and city bureaus), as the one resolver gives them for the
    province as a whole (general stages and extensions). Three queries."""
    own = actor.region
    calls = list(Call.objects.filter(province_id=own.province_id, status=CallStatus.PUBLISHED)
                 .prefetch_related(stages_prefetch()))
    book = DeadlineBook.of_calls(calls)
    rows = []
    for c in calls:
        for level in (StageLevel.APPLICANT, StageLevel.COUNTY, StageLevel.CITY):
            d = book.resolve(c.pk, level, own, now=now)
            if d.at is not None and not d.passed(now):
                rows.append(UpcomingDeadline(call=c, deadline=d))
    rows.sort(key=lambda r: (r.at, r.call.code))
    return rows[:limit]


def dashboard(actor: Actor, *, call_id: int | None = None, now=None) -> Dashboard:
    """The actor's dashboard (a bureau or the provincial department), optionally for one call.
    A constant number of queries, whatever the number of applications, regions and calls."""
    base = queue_filtered(actor, QueueParams(stage="all"))
    calls = list(Call.objects.filter(pk__in=base.order_by().values("call_id")).order_by("-year", "code"))
    call = next((c for c in calls if c.pk == call_id), None)
    qs = base.filter(call_id=call.pk) if call else base
    regions, rec_level = child_regions(actor)
    region_ids = [r.pk for r in regions]
    by_city = actor.is_provincial

    # submitted per region (a province groups a county's applications under its city)
    key = Coalesce("region__city_id", "region_id") if by_city else F("region_id")
    submitted = {row["k"]: row["n"] for row in qs.order_by().annotate(k=key).values("k").annotate(n=Count("id"))}
    recommended = {
        row["quota_region_id"]: row["n"]
        for row in Recommendation.objects.filter(application__in=qs.values("pk"), is_active=True,
                                                 quota_region_id__in=region_ids)
        .values("quota_region_id").annotate(n=Count("application_id", distinct=True))
    }
    quota_of: dict[int, tuple[int, bool]] = {}
    for status in quota_statuses(calls=[call] if call else calls, regions=regions, level=rec_level):
        if status.quota is None:
            continue
        total, unlimited = quota_of.get(status.region.pk, (0, False))
        if status.limit is None:
            unlimited = True
        else:
            total += status.limit
        quota_of[status.region.pk] = (total, unlimited)
    rows = []
    for region in regions:
        where = {"city": region.pk} if by_city else {"county": region.pk}
        total, unlimited = quota_of.get(region.pk, (None, False))
        rows.append(RegionRow(
            region=region, submitted=submitted.get(region.pk, 0), recommended=recommended.get(region.pk, 0),
            quota=total, unlimited=unlimited,
            links={"submitted": _queue_link(call, **where),
                   "recommended": _queue_link(call, recommended_by=region.pk)},
        ))

    counts = {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("id"))}
    statuses = [{"status": s.value, "label": str(s.label), "count": counts.get(s.value, 0),
                 "link": _queue_link(call, status=s.value)}
                for s in Status if s != Status.DRAFT and (s in FUNNEL or counts.get(s.value))]

    industries = []
    for row in (qs.order_by().values("organization__industry").annotate(n=Count("id"))
                .order_by("-n", "organization__industry")):
        name = row["organization__industry"] or ""
        industries.append({"industry": name, "label": name or _("Industry not given"), "count": row["n"],
                           "link": _queue_link(call, industry=name or NO_INDUSTRY)})

    now = now or timezone.now()
    deadlines = []
    coming = province_deadlines(actor, now=now) if by_city else upcoming_deadlines(actor, now=now, limit=10)
    for d in coming:
        if call is not None and d.call.pk != call.pk:
            continue
        left = (d.at - now).total_seconds() / 86400
        deadlines.append({"call": d.call.title, "stage": d.deadline.stage.name, "at": d.at,
                          "days_left": round(left, 1), "link": _queue_link(d.call)})
    return Dashboard(level=rec_level, call=call, calls=calls, regions=rows, statuses=statuses,
                     industries=industries, deadlines=deadlines)

