"""Reads of the county evaluation: the ranking table of a round, computed from the entered figures
with the round's pinned rubric (scoring.engine: evaluate_all applies the class-average rule,
rank_within_classes ranks within each class). Nothing computed is stored."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.constants import RegionLevel
from portal.models import Region
from scoring.engine import class_of, evaluate_all, fmt, rank_within_classes
from scoring.models import CountyEvaluationRound, prefers_english


@dataclass
class RankingTable:
    round: CountyEvaluationRound
    groups: list[dict]  # the top-level groups (key, label, max)
    classes: list[dict] = field(default_factory=list)  # key, label, rows
    not_entered: list[Region] = field(default_factory=list)


def rated_counties(round_: CountyEvaluationRound) -> list[Region]:
    """The counties of the round's city that the rubric rates (in one of its classes)."""
    rubric = round_.rubric_version.compiled()
    return [c for c in Region.objects.filter(city_id=round_.city_id, level=RegionLevel.COUNTY).order_by("code")
            if class_of(rubric, c.name) is not None or class_of(rubric, c.code) is not None]


def _entity(rubric, county: Region) -> str:
    return county.name if class_of(rubric, county.name) is not None else county.code


def ranking(round_: CountyEvaluationRound) -> RankingTable:
    rubric = round_.rubric_version.compiled()
    en = prefers_english()
    entries = list(round_.entries.select_related("county"))
    by_entity = {_entity(rubric, e.county): e for e in entries}
    results = evaluate_all(rubric, {k: e.inputs for k, e in by_entity.items()}) if by_entity else {}
    ranked = rank_within_classes(rubric, results) if results else {}
    groups = [{"key": g.key, "label": g.label_en if en else g.label_zh, "max": fmt(g.max)} for g in rubric.groups]
    table = RankingTable(round=round_, groups=groups)
    for cls in rubric.classes:
        rows = []
        for r in ranked.get(cls.key, ()):
            result, entry = results[r.entity], by_entity[r.entity]
            rows.append({
                "county": entry.county, "name": entry.county.name, "entry": entry,
                "groups": [fmt(result.group(g["key"]).points) for g in groups],
                "base": fmt(result.base), "bonus": fmt(result.bonus), "total": fmt(result.total),
                "rank": r.rank, "praised": r.praised, "interviewed": r.interviewed, "eligible": r.eligible,
                "reasons": result.reasons_en if en else result.reasons,
                "missing": len(result.missing),
            })
        table.classes.append({"key": cls.key, "label": cls.label_en if en else cls.label_zh, "rows": rows})
    entered = {e.county_id for e in entries}
    table.not_entered = [c for c in rated_counties(round_) if c.pk not in entered]
    return table
