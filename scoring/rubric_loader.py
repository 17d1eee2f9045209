"""Read, validate and compile rubric definitions (plain Python, no Django).

Public API::

    validate_rubric(data: dict) -> tuple[list[Message], list[Message]]   # (errors, warnings)
    load_rubric(data: dict) -> Rubric            # raises RubricError listing every error
    load_rubric_file(path) -> Rubric             # YAML file
    load_rubric_dir(path=RUBRIC_DIR) -> dict[str, Rubric]
    load_builtin(code) -> Rubric                 # fixtures/rubrics/<code>.yaml, cached

Rubric file format (YAML; numbers may be written as ints or quoted decimals like "0.5")::

    code: gansu-2022-etc            version: "2022.1"        total: 100       # the base max
    title: {zh: ..., en: ...}
    source: {seed: "001", notice: ..., document_number: 甘工信发〔2022〕53号, attachment: 附件1}
    inputs:   - {key, label_zh, label_en, unit, unit_en, type: decimal|integer|level|boolean,
                 more_is_better: true|false|null, default?, allow_negative?, levels?: [{key, zh, en}]}
    derived:  - {key, label_zh, label_en, unit, unit_en, op: ratio, num, den, scale?: 100}
              - {key, ..., op: difference, a, b}
              (operands: declared numeric inputs or derived values declared *earlier*; a ratio
              whose denominator is <= 0 is undefined and its items score 0)
    groups:   - {key, label_zh, label_en, max, groups?: [...], items?: [item, ...]}
       item:    {key, label_zh, label_en, max, source_text, rule: {type: ..., ...},
                 printed_max?, printed_group?}
    bonus:    {label_zh, label_en, cap: 5 | null, items: [item, ...]}
    eligibility: - {key, input, op: ">=", value, reason_zh, reason_en, source_text}
    notes:    - {key, applies_to: [...], issue_zh, issue_en, choice_zh, choice_en,
                 acknowledges?: [{code, target}]}
    classes / class_average_fallback / ranking      (rubrics that rate counties)

Rules (``rule.type``): steps {input, threshold, base, increment, add}; per_unit {input, unit,
points}; weighted_count {weights: [{input, weight, label_zh?, label_en?}]}; bands {input, bands:
[{min?, max?, min_inclusive?, max_inclusive?, points}]} (min inclusive, max exclusive by
default); level {input, points: {level_key: points}}; requirement {input, op, value}; boolean
{input, points?}; direct {input}. The item's ``max`` caps every rule.

Validation. *Errors* (the rubric is refused): missing or malformed fields, unknown rule types,
undeclared inputs, derived values referring to undeclared inputs, unordered or overlapping bands,
bad steps, level points for unknown levels, duplicate keys. *Anomalies* -- structural oddities that
the printed sources really contain -- are errors unless a note ``acknowledges`` them
(``{code, target}``), and then become *warnings* carrying the note's zh/en text:

    group_sum_mismatch   children's maxima do not add up to the group's max (target: group key)
    total_sum_mismatch   top groups do not add up to ``total`` (target: "total")
    item_max_mismatch    the printed weight differs from the max the rule text gives (item key)
    layout_mismatch      the source printed the item under another group (item key)
    bonus_uncapped       the bonus has no overall cap in the source (target: "bonus")
    band_floor_nonzero   the lowest band (open below) still gives points (item key)
    requirement_no_formula  a requirement row: the source gives no formula (item key or "*")
    bonus_item_over_cap  a bonus item's max exceeds the bonus cap (item key)

A note acknowledging ``{code, target: "*"}`` covers every anomaly of that code (one merged
warning). A note acknowledging something that is not there gives a ``stale_acknowledgement``
warning; unused inputs and gaps between bands are warnings too.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from .engine import (
    ONE,
    RULE_KINDS,
    ZERO,
    Band,
    BandsRule,
    BooleanRule,
    Condition,
    DerivedSpec,
    DirectRule,
    Entity,
    EntityClass,
    Fallback,
    GroupSpec,
    InputSpec,
    ItemSpec,
    Level,
    LevelRule,
    Message,
    Note,
    PerUnitRule,
    RequirementRule,
    Rubric,
    StepsRule,
    WeightedCountRule,
    _Quantity,
    fmt,
    to_decimal,
)

__all__ = [
    "RubricError",
    "RUBRIC_DIR",
    "validate_rubric",
    "load_rubric",
    "load_rubric_file",
    "load_rubric_dir",
    "load_builtin",
    "read_rubric_file",
]

RUBRIC_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "rubrics"

INPUT_TYPES = ("decimal", "integer", "level", "boolean")
DERIVED_OPS = ("ratio", "difference")
COND_OPS = (">=", ">", "<=", "<", "==", "!=")
ANOMALY_CODES = (
    "group_sum_mismatch",
    "total_sum_mismatch",
    "item_max_mismatch",
    "layout_mismatch",
    "bonus_uncapped",
    "band_floor_nonzero",
    "requirement_no_formula",
    "bonus_item_over_cap",
)


class RubricError(ValueError):
    """A rubric definition was refused. ``errors``: list of :class:`Message`; the text lists them."""

    def __init__(self, errors: list[Message], code: str = ""):
        self.errors = list(errors)
        head = f"rubric {code!r} refused" if code else "rubric refused"
        super().__init__(head + f" ({len(self.errors)} error(s)):\n" + "\n".join(f"  - {e}" for e in self.errors))


# --------------------------------------------------------------------------------------------
# validation


class _V:
    """Collects errors, anomalies and warnings while walking a rubric dict."""

    def __init__(self) -> None:
        self.errors: list[Message] = []
        self.warnings: list[Message] = []
        self.anomalies: list[Message] = []

    def err(self, code: str, target: str, zh: str, en: str) -> None:
        self.errors.append(Message(code, target, zh, en))

    def warn(self, code: str, target: str, zh: str, en: str) -> None:
        self.warnings.append(Message(code, target, zh, en))

    def anomaly(self, code: str, target: str, zh: str, en: str) -> None:
        self.anomalies.append(Message(code, target, zh, en))

    def num(self, v: Any, where: str, what: str, positive: bool = False, nonneg: bool = False) -> Decimal | None:
        if v is None or isinstance(v, bool):
            self.err("bad_number", where, f"{what} 缺失或不是数字", f"{what} is missing or not a number")
            return None
        try:
            d = to_decimal(v)
        except ValueError:
            self.err("bad_number", where, f"{what} 不是数字：{v!r}", f"{what} is not a number: {v!r}")
            return None
        if positive and d <= 0:
            self.err("bad_number", where, f"{what} 必须大于0：{fmt(d)}", f"{what} must be > 0: {fmt(d)}")
            return None
        if nonneg and d < 0:
            self.err("bad_number", where, f"{what} 不能为负：{fmt(d)}", f"{what} must not be negative: {fmt(d)}")
            return None
        return d

    def text(self, d: dict, key: str, where: str, required: bool = True) -> str:
        v = d.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                self.err("missing_field", where, f"缺少字段 {key}", f"missing field {key}")
            return ""
        if not isinstance(v, (str, int)):
            self.err("bad_field", where, f"字段 {key} 应为文本", f"field {key} must be text")
            return ""
        return str(v)


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else []


def validate_rubric(data: dict) -> tuple[list[Message], list[Message]]:
    """Check a rubric dict. Returns ``(errors, warnings)``; see the module docstring."""
    v = _V()
    _validate(data, v)
    return v.errors, v.warnings


def _validate(data: Any, v: _V) -> dict:
    """Validate; returns a context dict used by the compiler (only meaningful without errors)."""
    ctx: dict = {"inputs": {}, "derived": {}, "items": {}, "groups": {}}
    if not isinstance(data, dict):
        v.err("not_a_mapping", "rubric", "规则文件应为映射（字典）", "a rubric must be a mapping")
        return ctx
    code = v.text(data, "code", "rubric")
    v.text(data, "version", code or "rubric")
    title = data.get("title")
    if not isinstance(title, dict) or not title.get("zh") or not title.get("en"):
        v.err("missing_field", "title", "缺少标题（zh 和 en）", "title needs zh and en")
    if not isinstance(data.get("source"), dict):
        v.err("missing_field", "source", "缺少来源（source）", "missing source")
    total = v.num(data.get("total"), "total", "total", positive=True)
    if total is not None and total != 100:
        v.warn("total_not_100", "total", f"基础分总分为{fmt(total)}，不是100", f"the base total is {fmt(total)}, not 100")

    # ---- inputs
    inputs: dict = ctx["inputs"]
    raw_inputs = data.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        v.err("missing_field", "inputs", "缺少输入项（inputs）", "missing inputs")
        raw_inputs = []
    for i, d in enumerate(raw_inputs):
        where = f"inputs[{i}]"
        if not isinstance(d, dict):
            v.err("bad_field", where, "输入项应为映射", "an input must be a mapping")
            continue
        key = v.text(d, "key", where)
        if not key:
            continue
        where = f"input {key}"
        if key in inputs:
            v.err("duplicate_key", where, f"输入项 {key} 重复", f"duplicate input {key}")
            continue
        v.text(d, "label_zh", where)
        v.text(d, "label_en", where)
        t = d.get("type")
        if t not in INPUT_TYPES:
            v.err("bad_input_type", where, f"输入类型 {t!r} 无效（应为 {'/'.join(INPUT_TYPES)}）",
                  f"invalid input type {t!r} (expected {'/'.join(INPUT_TYPES)})")
        mib = d.get("more_is_better", True)
        if mib not in (True, False, None):
            v.err("bad_field", where, "more_is_better 应为 true/false/null", "more_is_better must be true/false/null")
        levels = d.get("levels")
        if t == "level":
            if not isinstance(levels, list) or not levels:
                v.err("missing_levels", where, "等级型输入缺少 levels", "a level input needs levels")
            else:
                seen = set()
                for lv in levels:
                    if not isinstance(lv, dict) or not lv.get("key") or not lv.get("zh") or not lv.get("en"):
                        v.err("bad_level", where, "等级需要 key、zh、en", "a level needs key, zh and en")
                        continue
                    if lv["key"] in seen:
                        v.err("duplicate_key", where, f"等级 {lv['key']} 重复", f"duplicate level {lv['key']}")
                    seen.add(lv["key"])
        inputs[key] = d
        if "default" in d and d["default"] is not None and t in INPUT_TYPES:
            try:
                _make_input(d).parse(d["default"])
            except (ValueError, KeyError, TypeError) as e:
                v.err("bad_default", where, f"默认值无效：{e}", f"invalid default: {e}")

    # ---- derived
    derived: dict = ctx["derived"]
    for i, d in enumerate(_as_list(data.get("derived"))):
        where = f"derived[{i}]"
        if not isinstance(d, dict):
            v.err("bad_field", where, "派生值应为映射", "a derived value must be a mapping")
            continue
        key = v.text(d, "key", where)
        if not key:
            continue
        where = f"derived {key}"
        if key in inputs or key in derived:
            v.err("duplicate_key", where, f"键 {key} 重复", f"duplicate key {key}")
            continue
        v.text(d, "label_zh", where)
        v.text(d, "label_en", where)
        op = d.get("op")
        if op not in DERIVED_OPS:
            v.err("bad_derived_op", where, f"派生运算 {op!r} 无效", f"invalid derived op {op!r}")
            continue
        args = (d.get("num"), d.get("den")) if op == "ratio" else (d.get("a"), d.get("b"))
        ok = True
        for a in args:
            if a in inputs:
                if inputs[a].get("type") not in ("decimal", "integer"):
                    v.err("bad_derived_ref", where, f"派生值 {key} 引用了非数值输入 {a}", f"derived {key} uses non-numeric input {a}")
                    ok = False
            elif a in derived:
                pass  # an earlier derived value
            else:
                v.err("undeclared_input", where, f"派生值 {key} 引用了未声明的输入 {a!r}",
                      f"derived {key} refers to undeclared input {a!r}")
                ok = False
        if "scale" in d:
            v.num(d["scale"], where, "scale", positive=True)
        if ok:
            derived[key] = d

    quantities = {**inputs, **derived}
    used: set = set()

    # ---- groups and items
    item_keys: dict = ctx["items"]
    group_keys: dict = ctx["groups"]

    def walk_item(d: Any, where: str, group: str, bonus: bool) -> Decimal | None:
        if not isinstance(d, dict):
            v.err("bad_field", where, "评分项应为映射", "an item must be a mapping")
            return None
        key = v.text(d, "key", where)
        if not key:
            return None
        where = f"item {key}"
        if key in item_keys or key in group_keys:
            v.err("duplicate_key", where, f"评分项 {key} 重复", f"duplicate item key {key}")
            return None
        item_keys[key] = {"d": d, "group": group, "bonus": bonus}
        v.text(d, "label_zh", where)
        v.text(d, "label_en", where)
        v.text(d, "source_text", where)
        mx = v.num(d.get("max"), where, "max", positive=True)
        pm = d.get("printed_max")
        if pm is not None and mx is not None:
            try:
                pmd = to_decimal(pm)
            except ValueError:
                pmd = None
            if pmd is None or pmd != mx:
                v.anomaly("item_max_mismatch", key,
                          f"评分项“{d.get('label_zh') or key}”印刷分值为 {pm}，但计分规则的满分为 {fmt(mx)}",
                          f"item “{d.get('label_en') or d.get('label_zh') or key}” is printed as worth {pm} "
                          f"but its rule caps it at {fmt(mx)}")
        pg = d.get("printed_group")
        if pg is not None and pg != group:
            layout_checks.append((key, pg, group, d.get("label_zh") or key,
                                  d.get("label_en") or d.get("label_zh") or key))
        rule = d.get("rule")
        if mx is not None:
            _validate_rule(rule, key, mx, quantities, used, v, d.get("printed_max"))
        return mx

    def walk_group(d: Any, where: str, parent: str | None) -> Decimal | None:
        if not isinstance(d, dict):
            v.err("bad_field", where, "指标组应为映射", "a group must be a mapping")
            return None
        key = v.text(d, "key", where)
        if not key:
            return None
        where = f"group {key}"
        if key in group_keys or key in item_keys:
            v.err("duplicate_key", where, f"指标组 {key} 重复", f"duplicate group key {key}")
            return None
        group_keys[key] = {"d": d, "parent": parent}
        v.text(d, "label_zh", where)
        v.text(d, "label_en", where)
        mx = v.num(d.get("max"), where, "max", positive=True)
        subs = d.get("groups")
        its = d.get("items")
        if (subs is None) == (its is None) or not isinstance(subs if subs is not None else its, list) or not (subs or its):
            v.err("bad_group", where, f"指标组 {key} 必须有且只有 groups 或 items 之一（非空）",
                  f"group {key} needs exactly one non-empty list: groups or items")
            return mx
        child_max: list = []
        if subs is not None:
            for j, s in enumerate(subs):
                child_max.append(walk_group(s, f"{where}.groups[{j}]", key))
        else:
            for j, it in enumerate(its):
                child_max.append(walk_item(it, f"{where}.items[{j}]", key, False))
        if mx is not None and all(c is not None for c in child_max):
            s = sum(child_max, ZERO)
            if s != mx:
                v.anomaly("group_sum_mismatch", key,
                          f"指标组“{d.get('label_zh', key)}”各子项满分合计 {fmt(s)}，不等于该组满分 {fmt(mx)}",
                          f"group “{d.get('label_en') or d.get('label_zh', key)}”: the children's maxima add up to {fmt(s)}, not to the group's max {fmt(mx)}")
        return mx

    layout_checks: list = []
    groups = data.get("groups")
    if not isinstance(groups, list) or not groups:
        v.err("missing_field", "groups", "缺少指标组（groups）", "missing groups")
        groups = []
    tops = [walk_group(g, f"groups[{i}]", None) for i, g in enumerate(groups)]
    if total is not None and tops and all(t is not None for t in tops):
        s = sum(tops, ZERO)
        if s != total:
            v.anomaly("total_sum_mismatch", "total",
                      f"一级指标满分合计 {fmt(s)}，不等于总分 {fmt(total)}",
                      f"the top groups add up to {fmt(s)}, not to the total {fmt(total)}")

    def glabel(k: str, lang: str) -> str:
        g = group_keys.get(k)
        return str(g["d"].get(f"label_{lang}") or k) if g else k

    for key, pg, group, item_zh, item_en in layout_checks:
        if pg not in group_keys:
            v.err("bad_field", f"item {key}", f"printed_group {pg!r} 不是已声明的指标组", f"printed_group {pg!r} is not a declared group")
            continue
        v.anomaly("layout_mismatch", key,
                  f"评分项“{item_zh}”在原表中印在“{glabel(pg, 'zh')}”下，计入“{glabel(group, 'zh')}”",
                  f"item “{item_en}” is printed under “{glabel(pg, 'en')}” in the source but counted in “{glabel(group, 'en')}”")

    # ---- bonus
    bonus = data.get("bonus")
    if bonus is not None:
        if not isinstance(bonus, dict) or not isinstance(bonus.get("items"), list) or not bonus["items"]:
            v.err("bad_bonus", "bonus", "加分项应为含 items 的映射", "bonus must be a mapping with items")
        else:
            cap = None
            if bonus.get("cap") is None:
                s = ZERO
                for it in bonus["items"]:
                    if isinstance(it, dict):
                        try:
                            s += to_decimal(it.get("max"))
                        except (ValueError, TypeError):
                            pass
                v.anomaly("bonus_uncapped", "bonus",
                          f"加分项没有总上限，各加分项满分合计 {fmt(s)}",
                          f"the bonus has no overall cap; its items' maxima add up to {fmt(s)}")
            else:
                cap = v.num(bonus.get("cap"), "bonus", "bonus cap", positive=True)
            for j, it in enumerate(bonus["items"]):
                mx = walk_item(it, f"bonus.items[{j}]", "bonus", True)
                if cap is not None and mx is not None and mx > cap:
                    v.anomaly("bonus_item_over_cap", it.get("key", "?"),
                              f"加分项 {it.get('key')} 满分 {fmt(mx)} 超过加分总上限 {fmt(cap)}",
                              f"bonus item {it.get('key')} max {fmt(mx)} exceeds the bonus cap {fmt(cap)}")

    # ---- eligibility
    for i, c in enumerate(_as_list(data.get("eligibility"))):
        where = f"eligibility[{i}]"
        if not isinstance(c, dict):
            v.err("bad_field", where, "资格条件应为映射", "a condition must be a mapping")
            continue
        where = f"eligibility {c.get('key', i)}"
        v.text(c, "key", where)
        inp = c.get("input")
        if inp not in quantities:
            v.err("undeclared_input", where, f"资格条件引用了未声明的输入 {inp!r}", f"condition refers to undeclared input {inp!r}")
        else:
            used.add(inp)
            q = quantities[inp]
            if q.get("type") == "boolean":
                if not isinstance(c.get("value"), bool):
                    v.err("bad_condition", where, "布尔条件的值应为 true/false", "a boolean condition needs true/false")
            else:
                v.num(c.get("value"), where, "value")
        if c.get("op") not in COND_OPS:
            v.err("bad_condition", where, f"比较符 {c.get('op')!r} 无效", f"invalid comparator {c.get('op')!r}")
        v.text(c, "reason_zh", where)
        v.text(c, "reason_en", where)
        v.text(c, "source_text", where)

    # ---- derived inputs count as used when the derived value is used
    changed = True
    while changed:
        changed = False
        for k, d in derived.items():
            if k in used:
                args = (d.get("num"), d.get("den")) if d.get("op") == "ratio" else (d.get("a"), d.get("b"))
                for a in args:
                    if a not in used:
                        used.add(a)
                        changed = True
    for k in inputs:
        if k not in used:
            v.warn("unused_input", k, f"输入项 {k} 未被任何评分项使用", f"input {k} is not used by any item")

    # ---- classes
    entity_names: dict = {}
    class_keys = set()
    for i, c in enumerate(_as_list(data.get("classes"))):
        where = f"classes[{i}]"
        if not isinstance(c, dict) or not c.get("key") or not isinstance(c.get("members"), list):
            v.err("bad_class", where, "分类需要 key 和 members", "a class needs key and members")
            continue
        class_keys.add(c["key"])
        for m in c["members"]:
            if not isinstance(m, dict) or not m.get("key") or not m.get("name"):
                v.err("bad_class", where, "分类成员需要 key 和 name", "a class member needs key and name")
                continue
            for n in [m["key"], m["name"], *_as_list(m.get("aliases"))]:
                if n in entity_names and entity_names[n] != m["key"]:
                    v.err("duplicate_key", where, f"名称 {n} 属于多个考评对象", f"name {n} belongs to several entities")
                entity_names[n] = m["key"]
    fb = data.get("class_average_fallback")
    if fb is not None:
        if not isinstance(fb, dict):
            v.err("bad_fallback", "class_average_fallback", "格式无效", "malformed")
        else:
            if fb.get("entity") not in entity_names.values():
                v.err("bad_fallback", "class_average_fallback", f"未知考评对象 {fb.get('entity')!r}", f"unknown entity {fb.get('entity')!r}")
            if fb.get("class") not in class_keys:
                v.err("bad_fallback", "class_average_fallback", f"未知分类 {fb.get('class')!r}", f"unknown class {fb.get('class')!r}")
            for g in _as_list(fb.get("groups")):
                if g not in group_keys:
                    v.err("bad_fallback", "class_average_fallback", f"未知指标组 {g!r}", f"unknown group {g!r}")

    # ---- notes and acknowledgements
    acks: dict = {}
    known_targets = set(item_keys) | set(group_keys) | set(inputs) | set(derived) | {"total", "bonus", "*", "rubric"}
    for i, n in enumerate(_as_list(data.get("notes"))):
        where = f"notes[{i}]"
        if not isinstance(n, dict):
            v.err("bad_note", where, "说明应为映射", "a note must be a mapping")
            continue
        where = f"note {n.get('key', i)}"
        for f in ("key", "issue_zh", "issue_en", "choice_zh", "choice_en"):
            v.text(n, f, where)
        for t in _as_list(n.get("applies_to")):
            if t not in known_targets:
                v.warn("note_unknown_target", where, f"说明引用了未知的项 {t!r}", f"note refers to unknown key {t!r}")
        for a in _as_list(n.get("acknowledges")):
            if not isinstance(a, dict) or a.get("code") not in ANOMALY_CODES or not a.get("target"):
                v.err("bad_note", where, f"acknowledges 项无效：{a!r}", f"invalid acknowledgement: {a!r}")
                continue
            acks[(a["code"], a["target"])] = n
    matched = set()
    wildcard: dict = {}  # code -> anomalies acknowledged by a "*" note (merged into one warning)
    for an in v.anomalies:
        n = acks.get((an.code, an.target))
        if n is None and (an.code, "*") in acks:
            wildcard.setdefault(an.code, []).append(an)
            matched.add((an.code, "*"))
            continue
        if n is None:
            v.errors.append(Message(an.code, an.target, an.zh + "（未在 notes 中说明）", an.en + " (not acknowledged in notes)"))
            continue
        matched.add((an.code, an.target))
        v.warnings.append(Message(
            an.code, an.target,
            f"{an.zh}。原文问题：{n.get('issue_zh', '')} 处理：{n.get('choice_zh', '')}",
            f"{an.en}. Source issue: {n.get('issue_en', '')} Choice: {n.get('choice_en', '')}",
        ))
    for code, ans in wildcard.items():
        n = acks[(code, "*")]
        targets = ", ".join(a.target for a in ans)
        v.warnings.append(Message(
            code, "*",
            f"{len(ans)}项（{targets}）：原文问题：{n.get('issue_zh', '')} 处理：{n.get('choice_zh', '')}",
            f"{len(ans)} item(s) ({targets}): source issue: {n.get('issue_en', '')} Choice: {n.get('choice_en', '')}",
        ))
    for k in acks:
        if k not in matched:
            v.warn("stale_acknowledgement", k[1], f"说明确认的问题 {k[0]} 在 {k[1]} 上不存在",
                   f"acknowledged anomaly {k[0]} on {k[1]} was not found")
    return ctx


def _validate_rule(rule: Any, key: str, mx: Decimal, quantities: dict, used: set, v: _V, printed_max: Any) -> None:
    where = f"item {key}"
    if not isinstance(rule, dict):
        v.err("missing_rule", where, f"评分项 {key} 缺少计分规则", f"item {key} has no rule")
        return
    t = rule.get("type")
    if t not in RULE_KINDS:
        v.err("bad_rule_type", where, f"计分规则类型 {t!r} 无效", f"unknown rule type {t!r}")
        return

    def need_input(name: str, kinds: tuple) -> dict | None:
        inp = rule.get(name)
        if inp not in quantities:
            v.err("undeclared_input", where, f"评分项 {key} 使用了未声明的输入 {inp!r}", f"item {key} uses undeclared input {inp!r}")
            return None
        used.add(inp)
        q = quantities[inp]
        qt = q.get("type", "decimal")  # derived values are decimal
        if qt not in kinds:
            v.err("bad_rule_input", where, f"规则 {t} 不能用于 {qt} 类型的输入 {inp}", f"rule {t} cannot use {qt} input {inp}")
            return None
        return q

    numeric = ("decimal", "integer")
    if t == "steps":
        need_input("input", numeric)
        th = v.num(rule.get("threshold"), where, "threshold", nonneg=True)
        base = v.num(rule.get("base"), where, "base", nonneg=True)
        v.num(rule.get("increment"), where, "increment", positive=True)
        v.num(rule.get("add"), where, "add", nonneg=True)
        if base is not None and base > mx:
            v.err("bad_steps", where, f"起始分 {fmt(base)} 超过满分 {fmt(mx)}", f"base {fmt(base)} exceeds max {fmt(mx)}")
        del th
    elif t == "per_unit":
        need_input("input", numeric)
        v.num(rule.get("unit"), where, "unit", positive=True)
        v.num(rule.get("points"), where, "points", positive=True)
    elif t == "weighted_count":
        ws = rule.get("weights")
        if not isinstance(ws, list) or not ws:
            v.err("bad_weights", where, "weighted_count 需要 weights 列表", "weighted_count needs a weights list")
            return
        seen = set()
        for w in ws:
            if not isinstance(w, dict):
                v.err("bad_weights", where, "权重项应为映射", "a weight must be a mapping")
                continue
            inp = w.get("input")
            if inp not in quantities:
                v.err("undeclared_input", where, f"评分项 {key} 使用了未声明的输入 {inp!r}", f"item {key} uses undeclared input {inp!r}")
                continue
            if quantities[inp].get("type", "decimal") not in numeric:
                v.err("bad_rule_input", where, f"输入 {inp} 不是数值", f"input {inp} is not numeric")
            if inp in seen:
                v.err("duplicate_key", where, f"输入 {inp} 在权重中重复", f"input {inp} repeated in weights")
            seen.add(inp)
            used.add(inp)
            v.num(w.get("weight"), where, f"weight of {inp}", nonneg=True)
    elif t == "bands":
        q = need_input("input", numeric)
        bands = rule.get("bands")
        if not isinstance(bands, list) or not bands:
            v.err("bad_bands", where, "bands 需要区间列表", "bands needs a list of intervals")
            return
        parsed = []
        for b in bands:
            if not isinstance(b, dict) or ("min" not in b and "max" not in b):
                v.err("bad_bands", where, "区间需要 min 或 max", "an interval needs min or max")
                return
            lo = v.num(b["min"], where, "band min") if b.get("min") is not None else None
            hi = v.num(b["max"], where, "band max") if b.get("max") is not None else None
            p = v.num(b.get("points"), where, "band points", nonneg=True)
            if p is None:
                return
            if p > mx:
                v.err("bad_bands", where, f"区间得分 {fmt(p)} 超过满分 {fmt(mx)}", f"band points {fmt(p)} exceed max {fmt(mx)}")
            if lo is not None and hi is not None and lo >= hi:
                v.err("unordered_thresholds", where, f"区间下限 {fmt(lo)} 不小于上限 {fmt(hi)}",
                      f"band lower bound {fmt(lo)} is not below its upper bound {fmt(hi)}")
                return
            parsed.append(Band(lo, bool(b.get("min_inclusive", True)), hi, bool(b.get("max_inclusive", False)), p))
        # listed order must be monotonic (all ascending or all descending)
        def lo_key(b: Band) -> Decimal:
            return b.lo if b.lo is not None else Decimal("-Infinity")
        los = [lo_key(b) for b in parsed]
        if not (all(a < b for a, b in zip(los, los[1:])) or all(a > b for a, b in zip(los, los[1:]))):
            v.err("unordered_thresholds", where,
                  f"评分项 {key} 的区间阈值未按顺序排列：{', '.join(fmt(x) if x.is_finite() else '-∞' for x in los)}",
                  f"item {key}: band thresholds are not in order: {', '.join(fmt(x) if x.is_finite() else '-inf' for x in los)}")
            return
        srt = sorted(parsed, key=lo_key)
        for a, b in zip(srt, srt[1:]):
            if a.hi is None or b.lo is None or a.hi > b.lo or (a.hi == b.lo and a.hi_incl and b.lo_incl):
                v.err("overlapping_bands", where, f"评分项 {key} 的区间重叠：{a.text('')} 与 {b.text('')}",
                      f"item {key}: bands overlap: {a.text('')} and {b.text('')}")
                return
            if a.hi < b.lo or (a.hi == b.lo and not a.hi_incl and not b.lo_incl):
                v.warn("band_gap", key, f"评分项 {key} 的区间之间有空档（{fmt(a.hi)}–{fmt(b.lo)}），空档内得0分",
                       f"item {key}: gap between bands ({fmt(a.hi)}-{fmt(b.lo)}) scores 0")
        first = srt[0]
        if (first.lo is None or first.lo <= 0) and first.points > 0:
            v.anomaly("band_floor_nonzero", key,
                      f"评分项 {key} 最低区间（{first.text('')}）仍得 {fmt(first.points)} 分",
                      f"item {key}: the lowest band ({first.text('')}) still gives {fmt(first.points)} points")
        if q is not None and q.get("more_is_better", True):
            pts = [b.points for b in srt]
            if any(a > b for a, b in zip(pts, pts[1:])):
                v.warn("bands_not_monotonic", key, f"评分项 {key} 的区间得分不随数值递增", f"item {key}: band points do not rise with the value")
        top = max(b.points for b in parsed)
        if top < mx:
            v.warn("max_unreachable", key, f"评分项 {key} 最高只能得 {fmt(top)} 分，低于满分 {fmt(mx)}",
                   f"item {key} can reach only {fmt(top)} of its max {fmt(mx)}")
    elif t == "level":
        q = need_input("input", ("level",))
        pts = rule.get("points")
        if not isinstance(pts, dict) or not pts:
            v.err("bad_levels", where, "level 规则需要 points 映射", "a level rule needs a points mapping")
            return
        if q is not None:
            lkeys = {lv.get("key") for lv in _as_list(q.get("levels")) if isinstance(lv, dict)}
            for k in pts:
                if k not in lkeys:
                    v.err("bad_levels", where, f"等级 {k!r} 未在输入中声明", f"level {k!r} is not declared on the input")
            for k in lkeys - set(pts):
                v.err("bad_levels", where, f"等级 {k!r} 没有对应分值", f"level {k!r} has no points")
        vals = [v.num(p, where, f"points of level {k}", nonneg=True) for k, p in pts.items()]
        vals = [x for x in vals if x is not None]
        if vals and max(vals) > mx:
            v.err("bad_levels", where, f"等级分值超过满分 {fmt(mx)}", f"level points exceed max {fmt(mx)}")
        elif vals and max(vals) < mx:
            v.warn("max_unreachable", key, f"评分项 {key} 最高等级只得 {fmt(max(vals))} 分，低于满分 {fmt(mx)}",
                   f"item {key}: the top level gives {fmt(max(vals))} of its max {fmt(mx)}")
    elif t == "requirement":
        need_input("input", numeric)
        if rule.get("op") not in (">=", ">", "<=", "<"):
            v.err("bad_requirement", where, f"比较符 {rule.get('op')!r} 无效", f"invalid comparator {rule.get('op')!r}")
        v.num(rule.get("value"), where, "value")
        v.anomaly("requirement_no_formula", key,
                  f"评分项 {key} 原表只给出权重和基本要求，未给出计分公式",
                  f"item {key}: the source gives a weight and a basic requirement but no formula")
    elif t == "boolean":
        need_input("input", ("boolean",))
        if rule.get("points") is not None:
            p = v.num(rule.get("points"), where, "points", positive=True)
            if p is not None and p > mx:
                v.err("bad_rule", where, f"分值 {fmt(p)} 超过满分 {fmt(mx)}", f"points {fmt(p)} exceed max {fmt(mx)}")
    elif t == "direct":
        need_input("input", numeric)


# --------------------------------------------------------------------------------------------
# compilation


def _dec(v: Any) -> Decimal:
    return to_decimal(v)


def _make_input(d: dict) -> InputSpec:
    levels = tuple(Level(str(lv["key"]), str(lv["zh"]), str(lv["en"])) for lv in d.get("levels") or ())
    spec = InputSpec(
        key=d["key"],
        label_zh=str(d["label_zh"]),
        label_en=str(d["label_en"]),
        unit=str(d.get("unit") or ""),
        unit_en=str(d["unit_en"] if d.get("unit_en") is not None else (d.get("unit") or "")),
        type=d["type"],
        more_is_better=d.get("more_is_better", True),
        levels=levels,
        allow_negative=bool(d.get("allow_negative", False)),
        help_zh=str(d.get("help_zh") or ""),
        help_en=str(d.get("help_en") or ""),
    )
    if d.get("default") is not None:
        spec.default = spec.parse(d["default"])
    return spec


def _compile_rule(rule: dict, mx: Decimal, quantities: dict) -> Any:
    t = rule["type"]

    def q(name: str = "input") -> _Quantity:
        return _Quantity(rule[name], quantities)

    if t == "steps":
        return StepsRule(q(), _dec(rule["threshold"]), _dec(rule["base"]), _dec(rule["increment"]), _dec(rule["add"]), mx)
    if t == "per_unit":
        return PerUnitRule(q(), _dec(rule["unit"]), _dec(rule["points"]), mx)
    if t == "weighted_count":
        parts = []
        for w in rule["weights"]:
            qq = _Quantity(w["input"], quantities)
            parts.append((qq, _dec(w["weight"]), str(w.get("label_zh") or qq.label_zh), str(w.get("label_en") or qq.label_en)))
        return WeightedCountRule(parts, mx)
    if t == "bands":
        bands = [
            Band(
                _dec(b["min"]) if b.get("min") is not None else None,
                bool(b.get("min_inclusive", True)),
                _dec(b["max"]) if b.get("max") is not None else None,
                bool(b.get("max_inclusive", False)),
                _dec(b["points"]),
            )
            for b in rule["bands"]
        ]
        return BandsRule(q(), bands, mx)
    if t == "level":
        return LevelRule(q(), {k: _dec(p) for k, p in rule["points"].items()}, mx)
    if t == "requirement":
        return RequirementRule(q(), rule["op"], _dec(rule["value"]), mx)
    if t == "boolean":
        return BooleanRule(q(), _dec(rule["points"]) if rule.get("points") is not None else mx, mx)
    if t == "direct":
        return DirectRule(q(), mx)
    raise AssertionError(t)  # pragma: no cover - validated before


def load_rubric(data: dict) -> Rubric:
    """Validate and compile a rubric dict. Raises :class:`RubricError` listing every error;
    warnings (acknowledged source flaws and the like) are kept in ``Rubric.warnings``."""
    v = _V()
    ctx = _validate(data, v)
    if v.errors:
        raise RubricError(v.errors, str(data.get("code", "")) if isinstance(data, dict) else "")

    inputs = {k: _make_input(d) for k, d in ctx["inputs"].items()}
    quantities: dict = dict(inputs)
    derived = []
    raw_of: dict = {k: (k,) for k in inputs}
    for k, d in ctx["derived"].items():
        op = d["op"]
        args = (d["num"], d["den"]) if op == "ratio" else (d["a"], d["b"])
        raw = tuple(dict.fromkeys(r for a in args for r in raw_of[a]))
        raw_of[k] = raw
        ds = DerivedSpec(
            key=k,
            label_zh=str(d["label_zh"]),
            label_en=str(d["label_en"]),
            unit=str(d.get("unit") or ""),
            unit_en=str(d["unit_en"] if d.get("unit_en") is not None else (d.get("unit") or "")),
            op=op,
            args=args,
            scale=(_dec(d.get("scale", 1)) if op == "ratio" and _dec(d.get("scale", 1)) != ONE else ONE),
            raw_inputs=raw,
            more_is_better=d.get("more_is_better", True),
        )
        derived.append(ds)
        quantities[k] = ds

    all_groups: list = []
    base_items: list = []

    def build_item(d: dict, group: str, bonus: bool) -> ItemSpec:
        mx = _dec(d["max"])
        rule = _compile_rule(d["rule"], mx, quantities)
        raw = tuple(dict.fromkeys(r for k in rule.inputs for r in raw_of[k]))
        used = tuple(dict.fromkeys([*raw, *rule.inputs]))
        pm = d.get("printed_max")
        return ItemSpec(
            key=d["key"], label_zh=str(d["label_zh"]), label_en=str(d["label_en"]), max=mx, rule=rule,
            source_text=str(d["source_text"]), group=group, bonus=bonus,
            printed_max=None if pm is None else str(pm), raw_inputs=raw, used_keys=used,
        )

    def build_group(d: dict, parent: str | None) -> GroupSpec:
        g = GroupSpec(key=d["key"], label_zh=str(d["label_zh"]), label_en=str(d["label_en"]), max=_dec(d["max"]),
                      parent=parent, printed_max=None if d.get("printed_max") is None else str(d["printed_max"]))
        children = []
        if d.get("groups"):
            for s in d["groups"]:
                children.append(build_group(s, g.key))
        else:
            for it in d["items"]:
                spec = build_item(it, g.key, False)
                spec.index = len(base_items)
                base_items.append(spec)
                children.append(spec)
        g.children = tuple(children)
        g.index = len(all_groups)
        all_groups.append(g)  # post-order
        return g

    top = tuple(build_group(g, None) for g in data["groups"])
    gmap = {g.key: g for g in all_groups}
    for it in base_items:
        chain = []
        gk: str | None = it.group
        while gk is not None:
            chain.append(gmap[gk].index)
            gk = gmap[gk].parent
        it.chain = tuple(chain)

    bonus = data.get("bonus") or {}
    bonus_items = []
    for d in bonus.get("items") or ():
        spec = build_item(d, "bonus", True)
        spec.index = len(base_items) + len(bonus_items)
        bonus_items.append(spec)

    conds = []
    for c in data.get("eligibility") or ():
        inp = c["input"]
        spec = quantities[inp]
        val = c["value"] if isinstance(spec, InputSpec) and spec.type == "boolean" else _dec(c["value"])
        conds.append(Condition(str(c["key"]), inp, c["op"], val, str(c["reason_zh"]), str(c["reason_en"]),
                               str(c["source_text"]), raw_of[inp]))

    notes = tuple(
        Note(
            key=str(n["key"]),
            applies_to=tuple(str(x) for x in n.get("applies_to") or ()),
            issue_zh=str(n["issue_zh"]),
            issue_en=str(n["issue_en"]),
            choice_zh=str(n["choice_zh"]),
            choice_en=str(n["choice_en"]),
            acknowledges=tuple((str(a["code"]), str(a["target"])) for a in n.get("acknowledges") or ()),
        )
        for n in data.get("notes") or ()
    )

    classes = []
    by_name: dict = {}
    for c in data.get("classes") or ():
        members = []
        for m in c["members"]:
            e = Entity(str(m["key"]), str(m["name"]), str(c["key"]), tuple(str(a) for a in m.get("aliases") or ()))
            members.append(e)
            for n in (e.key, e.name, *e.aliases):
                by_name[n] = e
        classes.append(EntityClass(str(c["key"]), str(c.get("label_zh", c["key"])), str(c.get("label_en", c["key"])), tuple(members)))

    fallback = None
    fb = data.get("class_average_fallback")
    if fb:
        fgroups = tuple(fb.get("groups") or ())
        keys = set()

        def collect(g: GroupSpec) -> None:
            for ch in g.children:
                if isinstance(ch, ItemSpec):
                    keys.add(ch.key)
                else:
                    collect(ch)

        for gk in fgroups:
            collect(gmap[gk])
        fallback = Fallback(str(fb["entity"]), str(fb["class"]), fgroups, frozenset(keys),
                            _dec(fb.get("quantum", "0.01")), str(fb.get("source_text", "")))

    title = data["title"]
    all_items = tuple(base_items) + tuple(bonus_items)
    needed = tuple(dict.fromkeys([k for it in all_items for k in it.raw_inputs] + [k for c in conds for k in c.raw_inputs]))
    return Rubric(
        code=str(data["code"]),
        version=str(data["version"]),
        title_zh=str(title["zh"]),
        title_en=str(title["en"]),
        source=dict(data["source"]),
        base_max=_dec(data["total"]),
        inputs=inputs,
        derived=tuple(derived),
        groups=top,
        all_groups=tuple(all_groups),
        items=tuple(base_items),
        bonus_items=tuple(bonus_items),
        bonus_cap=_dec(bonus["cap"]) if bonus.get("cap") is not None else None,
        bonus_label_zh=str(bonus.get("label_zh") or "加分项"),
        bonus_label_en=str(bonus.get("label_en") or "Bonus"),
        eligibility=tuple(conds),
        notes=notes,
        warnings=tuple(v.warnings),
        classes=tuple(classes),
        fallback=fallback,
        ranking=dict(data.get("ranking") or {}),
        data=data,
        all_items=all_items,
        quantities=quantities,
        _item_by_key={it.key: it for it in all_items},
        _entity_by_name=by_name,
        _needed_inputs=needed,
    )


def read_rubric_file(path: str | Path) -> dict:
    """Read a rubric YAML file into a dict (no validation)."""

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_rubric_file(path: str | Path) -> Rubric:
    """Read, validate and compile a rubric YAML file."""
    return load_rubric(read_rubric_file(path))


def load_rubric_dir(path: str | Path = RUBRIC_DIR) -> dict[str, Rubric]:
    """Every ``*.yaml`` rubric of a directory, by code."""
    out = {}
    for p in sorted(Path(path).glob("*.yaml")):
        r = load_rubric_file(p)
        out[r.code] = r
    return out


@functools.lru_cache(maxsize=None)
def load_builtin(code: str) -> Rubric:
    """The rubric ``fixtures/rubrics/<code>.yaml`` (compiled once and cached)."""
    p = RUBRIC_DIR / f"{code}.yaml"
    if not p.is_file():
        raise KeyError(f"no rubric file for {code!r} in {RUBRIC_DIR}")
    return load_rubric_file(p)
