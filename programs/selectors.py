"""Reads of the program catalogue that depend on who asks.

Whether a call is open, its filing deadline and the deadline that binds the asking organization
or bureau are answered by the one deadline resolver (programs.deadlines) for the asker's region,
in Python: the catalogue is small, and SQL annotations could not see region-specific stages or
extensions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from portal.access import Actor
from portal.models import Organization
from programs.policy import call_kind_decision, call_place_decision, calls_visible

from .constants import CallStatus, StageLevel
from .deadlines import Deadline, DeadlineBook, stages_prefetch
from .models import Call, Stage


def deadline_level(actor: Actor) -> str | None:
    """The level whose deadline binds the actor: an applicant files; a bureau or the provincial
    department acts at its own level; nobody else is bound (None)."""
    if actor.is_applicant:
        return StageLevel.APPLICANT
    if actor.is_bureau or actor.is_provincial:
        return actor.level
    return None


@dataclass(frozen=True)
class CallDeadlines:
    """What the catalogue shows of one call for one asker."""

    filing: Deadline  # the applicant's filing deadline in the asker's region (general stages if none)
    yours: Deadline | None  # the deadline that binds the asker's organization or bureau; None: not bound
    is_open: bool  # published, and the filing deadline has not passed (none counts as open)


def call_deadlines(actor: Actor, call, *, book: DeadlineBook | None = None,
                   now: dt.datetime | None = None) -> CallDeadlines:
    """The call's deadlines for the actor (see CallDeadlines), from `book` or the call's stages."""
    region = actor.region
    book = book or DeadlineBook.of_calls([call])
    level = deadline_level(actor)
    own = actor.organization.pk if level == StageLevel.APPLICANT and actor.organization else None
    filing = book.resolve(call.pk, StageLevel.APPLICANT, region, own, now)
    if level == StageLevel.APPLICANT:
        yours = filing
    elif level is not None and region is not None:
        yours = book.resolve(call.pk, level, region)
    else:
        yours = None
    is_open = call.status == CallStatus.PUBLISHED and not filing.passed(now)
    return CallDeadlines(filing=filing, yours=yours, is_open=is_open)


def with_deadlines(actor: Actor, calls: Iterable[Call], *, now: dt.datetime | None = None) -> list[Call]:
    """The calls as a list, each with what the catalogue shows for the actor: `deadlines`
    (CallDeadlines), `filing_deadline` and `filing_kind` (the filing stage's kind of deadline),
    `is_open`, `your_deadline` (a moment or None). Two queries for the deadlines of all the calls
    (none if they were fetched with `stages_prefetch()`)."""
    calls = list(calls)
    now = now or timezone.now()
    book = DeadlineBook.of_calls(calls)
    for call in calls:
        d = call_deadlines(actor, call, book=book, now=now)
        call.deadlines = d
        call.filing_deadline = d.filing.at
        call.filing_kind = d.filing.kind
        call.is_open = d.is_open
        call.your_deadline = d.yours.at if d.yours is not None else None
    return calls


def by_filing_deadline(call: Call):
    """Sort key: the soonest filing deadline first, calls without one after."""
    return (call.filing_deadline is None, call.filing_deadline or dt.datetime.max.replace(tzinfo=dt.timezone.utc))


def open_calls(actor: Actor, qs: QuerySet[Call] | None = None, *, now: dt.datetime | None = None) -> list[Call]:
    """The calls of `qs` (default: the actor's catalogue) that accept applications from the
    actor's region now, soonest filing deadline first."""
    qs = catalogue(actor) if qs is None else qs
    calls = [c for c in with_deadlines(actor, qs.filter(status=CallStatus.PUBLISHED), now=now) if c.is_open]
    return sorted(calls, key=by_filing_deadline)


def catalogue(actor: Actor) -> QuerySet[Call]:
    """The calls the actor may see (deadlines: `with_deadlines`)."""
    return calls_visible(actor)


def call_detail_queryset(actor: Actor) -> QuerySet[Call]:
    return catalogue(actor).prefetch_related(
        stages_prefetch(),
        "quotas__region",
        "conditions",
        "materials",
        "contacts",
    )


@dataclass(frozen=True)
class UpcomingDeadline:
    call: Call
    deadline: Deadline

    @property
    def stage(self):
        return self.deadline.stage

    @property
    def at(self) -> dt.datetime:
        return self.deadline.at

    @property
    def extended(self) -> bool:
        return self.deadline.extended


def upcoming_deadlines(actor: Actor, *, levels: Iterable[str] | None = None, now: dt.datetime | None = None,
                       limit: int = 8) -> list[UpcomingDeadline]:
    """The coming deadlines that bind a bureau or the provincial department at its level in its
    region, one per published call of its province (extensions included), soonest first.
    `levels`: only for actors of these levels."""

    now = now or timezone.now()
    level, region = deadline_level(actor), actor.region
    if level is None or region is None or level == StageLevel.APPLICANT or (levels is not None and level not in levels):
        return []
    calls = list(
        Call.objects.filter(province_id=region.province_id, status=CallStatus.PUBLISHED,
                            pk__in=Stage.objects.filter(level=level).values("call_id"))
        .prefetch_related(stages_prefetch())
    )
    book = DeadlineBook.of_calls(calls)
    rows = []
    for call in calls:
        d = book.resolve(call.pk, level, region)
        if d.at is not None and not d.passed(now):
            rows.append(UpcomingDeadline(call=call, deadline=d))
    rows.sort(key=lambda row: (row.at, row.call.code))
    return rows[:limit]



@dataclass(frozen=True)
class ApplicantPreview:
    """What an applicant organization of one region and kind sees of a call (the officer's preview)."""

    region: object
    filing: Deadline
    refusals: list  # why such an organization could not apply (place, kind), empty if it can
    quota_lines: list  # the quotas that bind its county and its city, with their numbers
    conditions: list
    materials: list


def preview_as_applicant(call: Call, *, region, kind: str) -> ApplicantPreview:
    """The call as an organization of `kind` registered in `region` (a county) would see it: the
    deadline resolver and the access rules answer as they do for a real applicant."""
    org = Organization(name="", kind=kind, region=region)
    refusals = [d.reason for d in (call_place_decision(org, call), call_kind_decision(org, call)) if not d]
    book = DeadlineBook.of_calls([call])
    filing = book.resolve(call.pk, StageLevel.APPLICANT, region)
    quota_lines = []
    for quota in call.quotas.select_related("region", "call"):
        for level_region in (region, region.parent):
            if level_region is not None and quota.applies_to(level_region):
                quota_lines.append({"region": level_region, "text": quota.describe(),
                                    "limit": quota.limit_for(level_region)})
    return ApplicantPreview(region=region, filing=filing, refusals=refusals, quota_lines=quota_lines,
                            conditions=list(call.conditions.all()), materials=list(call.materials.all()))
