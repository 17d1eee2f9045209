"""Stage deadlines of the bureaus, with the province's extensions.

A bureau acts on an application at its level until the deadline of the call's stage for that
level (the stage that concerns the application's region; a stage limited to a region wins over a
general one). The province can extend a stage, for all regions or for one region (a city's
extension covers its counties); the latest of the stage's deadline and the extensions that
concern the region is the effective deadline. A stage without a date (rolling, or counted from an
event not yet dated) sets no deadline. Acting at the deadline itself is on time; one second
later is refused.

Deadlines gate the county and city bureaus. The provincial department decides without a stage
deadline of its own (it is the one who would extend it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.access import ALLOW, Decision, deny
from submissions.constants import Level

GATED_LEVELS = frozenset({Level.COUNTY, Level.CITY})


def _now() -> dt.datetime:
    """The current time (one place, so tests can move the clock)."""
    return timezone.now()


def _specificity(region_id, region) -> int:
    if region_id is None:
        return 0
    if region_id == region.pk:
        return 3
    if region_id == region.city_id:
        return 2
    if region_id == region.province_id:
        return 1
    return -1  # does not concern the region


def _pick_stage(stages: Iterable, level: str, region):
    best, best_key = None, None
    for stage in stages:
        if stage.level != level:
            continue
        spec = _specificity(stage.region_id, region)
        if spec < 0:
            continue
        key = (spec, stage.order, stage.pk)
        if best_key is None or key > best_key:
            best, best_key = stage, key
    return best


def _effective(stage, extensions: Iterable, region) -> tuple[dt.datetime | None, object | None]:
    at = stage.deadline_at
    chosen = None
    for ext in extensions:
        if _specificity(ext.region_id, region) < 0:
            continue
        if at is None or ext.new_deadline > at:
            at, chosen = ext.new_deadline, ext
    if stage.deadline_at is None and chosen is None:
        return None, None
    return at, chosen


def stage_for(*, call, level: str, region):
    """The call's stage for `level` that concerns `region` (None: the call sets none)."""
    return _pick_stage(call.stages.all(), level, region)


def effective_deadline(*, stage, region) -> dt.datetime | None:
    if stage is None:
        return None
    at, _ext = _effective(stage, stage.extensions.all(), region)
    return at


@dataclass(frozen=True)
class BureauDeadline:
    level: str
    stage: object | None
    at: dt.datetime | None
    extension: object | None = None

    @property
    def extended(self) -> bool:
        return self.extension is not None

    def passed(self, now: dt.datetime | None = None) -> bool:
        return self.at is not None and (now or _now()) > self.at


class DeadlineBook:
    """Stages and extensions of some calls loaded once (two queries), for lists and bulk work."""

    def __init__(self, call_ids: Iterable[int]):
        from programs.models import Stage
        from submissions.models import StageExtension

        ids = set(call_ids)
        self.stages: dict[int, list] = defaultdict(list)
        self.extensions: dict[int, list] = defaultdict(list)
        if not ids:
            return
        for stage in Stage.objects.filter(call_id__in=ids, level__in=list(GATED_LEVELS | {Level.PROVINCE})):
            self.stages[stage.call_id].append(stage)
        for ext in StageExtension.objects.filter(stage__call_id__in=ids):
            self.extensions[ext.stage_id].append(ext)

    def deadline(self, call_id: int, level: str, region) -> BureauDeadline:
        stage = _pick_stage(self.stages.get(call_id, ()), level, region)
        if stage is None:
            return BureauDeadline(level=level, stage=None, at=None)
        at, ext = _effective(stage, self.extensions.get(stage.pk, ()), region)
        return BureauDeadline(level=level, stage=stage, at=at, extension=ext)

    def for_application(self, app, level: str | None = None) -> BureauDeadline:
        return self.deadline(app.call_id, level or app.level, app.region)


def bureau_deadline(*, application, level: str | None = None) -> BureauDeadline:
    """The effective deadline of the bureau holding `application` (or of `level`)."""
    return DeadlineBook([application.call_id]).for_application(application, level)


def check_bureau_deadline(*, application, level: str | None = None, now: dt.datetime | None = None,
                          book: DeadlineBook | None = None) -> Decision:
    """May the bureau at the application's level still act? (The province is not gated.)"""
    level = level or application.level
    if level not in GATED_LEVELS:
        return ALLOW
    deadline = (book or DeadlineBook([application.call_id])).for_application(application, level)
    now = now or _now()
    if deadline.at is not None and now > deadline.at:
        return deny(
            _("The deadline of the stage “%(stage)s” passed at %(at)s; only an extension by the provincial "
              "department reopens it.")
            % {"stage": deadline.stage.name, "at": date_format(timezone.localtime(deadline.at), "Y-m-d H:i:s")}
        )
    return ALLOW
