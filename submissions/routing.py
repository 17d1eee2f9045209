"""Which bureaus an application passes: the routing of a call for one organization.

The chain is county → city → province. A call narrows where it starts: the lowest bureau level
among the call's stages that concern the organization's region (a stage limited to a region —
e.g. Lanzhou's county stage in the Gansu notice — concerns only that region); a call without any
bureau stage starts at the county. The organization narrows it further:

* a provincial or central SOE (``Organization.is_provincial_soe``) goes straight to the province
  when the call says so (``Call.soe_direct_to_province``, set by the notice file; seed 004, Guizhou:
  省属企业和中央在黔企业直接向省工业和信息化厅进行申报); under other calls it goes through its county
  like any other unit;
* a unit registered at city level, or in a city-level zone (兰州新区, 贵安新区: regions of level
  ``city``), starts at the city;
* a unit registered at province level starts at the province.

The province is always the last level: it decides.

Public API (called by the applicant side when an application is submitted)::

    routing_for(*, call, organization) -> list[str]          # e.g. ["county", "city", "province"]
    route_steps(*, call, organization) -> list[RouteStep]    # the same levels with their stages
                                                             # and effective deadlines
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.constants import RegionLevel
from programs.deadlines import DeadlineBook, concerns
from submissions.constants import Level

CHAIN: tuple[str, ...] = (Level.COUNTY, Level.CITY, Level.PROVINCE)
_RANK = {level: i for i, level in enumerate(CHAIN)}
_REGION_START = {
    RegionLevel.COUNTY: Level.COUNTY,
    RegionLevel.CITY: Level.CITY,
    RegionLevel.PROVINCE: Level.PROVINCE,
}


def stage_concerns(stage, region) -> bool:
    """Does a stage (possibly limited to a region) concern an organization registered in `region`?"""

    return concerns(stage, region)


def _call_start(call, region) -> str:
    levels = [
        stage.level
        for stage in call.stages.all()
        if stage.level in _RANK and stage_concerns(stage, region)
    ]
    if not levels:
        return Level.COUNTY
    return min(levels, key=_RANK.__getitem__)


def routing_for(*, call, organization) -> list[str]:
    """The levels an application of `organization` to `call` passes, in order."""
    if organization.is_provincial_soe and call.soe_direct_to_province:
        return [Level.PROVINCE]
    region = organization.region
    start = max(_call_start(call, region), _REGION_START.get(region.level, Level.COUNTY), key=_RANK.__getitem__)
    return list(CHAIN[_RANK[start]:])


@dataclass(frozen=True)
class RouteStep:
    level: str
    stage: object | None  # programs.models.Stage, or None when the call sets no stage for this level
    deadline: dt.datetime | None  # effective deadline (extensions included); None: none set

    @property
    def label(self) -> str:
        return str(Level(self.level).label)


def route_steps(*, call, organization, routing: list[str] | None = None, region=None) -> list[RouteStep]:
    """The routing with, for each level, the call's stage and its effective deadline for the
    organization's region, or `region` (an application's: the one its bureaus are held to), by the
    one deadline resolver (programs.deadlines)."""

    region = region or organization.region
    book = DeadlineBook.of_calls([call])
    steps = []
    for level in routing if routing is not None else routing_for(call=call, organization=organization):
        resolved = book.resolve(call.pk, level, region)
        steps.append(RouteStep(level=level, stage=resolved.stage, deadline=resolved.at))
    return steps
