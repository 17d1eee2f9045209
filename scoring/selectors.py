"""Reads of rubrics and assessments. Scoping comes from portal.access; these only shape the rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError
from django.db.models import QuerySet

from portal import access
from portal.access import Actor
from scoring.policy import assessments_visible, rubric_versions_visible

from .constants import SCORER_ORDER, RubricStatus
from .engine import Rubric as CompiledRubric
from .engine import fmt
from .models import Assessment, RubricVersion
from .rubric_loader import load_builtin


class UnknownRubric(LookupError):
    """No rubric of that code (no published version in the database, no fixture file)."""


@dataclass
class ResolvedRubric:
    """A compiled rubric and where it came from: a version row, or the fixture file."""

    rubric: CompiledRubric
    version: RubricVersion | None

    @property
    def from_file(self) -> bool:
        return self.version is None


def newest_published(code: str) -> RubricVersion | None:
    return (
        RubricVersion.objects.select_related("rubric", "province")
        .filter(rubric__code=code, status=RubricStatus.PUBLISHED)
        .order_by("-version")
        .first()
    )


def resolve_rubric(code: str, *, actor: Actor | None = None, version: int | None = None) -> ResolvedRubric:
    """The rubric `code`: a given version (visible to `actor`), else the newest published version in
    the database, else the fixture file fixtures/rubrics/<code>.yaml (a fresh checkout, or a
    database not migrated yet). Raises UnknownRubric."""
    if version is not None:
        qs = rubric_versions_visible(actor or access.ANONYMOUS)
        row = qs.filter(rubric__code=code, version=version).first()
        if row is None:
            raise UnknownRubric(code)
        return ResolvedRubric(row.compiled(), row)
    try:
        row = newest_published(code)
    except DatabaseError:  # tables not created yet: the command still works from the files
        row = None
    if row is not None:
        return ResolvedRubric(row.compiled(), row)
    try:
        return ResolvedRubric(load_builtin(code), None)
    except (KeyError, ValueError, OSError):
        raise UnknownRubric(code) from None


def rubric_catalogue(actor: Actor) -> list[dict]:
    """One row per rubric code the actor may see: the newest published version and the drafts
    newer than it that the actor may see."""
    rows: dict[str, dict] = {}
    for v in rubric_versions_visible(actor).defer("source_text").order_by("rubric__code", "-version"):
        row = rows.setdefault(v.rubric.code, {"rubric": v.rubric, "published": None, "drafts": []})
        if v.is_published:
            if row["published"] is None:
                row["published"] = v
        elif row["published"] is None:
            row["drafts"].append(v)
    for row in rows.values():
        shown = row["published"] or (row["drafts"][0] if row["drafts"] else None)
        row["source"] = (shown.definition.get("source") if shown and isinstance(shown.definition, dict) else None) or {}
    return list(rows.values())


def rubric_versions_of(actor: Actor, code: str) -> QuerySet[RubricVersion]:
    return rubric_versions_visible(actor).filter(rubric__code=code).defer("source_text").order_by("-version")


def assessments_of_organization(actor: Actor, organization) -> QuerySet[Assessment]:
    return assessments_visible(actor).filter(organization=organization).order_by("-scored_at", "-id")


def side_by_side(assessments) -> list[dict]:
    """Group assessments by rubric code and put the newest of each scorer kind side by side.

    Returns ``[{"code", "title", "columns": [Assessment, ...] (self, county, city, expert order),
    "rows": [{"key", "label", "max", "cells": [points or None, ...], "differs": bool}], "totals":
    {"base": [...], "bonus": [...], "total": [...], "eligible": [...]}}]``; the items follow the
    newest version among the columns."""
    by_code: dict[str, dict] = {}
    for a in assessments:  # newest first
        code = a.rubric_version.rubric.code
        group = by_code.setdefault(code, {"rubric": a.rubric_version.rubric, "latest": {}})
        group["latest"].setdefault(a.scorer_kind, a)
    out = []
    for code, group in by_code.items():
        columns = [group["latest"][k] for k in SCORER_ORDER if k in group["latest"]]
        newest = max(columns, key=lambda a: a.rubric_version.version)
        points = [a.points_by_item() for a in columns]
        rows = []
        for item in newest.result.get("items", ()):
            values = [p.get(item["key"]) for p in points]
            present = {v for v in values if v is not None}
            rows.append({
                "key": item["key"], "label": item["label"], "max": item["max"],
                "cells": [None if v is None else fmt(v) for v in values],
                "differs": len(present) > 1,
            })
        out.append({
            "code": code,
            "title": str(group["rubric"]),
            "columns": columns,
            "rows": rows,
        })
    return out
