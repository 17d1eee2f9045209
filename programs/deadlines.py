"""The one deadline resolver: which stage of a call binds a region at a level, and when it closes.

Every page, API field, list, reminder and check that shows or enforces a deadline asks here
(`resolve_deadline` for one call, `DeadlineBook` for many); nothing else picks stages or applies
extensions. The rules, from the notices (DOMAIN.md section 3):

* Who: a level (applicant, county, city, province) and a region: an applicant organization's
  region, or the region a bureau governs. Without a region (an anonymous visitor, the platform
  operator) only the stages and extensions limited to no region concern it.
* Which stage: among the call's stages of that level, those that concern the region: a stage
  limited to the region itself wins over one limited to its city, which wins over one limited to
  its province, which wins over a general stage (Lanzhou's relay notice gives its counties 4-20,
  the province's notice gives everyone else 4-30). Several equally specific stages of one level:
  an applicant files at the first (later applicant stages, such as a PDF upload or paper
  material, follow the filing); a bureau passes the file on at the last.
* When: a fixed date and time; none for a rolling stage ("any time"); for a stage counted in
  working days from an event, the date once the event is dated (`Stage.save` keeps it in
  `Stage.deadline_at`), none before.
* 随时 after a first batch: when an applicant's filing stage is followed by a rolling applicant stage
  of the same reach (Guizhou's certification: first batch by 6-30, later batches any time), the
  first stage binds until its deadline, then the rolling one: the call stays open.
* Extensions (`StageExtension`, granted by the province): one for all regions, limited to a
  region (a city's extension covers its counties), or limited to one organization (and then only
  for it). The latest moment among the stage's deadline and the extensions that concern the
  region and organization binds (an extension never shortens a deadline).
* Passed: acting at the deadline itself is on time; one second later is late.

Times are aware datetimes; deadlines are shown in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from .constants import DeadlineKind, StageLevel
from .models import Stage, StageExtension

#: an applicant files at its level's first stage; a bureau passes the file on at its level's last
FIRST_STAGE_LEVELS = frozenset({StageLevel.APPLICANT})


def specificity(region_id: int | None, region) -> int:
    """How closely something limited to `region_id` (None: not limited) concerns `region`:
    3 the region itself, 2 its city, 1 its province, 0 everybody, -1 not this region."""
    if region_id is None:
        return 0
    if region is None:
        return -1
    if region_id == region.pk:
        return 3
    if region_id in (region.city_id, region.parent_id) and region_id != region.province_id:
        return 2
    if region_id == region.province_id:
        return 1
    return -1


def concerns(stage_or_extension, region) -> bool:
    """Does a stage or an extension (possibly limited to a region) concern `region`?"""
    return specificity(stage_or_extension.region_id, region) >= 0


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Deadline:
    """The answer: the stage that binds `level` in the region (None: the call sets none) and the
    moment it closes (None: no deadline, see `rolling` and `pending_event`), moved by `extension`
    when the province extended it for the region."""

    level: str
    stage: Stage | None = None
    at: dt.datetime | None = None
    extension: StageExtension | None = None

    @property
    def extended(self) -> bool:
        return self.extension is not None

    @property
    def kind(self) -> str | None:
        return self.stage.deadline_kind if self.stage is not None else None

    @property
    def rolling(self) -> bool:
        """Any time: a rolling stage (that no extension dated)."""
        return self.at is None and self.kind == DeadlineKind.ROLLING

    @property
    def pending_event(self) -> bool:
        """Counted from an event that has not been dated yet."""
        return self.at is None and self.kind == DeadlineKind.RELATIVE

    def passed(self, now: dt.datetime | None = None) -> bool:
        return self.at is not None and (now or timezone.now()) > self.at

    def passed_message(self, now: dt.datetime | None = None) -> str:
        if self.level == StageLevel.APPLICANT:
            text = _("The filing deadline of this call, %(deadline)s (Beijing time), has passed.") % {
                "deadline": _local(self.at)}
            if now is not None:
                text += " " + _("It is now %(now)s.") % {"now": _local(now)}
            return text
        return _("The deadline of the stage “%(stage)s” passed at %(at)s; only an extension by the provincial "
                 "department reopens it.") % {"stage": self.stage.name, "at": _local(self.at)}


def _pick_stage(stages: Iterable[Stage], level: str, region) -> Stage | None:
    best, best_key = None, None
    first = level in FIRST_STAGE_LEVELS
    for stage in stages:
        if stage.level != level:
            continue
        spec = specificity(stage.region_id, region)
        if spec < 0:
            continue
        position = (-stage.order, -stage.pk) if first else (stage.order, stage.pk)
        key = (spec, *position)
        if best_key is None or key > best_key:
            best, best_key = stage, key
    return best


def _rolling_after(stages: Iterable[Stage], chosen: Stage, region) -> Stage | None:
    """A rolling stage of the same level and reach after `chosen` (随时 after a first batch)."""
    spec = specificity(chosen.region_id, region)
    later = [s for s in stages if s.level == chosen.level and s.deadline_kind == DeadlineKind.ROLLING
             and specificity(s.region_id, region) == spec and (s.order, s.pk) > (chosen.order, chosen.pk)]
    return min(later, key=lambda s: (s.order, s.pk)) if later else None


def extension_concerns(ext: StageExtension, region, organization_id: int | None = None) -> bool:
    """Does an extension concern `region` (and, for one limited to an organization, that organization)?"""
    if ext.organization_id is not None and ext.organization_id != organization_id:
        return False
    return specificity(ext.region_id, region) >= 0


def _extend(stage: Stage, extensions: Iterable[StageExtension], region, organization_id: int | None = None):
    at, chosen = stage.deadline_at, None
    for ext in sorted(extensions, key=lambda e: (e.granted_at, e.pk)):
        if not extension_concerns(ext, region, organization_id):
            continue
        if at is None or ext.new_deadline > at:
            at, chosen = ext.new_deadline, ext
    return at, chosen


def stages_prefetch(prefix: str = "") -> Prefetch:
    """Prefetch a call's stages with their regions and extensions (`prefix`: the path to the call,
    e.g. "call__"), so that `resolve_deadline` and `DeadlineBook.of_calls` need no further query."""
    return Prefetch(
        f"{prefix}stages",
        queryset=Stage.objects.select_related("region").prefetch_related(
            Prefetch("extensions", queryset=StageExtension.objects.select_related("region"))
        ).order_by("order", "id"),
    )


class DeadlineBook:
    """The stages and extensions of some calls, loaded once: two queries for any number of calls
    (`DeadlineBook(call_ids)`), or none when the calls come with `stages_prefetch()`
    (`DeadlineBook.of_calls(calls)`). Lists resolve every row through one book."""

    def __init__(self, call_ids: Iterable[int] = (), *, regions: bool = True):
        """`regions=False`: for a caller that only resolves deadlines (which reads regions by id)
        and shows no stage's or extension's region: their regions are not joined."""
        self.stages: dict[int, list[Stage]] = defaultdict(list)
        self.extensions: dict[int, list[StageExtension]] = defaultdict(list)
        ids = {i for i in call_ids if i is not None}
        if not ids:
            return
        stages = Stage.objects.filter(call_id__in=ids)
        extensions = StageExtension.objects.filter(stage__call_id__in=ids)
        if regions:
            stages, extensions = stages.select_related("region"), extensions.select_related("region")
        for stage in stages.order_by("order", "id"):
            self.stages[stage.call_id].append(stage)
        for ext in extensions.order_by("granted_at", "id"):
            self.extensions[ext.stage_id].append(ext)

    @classmethod
    def of_calls(cls, calls: Iterable) -> "DeadlineBook":
        """From calls fetched with `stages_prefetch()`; calls without it are loaded (two queries)."""
        book, missing = cls(), set()
        for call in calls:
            cache = getattr(call, "_prefetched_objects_cache", {})
            stages = cache.get("stages")
            if stages is None or any("extensions" not in getattr(s, "_prefetched_objects_cache", {}) for s in stages):
                missing.add(call.pk)
                continue
            book.stages[call.pk] = list(stages)
            for stage in stages:
                book.extensions[stage.pk] = list(stage.extensions.all())
        if missing:
            loaded = cls(missing)
            book.stages.update(loaded.stages)
            book.extensions.update(loaded.extensions)
        return book

    def resolve(self, call_id: int, level: str, region, organization_id: int | None = None,
                now: dt.datetime | None = None) -> Deadline:
        stages = self.stages.get(call_id, ())
        stage = _pick_stage(stages, level, region)
        if stage is None:
            return Deadline(level=level)
        at, ext = _extend(stage, self.extensions.get(stage.pk, ()), region, organization_id)
        if level in FIRST_STAGE_LEVELS and at is not None and (now or timezone.now()) > at:
            rolling = _rolling_after(stages, stage, region)
            if rolling is not None:  # 随时 after the first batch: open, without a deadline
                return Deadline(level=level, stage=rolling)
        return Deadline(level=level, stage=stage, at=at, extension=ext)

    deadline = resolve  # the name the review side has used

    def for_application(self, application, level: str | None = None) -> Deadline:
        """The deadline of `level` (default: the level holding the application) for the
        application's region and organization."""
        return self.resolve(application.call_id, level or application.level, application.region,
                            application.organization_id)


def resolve_deadline(*, call, region, level: str = StageLevel.APPLICANT, book: DeadlineBook | None = None,
                     organization_id: int | None = None) -> Deadline:
    """Which stage of `call` binds `level` in `region` (an organization's region, or the region a
    bureau governs; None for nobody in particular), and when it closes; `organization_id`: the
    applicant asking, for the extensions granted to it alone. Uses the call's prefetched stages
    and extensions (`stages_prefetch()`), or `book`, or loads them (two queries)."""
    book = book or DeadlineBook.of_calls([call])
    return book.resolve(call.pk, level, region, organization_id)


def filing_deadline(*, call, region, book: DeadlineBook | None = None, organization_id: int | None = None) -> Deadline:
    """The applicant's filing deadline in `region` (for the organization `organization_id`, its own
    extensions included)."""
    return resolve_deadline(call=call, region=region, level=StageLevel.APPLICANT, book=book,
                            organization_id=organization_id)
