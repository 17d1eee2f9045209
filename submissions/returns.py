"""What a return for revision names, unlocks and changes: the bureau names items in
`Application.return_reasons`, the applicant may change those (and nothing else), and the
resubmission is compared with the version returned.

    return_targets(spec)        -> what a return can name for a call: form sections, single fields,
                                   figures, material slots (value, label, group); the review page's
                                   choices and the service's check of a return (page and API alike)
    returned_editable(app)      -> what a returned application unlocks
    reasons_by_target(app)      -> each reason's text by the item it names (shown beside that item)
    resubmission_changes(app)   -> the latest receipt compared with the one before: every changed
                                   field (before / after) and every replaced material

`return_reasons` (written by the reviewing bureau, submissions.review.services) is a list of entries
  {"target": "general" | "material:<code>" | "input:<key>" | "field:<path>" | "members" | "all",
   "label": "...", "text": "..."}
(also accepted: {"kind": ..., "key": ..., "reason": ...}). A field path points into Application.data
("profile.contact_phone", "figures", "sections.1-2", "targets"); an input key is a rubric input or
figure key ("rd_expenditure"); a material code is a RequiredMaterial code. A return naming no item
(general remarks only) leaves everything editable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from submissions.forms import ANNUAL_FIGURES, FormSpec, form_spec
from submissions.models import RECEIPT_ORDER


@dataclass(frozen=True)
class ReturnTarget:
    value: str  # "general", "field:<path>", "input:<key>", "material:<code>", "members"
    label: str
    group: str  # "general", "section", "field", "material"


def _en() -> bool:
    return (get_language() or "").lower().startswith("en")


def return_targets(spec: FormSpec) -> list[ReturnTarget]:
    """Everything a return for revision can name on `spec`'s form, in the form's order: the whole,
    each form section, each single field (a figure once for all its years), each material slot."""
    out = [ReturnTarget("general", _("General"), "general")]
    section = _("Section: %(name)s")
    single = _("Field: %(name)s")
    sections: list[tuple[str, Any]] = [("profile", _("Organization profile"))]
    if spec.figure_keys:
        sections.append(("figures", _("Figures")))
    if spec.facts:
        sections.append(("facts", _("Figures for the conditions")))
    if spec.inputs:
        sections.append(("inputs", _("Self-assessment")))
    if spec.outline:
        sections.append(("sections", spec.outline.title))
        sections.append(("targets", spec.outline.table_title))
    if spec.declarations:
        sections.append(("declarations", _("Declarations")))
    out += [ReturnTarget(f"field:{path}", section % {"name": name}, "section") for path, name in sections]
    if spec.multi:
        out.append(ReturnTarget("members", section % {"name": _("Lead unit and member units")}, "section"))
    fields = list(spec.profile) + ([spec.summary] if spec.summary else [])
    out += [ReturnTarget(f"field:{f.path}", single % {"name": f.label}, "field") for f in fields]
    for key in spec.figure_keys:
        out.append(ReturnTarget(f"input:{key}", single % {"name": ANNUAL_FIGURES[key][0]}, "field"))
    for f in spec.facts + spec.inputs:
        out.append(ReturnTarget(f"input:{f.path.split('.', 1)[1]}", single % {"name": f.label}, "field"))
    for f in spec.section_fields() + spec.declarations:
        out.append(ReturnTarget(f"field:{f.path}", single % {"name": f.label}, "field"))
    out += [ReturnTarget(f"material:{m.code}", _("Material: %(name)s") % {"name": m.name}, "material")
            for m in spec.materials]
    return out


def target_of(entry) -> tuple[str, str] | None:
    """(kind, key) of one reason's item: ("general", ""), ("field", path), ("input", key),
    ("material", code), ("members", ""), ("all", "")."""
    if not isinstance(entry, dict):
        return ("general", "")
    target = str(entry.get("target") or "")
    kind = str(entry.get("kind") or "")
    key = str(entry.get("key") or "").strip()
    if target and ":" in target:
        kind, _sep, key = target.partition(":")
    elif target and target != "general":
        kind, key = kind or "field", target
    elif target == "general" or (not kind and not key):
        return ("general", "")
    kind = kind or "field"
    if kind == "all" or key == "*":
        return ("all", "")
    if kind == "members":
        return ("members", "")
    if not key:
        return None
    return (kind if kind in ("material", "input") else "field", key)


def reasons_by_target(app) -> dict[str, list[str]]:
    """The reasons of a return by the item they name ("field:summary", "input:rd_expenditure",
    "material:evidence", "members", "general"): each is shown beside its item."""
    out: dict[str, list[str]] = {}
    for entry in app.return_reasons or []:
        found = target_of(entry)
        if found is None:
            continue
        kind, key = found
        text = (entry.get("text") or entry.get("reason") or "") if isinstance(entry, dict) else str(entry)
        out.setdefault(f"{kind}:{key}" if key else kind, []).append(str(text))
    return out


def returned_editable(app) -> tuple[bool, set[str], set[str]]:
    """What the bureau unlocked on a returned application: (everything, data path prefixes,
    material codes). Rubric inputs and figures appear as "inputs.<key>", "facts.<key>" and, for
    every year, "figures.*.<key>"; member units as "members". A return that names no item (only
    general remarks) unlocks everything: the bureau did not restrict the revision."""
    everything, paths, materials = False, set(), set()
    specific = False
    for entry in app.return_reasons or []:
        found = target_of(entry)
        if found is None or found[0] == "general":
            continue
        kind, key = found
        specific = True
        if kind == "all":
            everything = True
        elif kind == "material":
            materials.add(key)
        elif kind == "input":
            paths.update({f"inputs.{key}", f"figures.*.{key}", f"facts.{key}"})
        elif kind == "members":
            paths.add("members")
        else:
            paths.add(key)
    if not specific:
        everything = True
    return everything, paths, materials


def path_unlocked(path: str, prefixes: set[str]) -> bool:
    for prefix in prefixes:
        if "*" in prefix:
            head, _star, tail = prefix.partition(".*.")
            parts = path.split(".")
            if len(parts) >= 3 and parts[0] == head and ".".join(parts[2:]) == tail:
                return True
            continue
        if path == prefix or path.startswith(prefix + "."):
            return True
    return False


# --- what changed between the version returned and the resubmission ----------------------------


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Changes:
    previous: Any  # the Receipt of the version returned
    current: Any  # the Receipt of the resubmission
    fields: list[Change] = field(default_factory=list)
    materials: list[Change] = field(default_factory=list)
    versions: list = field(default_factory=list)  # every receipt, the first submission first


def _leaves(node, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: node}


def _text(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _targets_text(rows, spec: FormSpec) -> str:
    if not isinstance(rows, list) or spec.outline is None:
        return _text(rows)
    return "\n".join(f"{i}. " + " / ".join(str(r.get(k, "")) for k, _h in spec.outline.columns)
                     for i, r in enumerate(rows, 1) if isinstance(r, dict))


def _field_label(spec: FormSpec, path: str) -> str:
    f = spec.field(path)
    if f is not None:
        label = str(f.label)
        if path.startswith("figures."):
            label = f"{label} ({path.split('.')[1]})"
        return label
    return _("Other data")


def _materials(snapshot: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for a in snapshot.get("attachments") or []:
        out.setdefault(a.get("material", ""), []).append(a)
    return out


def compare_receipts(previous, current, spec: FormSpec) -> Changes:
    """Every changed field (before / after, labelled as on the form) and every replaced material
    between two receipts' snapshots."""
    before_snap, after_snap = previous.snapshot or {}, current.snapshot or {}
    changes = Changes(previous=previous, current=current)
    before_data = dict(before_snap.get("data") or {})
    after_data = dict(after_snap.get("data") or {})
    before_targets, after_targets = before_data.pop("targets", None), after_data.pop("targets", None)
    before = _leaves(before_data)
    after = _leaves(after_data)
    for key, value in (before_snap.get("score_inputs") or {}).items():
        if spec.field(f"inputs.{key}") is not None:
            before[f"inputs.{key}"] = value
    for key, value in (after_snap.get("score_inputs") or {}).items():
        if spec.field(f"inputs.{key}") is not None:
            after[f"inputs.{key}"] = value
    order = {f.path: i for i, f in enumerate(spec.scalar_fields())}
    paths = sorted(set(before) | set(after), key=lambda p: (order.get(p, len(order)), p))
    for path in paths:
        old, new = _text(before.get(path)), _text(after.get(path))
        if old != new:
            changes.fields.append(Change(_field_label(spec, path), old, new))
    if (before_targets or []) != (after_targets or []):
        changes.fields.append(Change(spec.outline.table_title if spec.outline else _("Other data"),
                                     _targets_text(before_targets or [], spec), _targets_text(after_targets or [], spec)))
    if (before_snap.get("members") or []) != (after_snap.get("members") or []):
        names = lambda rows: "、".join(m.get("name") or "" for m in rows)  # noqa: E731
        changes.fields.append(Change(_("Lead unit and member units"), names(before_snap.get("members") or []),
                                     names(after_snap.get("members") or [])))
    names_by_code = {m.code: m.name for m in spec.materials}
    old_files, new_files = _materials(before_snap), _materials(after_snap)
    for code in [m.code for m in spec.materials] + sorted((set(old_files) | set(new_files)) - set(names_by_code)):
        old_list, new_list = old_files.get(code, []), new_files.get(code, [])
        if sorted(a.get("sha256", "") for a in old_list) != sorted(a.get("sha256", "") for a in new_list):
            changes.materials.append(Change(names_by_code.get(code, _("Other material")),
                                            "、".join(a.get("name", "") for a in old_list),
                                            "、".join(a.get("name", "") for a in new_list)))
    return changes


def resubmission_changes(app, spec: FormSpec | None = None) -> Changes | None:
    """The latest receipt of `app` compared with the one before (None: submitted once only)."""
    receipts = list(app.receipts.order_by(*RECEIPT_ORDER))
    if len(receipts) < 2:
        return None
    changes = compare_receipts(receipts[1], receipts[0], spec or form_spec(app.call))
    changes.versions = receipts[::-1]
    return changes
