"""What a return for revision unlocks: the bureau names items in `Application.return_reasons`, the
applicant may change those (and nothing else).

`return_reasons` (written by the reviewing bureau, submissions.review.services) is a list of entries
  {"target": "general" | "material:<code>" | "input:<key>" | "field:<path>" | "members" | "all",
   "label": "...", "text": "..."}
(also accepted: {"kind": ..., "key": ..., "reason": ...}). A field path points into Application.data
("profile.contact_phone", "figures", "sections.1-2", "targets"); an input key is a rubric input or
figure key ("rd_expenditure"); a material code is a RequiredMaterial code. A return naming no item
(general remarks only) leaves everything editable.
"""

from __future__ import annotations


def returned_editable(app) -> tuple[bool, set[str], set[str]]:
    """What the bureau unlocked on a returned application: (everything, data path prefixes,
    material codes). Rubric inputs and figures appear as "inputs.<key>", "facts.<key>" and, for
    every year, "figures.*.<key>"; member units as "members". A return that names no item (only
    general remarks) unlocks everything: the bureau did not restrict the revision."""
    everything, paths, materials = False, set(), set()
    specific = False
    for entry in app.return_reasons or []:
        if not isinstance(entry, dict):
            continue
        target = str(entry.get("target") or "")
        kind = str(entry.get("kind") or "")
        key = str(entry.get("key") or "").strip()
        if target and ":" in target:
            kind, _sep, key = target.partition(":")
        elif target and target != "general":
            kind, key = kind or "field", target
        elif target == "general" or (not kind and not key):
            continue
        kind = kind or "field"
        if kind == "all" or key == "*":
            everything = True
            specific = True
            continue
        if not key and kind != "members":
            continue
        specific = True
        if kind == "material":
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
