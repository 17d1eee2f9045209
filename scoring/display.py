"""Shape a compiled rubric and its results for the pages (the reader's language where the rubric
has both; the notice's wording and the engine's explanations stay in Chinese, as printed)."""

from __future__ import annotations

from typing import Any, Mapping

from django.utils.translation import gettext_lazy as _

from .engine import InputError, Rubric, evaluate, fmt, schema, what_if
from .models import prefers_english

# 一级指标 / 二级指标 / 三级指标 (one msgid each: the Chinese ordinals are words, not digits)
LEVEL_HEADERS = (_("Level-1 indicator"), _("Level-2 indicator"), _("Level-3 indicator"), _("Level-4 indicator"))


def _label(obj, en: bool) -> str:
    return obj.label_en if en and getattr(obj, "label_en", "") else obj.label_zh


def _max_text(mx, printed) -> dict:
    return {"max": fmt(mx), "printed": printed if printed is not None and str(printed) != fmt(mx) else None}


def rubric_table(rubric: Rubric) -> dict:
    """The table as the notice prints it: one row per base item, with the group cells (一级指标,
    二级指标, ...) spanning their items; the bonus items, the conditions, the notes, the classes."""
    en = prefers_english()
    groups = rubric.all_groups
    depth = max((len(it.chain) for it in rubric.items), default=1)
    span: dict[int, int] = {}
    for it in rubric.items:
        for gi in it.chain:
            span[gi] = span.get(gi, 0) + 1
    seen: set[int] = set()
    number = {n.key: i for i, n in enumerate(rubric.notes, 1)}

    def note_refs(key: str) -> list[dict]:
        return [{"key": n.key, "n": number[n.key]} for n in rubric.notes_for(key)]

    rows = []
    for it in rubric.items:
        chain = list(reversed(it.chain))  # top-level group first
        cells = []
        for level, gi in enumerate(chain):
            if gi in seen:
                continue
            seen.add(gi)
            g = groups[gi]
            cells.append({
                "key": g.key, "label": _label(g, en), "rowspan": span[gi],
                "colspan": depth - len(chain) + 1 if level == len(chain) - 1 else 1,
                **_max_text(g.max, g.printed_max),
            })
        rows.append({
            "key": it.key, "label": _label(it, en), "source_text": it.source_text, "cells": cells,
            "notes": note_refs(it.key), **_max_text(it.max, it.printed_max),
        })
    headers = [str(LEVEL_HEADERS[n]) if n < len(LEVEL_HEADERS) else "" for n in range(depth)]
    bonus = None
    if rubric.bonus_items:
        bonus = {
            "label": rubric.bonus_label_en if en else rubric.bonus_label_zh,
            "cap": fmt(rubric.bonus_cap) if rubric.bonus_cap is not None else None,
            "cap_effective": fmt(rubric.bonus_cap_effective),
            "items": [
                {"key": it.key, "label": _label(it, en), "source_text": it.source_text,
                 "notes": note_refs(it.key), **_max_text(it.max, it.printed_max)}
                for it in rubric.bonus_items
            ],
        }
    conditions = [
        {"key": c.key, "reason": c.reason_en if en else c.reason_zh, "source_text": c.source_text}
        for c in rubric.eligibility
    ]
    labels = {it.key: _label(it, en) for it in rubric.all_items}
    labels.update({g.key: _label(g, en) for g in groups})
    labels.update({k: _label(q, en) for k, q in rubric.quantities.items()})
    notes = [
        {"key": n.key, "n": number[n.key], "issue": n.issue_en if en else n.issue_zh, "choice": n.choice_en if en else n.choice_zh,
         "applies_to": [labels.get(k, k) for k in n.applies_to]}
        for n in rubric.notes
    ]
    classes = [
        {"key": c.key, "label": c.label_en if en else c.label_zh, "members": [m.name for m in c.members]}
        for c in rubric.classes
    ]
    return {
        "title": rubric.title_en if en else rubric.title_zh,
        "source": rubric.source,
        "headers": headers,
        "depth": depth,
        "rows": rows,
        "base_max": fmt(rubric.base_max),
        "total_max": fmt(rubric.total_max),
        "bonus": bonus,
        "conditions": conditions,
        "notes": notes,
        "classes": classes,
        "fallback": rubric.fallback.source_text if rubric.fallback else "",
    }


def input_fields(rubric: Rubric, values: Mapping[str, Any] | None = None, errors: Mapping[str, str] | None = None) -> list[dict]:
    """The calculator's form fields (from the engine's schema), with the values typed so far."""
    en = prefers_english()
    values = values or {}
    errors = errors or {}
    out = []
    for s in schema(rubric):
        value = values.get(s["key"], "")
        if value is None:
            value = ""
        out.append({
            "key": s["key"],
            "label": s["label_en"] if en else s["label_zh"],
            "unit": s["unit_en"] if en else s["unit"],
            "type": s["type"],
            "help": (s.get("help_en") if en else s.get("help_zh")) or "",
            "required": s["required"],
            "default": "" if s["default"] is None else (fmt(s["default"]) if not isinstance(s["default"], (str, bool)) else s["default"]),
            "levels": [{"key": lv["key"], "label": lv["label_en"] if en else lv["label_zh"]} for lv in s.get("levels", ())],
            "value": value if isinstance(value, (str, bool)) else str(value),
            "error": errors.get(s["key"], ""),
        })
    return out


def form_inputs(rubric: Rubric, data: Mapping[str, Any]) -> dict:
    """The inputs typed in a form (known keys, blanks dropped: a blank field is a missing input)."""
    out = {}
    for key in rubric.inputs:
        value = data.get(key)
        if value is None:
            continue
        value = str(value).strip()
        if value:
            out[key] = value
    return out


def calculation(rubric: Rubric, inputs: Mapping[str, Any]) -> dict:
    """Everything the calculator panel shows: per-item points with their explanation, group sums,
    totals, eligibility, missing inputs and the what-if hints; or the input errors."""
    en = prefers_english()
    try:
        result = evaluate(rubric, inputs)
    except InputError as exc:
        return {"errors": exc.errors}
    hints = []
    for h in what_if(rubric, inputs, result):
        if h["total_gain"] <= 0 and h["gain"] <= 0:
            continue
        hints.append({
            "item": h["item"], "text": h["text_en"] if en else h["text_zh"],
            "gain": fmt(h["gain"]), "total_gain": fmt(h["total_gain"]),
        })
    labels = {k: (s.label_en if en else s.label_zh) for k, s in rubric.inputs.items()}
    return {
        "errors": {},
        "base": fmt(result.base),
        "bonus": fmt(result.bonus),
        "total": fmt(result.total),
        "bonus_raw": fmt(result.bonus_raw),
        "eligible": result.eligible,
        "reasons": result.reasons_en if en else result.reasons,
        "missing": [labels.get(k, k) for k in result.missing],
        "items": [
            {"key": it.key, "label": it.label_en if en else it.label, "points": fmt(it.points), "max": fmt(it.max),
             "explanation": it.explanation, "missing": bool(it.missing), "bonus": it.bonus,
             "full": it.points >= it.max, "substituted": it.substituted}
            for it in result.items
        ],
        "groups": [{"key": g.key, "points": fmt(g.points), "max": fmt(g.max), "raw": fmt(g.raw)} for g in result.groups],
        "hints": hints,
        "filled": bool(inputs),
    }
