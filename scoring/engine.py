"""Rubric scoring engine: plain Python, no Django, Decimal arithmetic throughout.

A *rubric* is data (one YAML file per rubric under ``fixtures/rubrics/``); it is read and
validated by :mod:`scoring.rubric_loader` (``load_rubric`` / ``load_rubric_file``), which compiles
it into the :class:`Rubric` object defined here. All rules are compiled once at load time, so an
evaluation does no parsing, no regex and no YAML work: it parses the inputs, computes the derived
values (ratios, differences), runs each item's compiled rule and adds the points up per group.

Public API (all functions are pure and thread-safe)::

    load_rubric(data) -> Rubric / load_rubric_file(path) -> Rubric      # from scoring.rubric_loader
    validate_rubric(data) -> (errors, warnings)                          # idem
    evaluate(rubric, inputs) -> Result
    what_if(rubric, inputs, result=None) -> list[dict]
    schema(rubric) -> list[dict]
    evaluate_all(rubric, inputs_by_entity) -> dict[str, Result]     # county rubric, class-average rule
    rank_within_classes(rubric, results) -> dict[str, list[Ranking]]
    class_of(rubric, name) -> str | None
    to_json(obj, indent=None) -> str                                 # exact decimals as JSON numbers
    to_decimal(value) -> Decimal

Numbers
    Every number is a :class:`decimal.Decimal`. Inputs may be given as ``str``, ``int`` or
    ``Decimal``; a ``float`` is accepted only through its shortest ``repr`` (``0.1`` -> ``"0.1"``),
    so binary noise never enters. Ratios are computed exactly (50 significant digits) and compared
    exactly: 29 / 1000 is 2.9 %, never 2.8999...%.

Rule shapes (``rule.type`` in the rubric file)
    ``steps``          below ``threshold`` 0; at the threshold ``base``; every further full
                       ``increment`` adds ``add``; capped at the item's max.
    ``per_unit``       every full ``unit`` gives ``points`` (e.g. 每500万元得1分); capped.
    ``weighted_count`` sum of count x weight over several inputs; capped.
    ``bands``          explicit intervals ``{min, max, points}``; ``min`` inclusive and ``max``
                       exclusive unless ``min_inclusive`` / ``max_inclusive`` say otherwise.
    ``level``          the reviewer picks a named level (key or Chinese/English label) -> points.
    ``requirement``    a basic requirement ``op value`` (>=, >, <=, <); full weight if met, else 0.
    ``boolean``        yes -> the item's max (or ``points``), no -> 0.
    ``direct``         the input *is* the score (a converted score entered by a reviewer), clamped
                       to [0, max].

Missing inputs
    An input that is absent, ``None`` or blank is *missing* unless the rubric declares a
    ``default`` for it. An item with a missing input scores 0, carries ``missing`` (the input keys)
    and the keys are listed in ``Result.missing``: nothing is silently zero. A ratio whose
    denominator is 0 (or negative) cannot be computed: its item scores 0 and says so.

Explanations
    ``ItemResult.explanation`` is a Chinese sentence with the inputs and the computation, e.g.
    ``研发经费支出占主营业务收入的比重 3%（研发经费支出 30万元 ÷ 主营业务收入 1000万元）：
    达到2%得1分，每增加0.5%加1分 → 1+2×1 = 3分``. It is built on first access (``to_dict()``
    builds them all), so bulk scoring does not pay for text nobody reads.

Result JSON
    ``result.to_dict()`` -> ``{"base", "bonus", "total", "items": [{"key", "label", "points",
    "max", "explanation"}], "missing", "eligible", "reasons"}`` with Decimal numbers;
    ``to_json(result)`` writes them as JSON numbers with their exact decimal text.
"""

from __future__ import annotations

import decimal
import json
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping

__all__ = [
    "Decimal",
    "InputError",
    "Level",
    "InputSpec",
    "DerivedSpec",
    "Condition",
    "Note",
    "Message",
    "ItemSpec",
    "GroupSpec",
    "Entity",
    "EntityClass",
    "Fallback",
    "Rubric",
    "ItemResult",
    "GroupResult",
    "Result",
    "Ranking",
    "evaluate",
    "evaluate_all",
    "what_if",
    "schema",
    "rank_within_classes",
    "class_of",
    "resolve_entity",
    "to_json",
    "to_decimal",
    "fmt",
    "load_rubric",
    "load_rubric_file",
    "validate_rubric",
]

# 50 significant digits: far more than any realistic money or count figure needs, so a ratio of two
# inputs that terminates is computed exactly and one that does not cannot be rounded across a
# threshold (a threshold has few digits; a non-terminating ratio differs from it by far more).
_CTX = decimal.Context(
    prec=50,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_DISPLAY_Q = Decimal("0.0001")
_MAX_ABS = Decimal("1e15")
_SMALL_INTS = tuple(Decimal(i) for i in range(4096))

_divide = _CTX.divide
_divide_int = _CTX.divide_int
_multiply = _CTX.multiply


# --------------------------------------------------------------------------------------------
# numbers


def to_decimal(value: Any) -> Decimal:
    """Convert ``str`` / ``int`` / ``Decimal`` (or a float, via its shortest repr) to Decimal.

    Raises ``ValueError`` for booleans, non-numeric text, NaN and infinities.
    """
    cls = value.__class__
    if cls is Decimal:
        d = value
    elif cls is int:
        return Decimal(value)
    elif cls is str:
        try:
            d = Decimal(value)  # fast path: plain numerals
        except decimal.InvalidOperation:
            s = value.strip().replace(",", "").replace("，", "").replace(" ", "")
            if not s:
                raise ValueError("空值 / empty value") from None
            try:
                d = Decimal(s)
            except decimal.InvalidOperation:
                raise ValueError(f"不是数字 / not a number: {value!r}") from None
    elif cls is float:
        d = Decimal(repr(value))
    elif isinstance(value, bool):
        raise ValueError(f"不是数字 / not a number: {value!r}")
    elif isinstance(value, (int, Decimal)):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(float(value)))
    else:
        raise ValueError(f"不是数字 / not a number: {value!r}")
    if not d.is_finite():
        raise ValueError(f"不是有限数 / not a finite number: {value!r}")
    return d


def _fmt(d: Decimal) -> str:
    t = str(d)
    if "E" in t:
        t = format(d, "f")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return "0" if t == "-0" else t


# fmt depends only on the numeric value (Decimal('1.0') == Decimal('1') and hash alike), so the
# common small values are looked up instead of formatted.
_FMT_CACHE = {Decimal(i) / 2: _fmt(Decimal(i) / 2) for i in range(0, 4001)}
_NORM_CACHE = {k: Decimal(v) for k, v in _FMT_CACHE.items()}


def fmt(d: Decimal) -> str:
    """Exact plain text of a decimal: no exponent, no trailing zeros (``Decimal('3.50')`` -> ``3.5``)."""
    t = _FMT_CACHE.get(d)
    return t if t is not None else _fmt(d)


def _fmt_display(d: Decimal) -> str:
    """Like :func:`fmt` but a value with more than 4 decimals is truncated (toward zero) and
    prefixed with ≈ -- truncation keeps the shown value on the same side of any threshold."""
    t = fmt(d)
    i = t.find(".")
    if i < 0 or len(t) - i <= 5:
        return t
    t = t[: i + 5].rstrip("0").rstrip(".")
    return "≈" + ("0" if t == "-0" else t)


def _fmt_up(d: Decimal) -> str:
    """A needed rise: exact when short, else rounded *up* to 4 decimals (so it is enough)."""
    if d.as_tuple().exponent >= -4:
        return fmt(d)
    return "≈" + fmt(d.quantize(_DISPLAY_Q, rounding=ROUND_CEILING))


def _pts(d: Decimal) -> str:
    return fmt(d)


def _plural_en(d: Decimal) -> str:
    return "point" if d == ONE else "points"


_SINGULAR_EN = {"persons": "person", "times": "time", "person-months": "person-month", "points": "point"}


def _unit_en(u: str, d: Decimal) -> str:
    return _SINGULAR_EN.get(u, u) if d == ONE else u


def _pp_en(d: Decimal) -> str:
    return "percentage point" if d == ONE else "percentage points"


# --------------------------------------------------------------------------------------------
# errors and messages


class InputError(ValueError):
    """Raised by :func:`evaluate` when inputs cannot be parsed. ``errors`` maps key -> message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


@dataclass(frozen=True, slots=True)
class Message:
    """A validation error or warning, in Chinese and English."""

    code: str
    target: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.target}: {self.en} / {self.zh}"


# --------------------------------------------------------------------------------------------
# rubric model (built by scoring.rubric_loader)

_UNDEFINED = type("Undefined", (), {"__repr__": lambda self: "UNDEFINED", "__slots__": ()})()
"""Value of a derived ratio whose denominator is zero or negative (the ratio has no meaning)."""


@dataclass(frozen=True, slots=True)
class Level:
    key: str
    label_zh: str
    label_en: str


_TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是", "有", "对", "t"})
_FALSE_WORDS = frozenset({"false", "no", "n", "0", "否", "无", "没有", "f"})


@dataclass(slots=True)
class InputSpec:
    """A raw input of a rubric (a figure the applicant or the reviewer enters)."""

    key: str
    label_zh: str
    label_en: str
    unit: str
    unit_en: str
    type: str  # decimal | integer | level | boolean
    more_is_better: bool | None
    default: Any = None  # parsed default, or None when the input has none
    levels: tuple[Level, ...] = ()
    allow_negative: bool = False
    help_zh: str = ""
    help_en: str = ""
    _level_names: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        names: dict[str, str] = {}
        for lv in self.levels:
            names[lv.key] = lv.key
            names[lv.key.lower()] = lv.key
            names[lv.label_zh] = lv.key
            names[lv.label_en.lower()] = lv.key
        self._level_names = names

    def fast_parser(self) -> Callable[[Any], Any]:
        """A parser equivalent to :meth:`parse`, with fast paths for the common cases (small
        non-negative ints, plain numeral strings); everything else goes through :meth:`parse`."""
        slow = self.parse
        if self.type not in ("decimal", "integer"):
            return slow
        integer = self.type == "integer"
        neg = self.allow_negative
        small = _SMALL_INTS
        lo, hi = -_MAX_ABS, _MAX_ABS

        def fast(raw: Any) -> Any:
            cls = raw.__class__
            if cls is int:
                if 0 <= raw < 4096:
                    return small[raw]
                return slow(raw)
            if cls is str and len(raw) <= 40 and "e" not in raw and "E" not in raw and (not integer or "." not in raw):
                try:
                    d = Decimal(raw)
                except decimal.InvalidOperation:
                    return slow(raw)
                if d.is_finite() and lo < d < hi and (neg or d >= 0):
                    return d if integer or d else ZERO
            return slow(raw)

        return fast

    def parse(self, raw: Any) -> Any:
        """Parse one raw value (never None/blank: the caller handles missing values)."""
        t = self.type
        if t == "decimal" or t == "integer":
            cls = raw.__class__
            if cls is int:  # fast path
                if 0 <= raw < 10**15 or (self.allow_negative and t == "decimal" and -(10**15) < raw < 0):
                    return Decimal(raw)
                if raw < 0 and not self.allow_negative:
                    raise ValueError(f"不能为负数 / must not be negative: {raw!r}")
                raise ValueError(f"数值超出范围 / value out of range: {raw!r}")
            if cls is str and len(raw) > 40:
                raise ValueError(f"数值过长 / value too long: {raw[:40]!r}…")
            d = to_decimal(raw)
            if abs(d) >= _MAX_ABS or (cls is not str or "e" in raw or "E" in raw) and d.as_tuple().exponent < -10:
                raise ValueError(f"数值超出范围 / value out of range: {raw!r}")
            if d < 0 and not self.allow_negative:
                raise ValueError(f"不能为负数 / must not be negative: {raw!r}")
            if t == "integer":
                if d != d.to_integral_value():
                    raise ValueError(f"应为整数 / must be a whole number: {raw!r}")
                d = d.quantize(ONE)
            return d
        if t == "level":
            if isinstance(raw, str):
                s = raw.strip()
                key = self._level_names.get(s) or self._level_names.get(s.lower())
                if key is not None:
                    return key
            allowed = "、".join(lv.label_zh for lv in self.levels)
            raise ValueError(f"不是有效等级（可选：{allowed}）/ not a valid level: {raw!r}")
        if t == "boolean":
            if raw is True or raw is False:
                return raw
            if isinstance(raw, (int, Decimal)) and raw in (0, 1):
                return bool(raw)
            if isinstance(raw, str):
                s = raw.strip().lower()
                if s in _TRUE_WORDS:
                    return True
                if s in _FALSE_WORDS:
                    return False
            raise ValueError(f"应为是/否 / must be yes or no: {raw!r}")
        raise ValueError(f"unknown input type {t}")

    def describe(self, v: Any) -> str:
        """Chinese text of a parsed value with its unit."""
        if self.type == "level":
            for lv in self.levels:
                if lv.key == v:
                    return lv.label_zh
            return str(v)
        if self.type == "boolean":
            return "是" if v else "否"
        return f"{fmt(v)}{self.unit}"

    def level_label(self, key: str, en: bool = False) -> str:
        for lv in self.levels:
            if lv.key == key:
                return lv.label_en if en else lv.label_zh
        return key


@dataclass(slots=True)
class DerivedSpec:
    """A value computed from inputs: ``ratio`` (num / den x scale; undefined if den <= 0) or
    ``difference`` (a - b)."""

    key: str
    label_zh: str
    label_en: str
    unit: str
    unit_en: str
    op: str
    args: tuple[str, str]
    scale: Decimal
    raw_inputs: tuple[str, ...]
    more_is_better: bool | None = True

    def compute(self, values: dict) -> Any:
        a = values.get(self.args[0])
        b = values.get(self.args[1])
        if a is None or b is None:
            return None
        if a is _UNDEFINED or b is _UNDEFINED:
            return _UNDEFINED
        if self.op == "ratio":
            if b <= 0:
                return _UNDEFINED
            if self.scale == ONE:
                return _divide(a, b)
            return _divide(_multiply(a, self.scale), b)
        # difference
        return a - b


@dataclass(frozen=True, slots=True)
class Condition:
    """A hard eligibility condition: ``input op value``; failing it makes the result ineligible."""

    key: str
    input: str
    op: str
    value: Any
    reason_zh: str
    reason_en: str
    source_text: str
    raw_inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """An ambiguity or flaw of the source and the choice made (shown on screen)."""

    key: str
    applies_to: tuple[str, ...]
    issue_zh: str
    issue_en: str
    choice_zh: str
    choice_en: str
    acknowledges: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class ItemSpec:
    key: str
    label_zh: str
    label_en: str
    max: Decimal
    rule: "Rule"
    source_text: str
    group: str
    bonus: bool = False
    printed_max: str | None = None
    raw_inputs: tuple[str, ...] = ()
    used_keys: tuple[str, ...] = ()
    index: int = 0
    chain: tuple[int, ...] = ()  # indices of enclosing groups, innermost first
    raw_set: frozenset = frozenset()


@dataclass(slots=True)
class GroupSpec:
    key: str
    label_zh: str
    label_en: str
    max: Decimal
    children: tuple = ()  # GroupSpec | ItemSpec
    parent: str | None = None
    index: int = 0
    printed_max: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """A county / zone (or any rated unit) belonging to a class of the rubric."""

    key: str
    name: str
    class_key: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EntityClass:
    key: str
    label_zh: str
    label_en: str
    members: tuple[Entity, ...]


@dataclass(frozen=True, slots=True)
class Fallback:
    """The class-average rule: for ``entity``, an item of the ``groups`` whose inputs are missing
    scores the average of the same item over the other members of ``class_key`` (rounded to
    ``quantum``, half up)."""

    entity: str
    class_key: str
    groups: tuple[str, ...]
    item_keys: frozenset
    quantum: Decimal
    source_text: str


@dataclass(slots=True)
class Rubric:
    """A compiled rubric. Build it with :func:`scoring.rubric_loader.load_rubric`."""

    code: str
    version: str
    title_zh: str
    title_en: str
    source: dict
    base_max: Decimal
    inputs: dict  # key -> InputSpec, declaration order
    derived: tuple  # DerivedSpec, evaluation order
    groups: tuple  # top-level GroupSpec
    all_groups: tuple  # every GroupSpec, post-order (children before parents)
    items: tuple  # base ItemSpec, declaration order
    bonus_items: tuple
    bonus_cap: Decimal | None  # as printed; None: no cap in the source
    bonus_label_zh: str
    bonus_label_en: str
    eligibility: tuple  # Condition
    notes: tuple  # Note
    warnings: tuple = ()  # Message, from validation
    classes: tuple = ()  # EntityClass
    fallback: Fallback | None = None
    ranking: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # the source dict, for display / storage
    # compiled plan
    all_items: tuple = ()
    quantities: dict = field(default_factory=dict)  # key -> InputSpec | DerivedSpec
    _item_by_key: dict = field(default_factory=dict)
    _entity_by_name: dict = field(default_factory=dict)
    _needed_inputs: tuple = ()
    _parse_plan: tuple = ()  # (key, parse, default) per input
    _group_plan: tuple = ()  # (GroupSpec, ((is_item, index), ...)) in post-order
    _bonus_cap: Decimal = ZERO

    def __post_init__(self) -> None:
        self._parse_plan = tuple((k, s.fast_parser(), s.default) for k, s in self.inputs.items())
        self._group_plan = tuple(
            (g, tuple((isinstance(c, ItemSpec), c.index) for c in g.children)) for g in self.all_groups
        )
        self._bonus_cap = self.bonus_cap_effective
        for it in self.all_items:
            it.raw_set = frozenset(it.raw_inputs)

    @property
    def bonus_cap_effective(self) -> Decimal:
        """The cap applied to the bonus: the printed cap, or the sum of the bonus items' maxima."""
        if self.bonus_cap is not None:
            return self.bonus_cap
        return sum((it.max for it in self.bonus_items), ZERO)

    @property
    def total_max(self) -> Decimal:
        return self.base_max + self.bonus_cap_effective

    def item(self, key: str) -> ItemSpec:
        return self._item_by_key[key]

    def notes_for(self, key: str) -> list[Note]:
        return [n for n in self.notes if key in n.applies_to]


# --------------------------------------------------------------------------------------------
# compiled rules
#
# Every rule has a fast ``points(values)`` used by evaluate() and an ``explain(values)`` that
# writes the Chinese sentence; explanations are built lazily (on first access of
# ItemResult.explanation), so scoring many records does not pay for text nobody reads.


class Rule:
    """Base class of a compiled rule. ``inputs``: the keys (raw or derived) it reads."""

    kind = ""
    __slots__ = ("inputs", "cap", "q", "key")

    def points(self, values: dict) -> Decimal:  # pragma: no cover - abstract
        raise NotImplementedError

    def explain(self, values: dict) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def score(self, values: dict) -> tuple[Decimal, str]:
        """``(points, explanation)``."""
        return self.points(values), self.explain(values)

    def hints(self, values: dict, points: Decimal) -> list[dict]:
        return []

    def reachable_max(self) -> Decimal | None:
        """Highest points the rule can give before the item cap (None: unbounded)."""
        return None

    def summary_zh(self) -> str:
        return ""


class _Quantity:
    """What a rule measures: an input or a derived value, with labels and how to describe it."""

    __slots__ = ("key", "label_zh", "label_en", "unit", "unit_en", "integer", "derived", "spec", "quantities")

    def __init__(self, key: str, quantities: Mapping[str, Any]):
        spec = quantities[key]
        self.key = key
        self.spec = spec
        self.quantities = quantities
        self.label_zh = spec.label_zh
        self.label_en = spec.label_en
        self.unit = spec.unit
        self.unit_en = spec.unit_en
        self.derived = spec if isinstance(spec, DerivedSpec) else None
        self.integer = isinstance(spec, InputSpec) and spec.type == "integer"

    def value_text(self, values: dict) -> str:
        v = values[self.key]
        d = self.derived
        if d is None:
            return self.spec.describe(v)
        a, b = (self.quantities[k] for k in d.args)
        sign = "÷" if d.op == "ratio" else "−"
        detail = f"{a.label_zh} {_desc(a, values[a.key])} {sign} {b.label_zh} {_desc(b, values[b.key])}"
        return f"{_fmt_display(v)}{self.unit}（{detail}）"

    def undefined_text(self, values: dict) -> str:
        d = self.derived
        den = self.quantities[d.args[1]]
        dv = values.get(den.key)
        if dv is _UNDEFINED:
            return f"{den.label_zh}无法计算，{self.label_zh}无法计算 → 0分"
        return f"{den.label_zh}为{_desc(den, dv)}，{self.label_zh}无法计算 → 0分"

    # ---- hints
    def change_texts(self, delta: Decimal, target: Decimal, gain: Decimal, exclusive: bool = False) -> tuple[str, str, str]:
        """(change, text_zh, text_en) for raising this quantity by ``delta`` to ``target``."""
        u, ue = self.unit, self.unit_en
        g = _pts(gain)
        dt = _fmt_up(delta)
        if exclusive:
            # "N以上" includes N in the notices' language, so a strict bound is written 超过N.
            now = _fmt_display(target - delta)
            if u == "%":
                zh = f"{self.label_zh}须超过{fmt(target)}%（现为{now}%）：+{g}分"
                en = f"Raise {self.label_en} above {fmt(target)}% (now {now}%): +{g} {_plural_en(gain)}"
            else:
                zh = f"{self.label_zh}须超过{fmt(target)}{u}（现为{now}{u}）：+{g}分"
                en = f"Raise {self.label_en} above {fmt(target)} {ue} (now {now} {ue}): +{g} {_plural_en(gain)}"
            return f">+{dt}", zh, en.replace("  ", " ").replace(" )", ")")
        if u == "%":
            zh = f"{self.label_zh}再提高{dt}个百分点（至{fmt(target)}%）：+{g}分"
            en = f"Raise {self.label_en} by {dt} {_pp_en(delta)} (to {fmt(target)}%): +{g} {_plural_en(gain)}"
        else:
            zh = f"{self.label_zh}再增加{dt}{u}（至{fmt(target)}{u}）：+{g}分"
            en = f"Increase {self.label_en} by {dt} {_unit_en(ue, delta)} (to {fmt(target)} {ue}): +{g} {_plural_en(gain)}"
            en = en.replace("  ", " ").replace(" )", ")")
        return f"+{dt}", zh, en

    def via(self, values: dict, target: Decimal, exclusive: bool = False) -> dict | None:
        """For a ratio: the smallest rise of the numerator (denominator unchanged) reaching target."""
        d = self.derived
        if d is None or d.op != "ratio":
            return None
        num = self.quantities[d.args[0]]
        den = self.quantities[d.args[1]]
        if not isinstance(num, InputSpec) or not isinstance(den, InputSpec):
            return None
        nv, dv = values.get(num.key), values.get(den.key)
        if nv is None or dv is None or dv <= 0:
            return None
        need = _divide(_multiply(target, dv), d.scale)
        if num.type == "integer":
            if exclusive:
                need_q = need.to_integral_value(rounding=ROUND_FLOOR) + 1
            else:
                need_q = need.to_integral_value(rounding=ROUND_CEILING)
        else:
            need_q = need.quantize(_CENT, rounding=ROUND_CEILING)
            if exclusive and need_q == need:
                need_q += _CENT
        delta = need_q - nv
        if delta <= 0:
            return None
        return {
            "input": num.key,
            "change": f"+{fmt(delta)}",
            "text_zh": f"{den.label_zh}不变时，{num.label_zh}需至少增加{fmt(delta)}{num.unit}",
            "text_en": f"with {den.label_en} unchanged, {num.label_en} must rise by at least {fmt(delta)} {num.unit_en}".rstrip(),
        }


def _desc(spec: Any, v: Any) -> str:
    if v is _UNDEFINED:
        return "无法计算"
    if isinstance(spec, DerivedSpec):
        return f"{_fmt_display(v)}{spec.unit}"
    return spec.describe(v)


def _hint(q: _Quantity, values: dict, delta: Decimal, target: Decimal, gain: Decimal, exclusive: bool = False) -> dict:
    change, zh, en = q.change_texts(delta, target, gain, exclusive)
    h = {"input": q.key, "change": change, "gain": gain, "text_zh": zh, "text_en": en}
    via = q.via(values, target, exclusive)
    if via is not None:
        h["via"] = via
        h["text_zh"] = f"{zh}（{via['text_zh']}）"
        h["text_en"] = f"{en} ({via['text_en']})"
    return h


def _cap_text(raw: Decimal, cap: Decimal) -> str:
    if raw > cap:
        c = fmt(cap)
        return f"{fmt(raw)}，满分{c}分 → {c}分"
    return f"{fmt(raw)}分"


class StepsRule(Rule):
    kind = "steps"
    __slots__ = ("threshold", "base", "increment", "add", "_t", "_inc", "_summary", "_rule", "_calc", "_add_s")

    def __init__(self, q: _Quantity, threshold: Decimal, base: Decimal, increment: Decimal, add: Decimal, cap: Decimal):
        self.q = q
        self.key = q.key
        self.inputs = (q.key,)
        self.threshold, self.base, self.increment, self.add, self.cap = threshold, base, increment, add, cap
        u = q.unit
        self._t = f"{fmt(threshold)}{u}"
        self._inc = f"{fmt(increment)}{u}"
        self._rule = f"达到{self._t}得{fmt(base)}分，每增加{self._inc}加{fmt(add)}分"
        self._calc = f"{fmt(base)}+"
        self._add_s = fmt(add)
        self._summary = f"低于{self._t}不得分，{self._rule}，{fmt(cap)}分满分"

    def summary_zh(self) -> str:
        return self._summary

    def points(self, values: dict) -> Decimal:
        x = values[self.key]
        if x is _UNDEFINED or x < self.threshold:
            return ZERO
        raw = self.base + _divide_int(x - self.threshold, self.increment) * self.add
        return raw if raw < self.cap else self.cap

    def explain(self, values: dict) -> str:
        x = values[self.key]
        if x is _UNDEFINED:
            return self.q.undefined_text(values)
        head = f"{self.q.label_zh} {self.q.value_text(values)}："
        if x < self.threshold:
            return f"{head}低于{self._t}不得分 → 0分"
        n = _divide_int(x - self.threshold, self.increment)
        raw = self.base + n * self.add
        if not n:
            return f"{head}{self._rule} → {_cap_text(raw, self.cap)}"
        return f"{head}{self._rule} → {self._calc}{fmt(n)}×{self._add_s} = {_cap_text(raw, self.cap)}"

    def hints(self, values: dict, points: Decimal) -> list[dict]:
        x = values[self.key]
        if x is _UNDEFINED or points >= self.cap:
            return []
        if x < self.threshold:
            target = self.threshold
        else:
            target = self.threshold + (_divide_int(x - self.threshold, self.increment) + 1) * self.increment
        gain = self.points({self.key: target}) - points
        if gain <= 0:
            return []
        return [_hint(self.q, values, target - x, target, gain)]


class PerUnitRule(Rule):
    kind = "per_unit"
    __slots__ = ("unit", "per", "_u", "_summary", "_one", "_per_s")

    def __init__(self, q: _Quantity, unit: Decimal, points: Decimal, cap: Decimal):
        self.q = q
        self.key = q.key
        self.inputs = (q.key,)
        self.unit, self.per, self.cap = unit, points, cap
        self._one = unit == ONE and q.integer
        self._u = f"{fmt(unit)}{q.unit}"
        self._summary = f"每{self._u}得{fmt(points)}分，{fmt(cap)}分满分"
        self._per_s = fmt(points)

    def summary_zh(self) -> str:
        return self._summary

    def _n(self, x: Decimal) -> Decimal:
        if x <= 0:
            return ZERO
        return x if self._one else _divide_int(x, self.unit)

    def points(self, values: dict) -> Decimal:
        x = values[self.key]
        if x is _UNDEFINED or x <= 0:
            return ZERO
        raw = (x if self._one else _divide_int(x, self.unit)) * self.per
        return raw if raw < self.cap else self.cap

    def explain(self, values: dict) -> str:
        x = values[self.key]
        if x is _UNDEFINED:
            return self.q.undefined_text(values)
        n = self._n(x)
        head = f"{self.q.label_zh} {self.q.value_text(values)}：每{self._u}得{self._per_s}分"
        if not n:
            return f"{head} → 0分" if self.unit == ONE else f"{head}，不足{self._u} → 0分"
        return f"{head} → {fmt(n)}×{self._per_s} = {_cap_text(n * self.per, self.cap)}"

    def hints(self, values: dict, points: Decimal) -> list[dict]:
        x = values[self.key]
        if x is _UNDEFINED or points >= self.cap:
            return []
        target = (self._n(x) + 1) * self.unit
        gain = self.points({self.key: target}) - points
        if gain <= 0:
            return []
        return [_hint(self.q, values, target - x, target, gain)]


class WeightedCountRule(Rule):
    kind = "weighted_count"
    __slots__ = ("parts", "_kw", "_summary", "_tails")

    def __init__(self, parts: list[tuple[_Quantity, Decimal, str, str]], cap: Decimal):
        # parts: (quantity, weight, short label zh, short label en)
        self.parts = tuple(parts)
        self._kw = tuple((p[0].key, p[1]) for p in parts)
        self._tails = tuple(f"{q.unit}×{fmt(w)}分" for q, w, _, _ in parts)
        self.inputs = tuple(p[0].key for p in parts)
        self.cap = cap
        self.q = None
        self.key = None
        self._summary = "；".join(f"{lz}每1{q.unit}得{fmt(w)}分" for q, w, lz, _ in parts) + f"；{fmt(cap)}分满分"

    def summary_zh(self) -> str:
        return self._summary

    def _raw(self, values: dict) -> Decimal:
        raw = ZERO
        for k, w in self._kw:
            c = values[k]
            if c:
                raw += c * w
        return raw

    def points(self, values: dict) -> Decimal:
        raw = self._raw(values)
        return raw if raw < self.cap else self.cap

    def explain(self, values: dict) -> str:
        terms = []
        raw = ZERO
        for (q, w, lz, _), tail in zip(self.parts, self._tails):
            c = values[q.key]
            if c:
                raw += c * w
                terms.append(f"{lz} {fmt(c)}{tail}")
        if not terms:
            return "均为0 → 0分"
        return f"{' + '.join(terms)} = {_cap_text(raw, self.cap)}"

    def hints(self, values: dict, points: Decimal) -> list[dict]:
        if points >= self.cap:
            return []
        raw = self._raw(values)
        out = []
        for q, w, _, _ in self.parts:
            if w <= 0:
                continue
            new = raw + w
            gain = (new if new < self.cap else self.cap) - points
            if gain <= 0:
                continue
            change, zh, en = q.change_texts(ONE, values[q.key] + 1, gain)
            out.append({"input": q.key, "change": change, "gain": gain, "text_zh": zh, "text_en": en})
        return out


@dataclass(frozen=True, slots=True)
class Band:
    lo: Decimal | None
    lo_incl: bool
    hi: Decimal | None
    hi_incl: bool
    points: Decimal

    def contains(self, x: Decimal) -> bool:
        lo, hi = self.lo, self.hi
        if lo is not None and (x < lo or (x == lo and not self.lo_incl)):
            return False
        if hi is not None and (x > hi or (x == hi and not self.hi_incl)):
            return False
        return True

    def text(self, unit: str) -> str:
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            return f"{fmt(lo)}{'≤' if self.lo_incl else '<'}x{'≤' if self.hi_incl else '<'}{fmt(hi)}{unit}"
        if lo is not None:
            return f"{'≥' if self.lo_incl else '>'}{fmt(lo)}{unit}"
        if hi is not None:
            return f"{'≤' if self.hi_incl else '<'}{fmt(hi)}{unit}"
        return "任意值"


class BandsRule(Rule):
    kind = "bands"
    __slots__ = ("bands", "_texts")

    def __init__(self, q: _Quantity, bands: list[Band], cap: Decimal):
        self.q = q
        self.key = q.key
        self.inputs = (q.key,)
        self.bands = tuple(sorted(bands, key=lambda b: (b.lo is not None, b.lo if b.lo is not None else ZERO)))
        self.cap = cap
        self._texts = tuple(f"{b.text(q.unit)}得{fmt(b.points)}分" for b in self.bands)

    def summary_zh(self) -> str:
        return "，".join(reversed(self._texts))

    def _lookup(self, x: Decimal) -> int:
        for i, b in enumerate(self.bands):
            if b.contains(x):
                return i
        return -1

    def reachable_max(self) -> Decimal | None:
        return max(b.points for b in self.bands)

    def points(self, values: dict) -> Decimal:
        x = values[self.key]
        if x is _UNDEFINED:
            return ZERO
        for b in self.bands:
            if b.contains(x):
                return b.points if b.points < self.cap else self.cap
        return ZERO

    def explain(self, values: dict) -> str:
        x = values[self.key]
        if x is _UNDEFINED:
            return self.q.undefined_text(values)
        i = self._lookup(x)
        head = f"{self.q.label_zh} {self.q.value_text(values)}："
        if i < 0:
            return f"{head}不在任何计分区间 → 0分"
        p = self.bands[i].points
        return f"{head}{self._texts[i]} → {_pts(p if p < self.cap else self.cap)}分"

    def hints(self, values: dict, points: Decimal) -> list[dict]:
        x = values[self.key]
        if x is _UNDEFINED or points >= self.cap:
            return []
        best = None
        for b in self.bands:
            if b.points <= points or b.lo is None or b.lo < x or (b.lo == x and b.lo_incl):
                continue
            if best is None or b.lo < best.lo:
                best = b
        if best is None:
            return []
        gain = (best.points if best.points < self.cap else self.cap) - points
        if gain <= 0:
            return []
        if best.lo_incl:
            return [_hint(self.q, values, best.lo - x, best.lo, gain)]
        if self.q.integer and best.lo == best.lo.to_integral_value():
            t = best.lo + 1
            return [_hint(self.q, values, t - x, t, gain)]
        return [_hint(self.q, values, best.lo - x, best.lo, gain, exclusive=True)]


class LevelRule(Rule):
    kind = "level"
    __slots__ = ("table", "_order", "_spec")

    def __init__(self, q: _Quantity, points: dict[str, Decimal], cap: Decimal):
        self.q = q
        self.key = q.key
        self.inputs = (q.key,)
        self.table = {k: (p if p < cap else cap) for k, p in points.items()}
        self.cap = cap
        self._spec = q.spec
        self._order = tuple(sorted(self.table.items(), key=lambda kv: kv[1]))

    def summary_zh(self) -> str:
        return "，".join(f"{self._spec.level_label(k)}得{fmt(p)}分" for k, p in reversed(self._order))

    def reachable_max(self) -> Decimal | None:
        return max(self.table.values()) if self.table else ZERO

    def points(self, values: dict) -> Decimal:
        return self.table.get(values[self.key], ZERO)

    def explain(self, values: dict) -> str:
        k = values[self.key]
        return f"{self.q.label_zh}：{self._spec.level_label(k)} → {_pts(self.table.get(k, ZERO))}分"

    def hints(self, values: dict, points: Decimal) -> list[dict]:
        if points >= self.cap:
            return []
        for k, p in self._order:
            if p > points:
                gain = p - points
                lz, le = self._spec.level_label(k), self._spec.level_label(k, en=True)
                return [{
                    "input": self.key,
                    "change": f"→{lz}",
                    "gain": gain,
                    "text_zh": f"{self.q.label_zh}达到“{lz}”：+{_pts(gain)}分",
                    "text_en": f"Bring {self.q.label_en} to “{le}”: +{_pts(gain)} {_plural_en(gain)}",
                }]
        return []


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}


class RequirementRule(Rule):
    """附件4-style row: a basic requirement; the item's weight if it is met, else 0."""

    kind = "requirement"
    __slots__ = ("op", "value", "_test", "_req")

    def __init__(self, q: _Quantity, op: str, value: Decimal, cap: Decimal):
        self.q = q
        self.key = q.key
        self.inputs = (q.key,)
        self.op, self.value, self.cap = op, value, cap
        self._test = _OPS[op]
        self._req = f"{_OP_TEXT[op]}{fmt(value)}{q.unit}"

    def summary_zh(self) -> str:
        return f"基本要求{self._req}：达到得{fmt(self.cap)}分，未达到得0分"

    def reachable_max(self) -> Decimal | None:
        return self.cap

    def points(self, values: dict) -> Decimal:
        x = values[self.key]
        if x is _UNDEFINED:
            return ZERO
        return self.cap if self._test(x, self.value) else ZERO

    def explain(self, values: dict) -> str:
        x = values[self.key]
        if x is _UNDEFINED:
            return self.q.undefined_text(values)
        head = f"{self.q.label_zh} {self.q.value_text(values)}：基本要求{self._req}"
        if self._test(x, self.value):
            return f"{head} → 达到，得{_pts(self.cap)}分"
        return f"{head} → 未达到，0分"

    def hints(self, values: dict, points: Decimal) -> list[dict]:
        x = values[self.key]
        if x is _UNDEFINED or points >= self.cap or self.op not in (">=", ">"):
            return []
        t = self.value
        if self.op == ">=":
            return [_hint(self.q, values, t - x, t, self.cap)]
        if self.q.integer and t == t.to_integral_value():
            return [_hint(self.q, values, t + 1 - x, t + 1, self.cap)]
        return [_hint(self.q, values, t - x, t, self.cap, exclusive=True)]


class BooleanRule(Rule):
    kind = "boolean"
    __slots__ = ("yes",)

    def __init__(self, q: _Quantity, points: Decimal, cap: Decimal):
        self.q = q
        self.key = q.key
        self.inputs = (q.key,)
        self.yes = points if points < cap else cap
        self.cap = cap

    def summary_zh(self) -> str:
        return f"是得{fmt(self.yes)}分，否得0分"

    def reachable_max(self) -> Decimal | None:
        return self.yes

    def points(self, values: dict) -> Decimal:
        return self.yes if values[self.key] else ZERO

    def explain(self, values: dict) -> str:
        if values[self.key]:
            return f"{self.q.label_zh}：是 → {_pts(self.yes)}分"
        return f"{self.q.label_zh}：否 → 0分"

    def hints(self, values: dict, points: Decimal) -> list[dict]:
        if values[self.key] or points >= self.yes:
            return []
        g = self.yes - points
        return [{
            "input": self.key,
            "change": "→是",
            "gain": g,
            "text_zh": f"{self.q.label_zh}（达到后）：+{_pts(g)}分",
            "text_en": f"{self.q.label_en} (once achieved): +{_pts(g)} {_plural_en(g)}",
        }]


class DirectRule(Rule):
    """The input is the score itself (e.g. a reviewer's converted score), clamped to [0, max]."""

    kind = "direct"
    __slots__ = ()

    def __init__(self, q: _Quantity, cap: Decimal):
        self.q = q
        self.key = q.key
        self.inputs = (q.key,)
        self.cap = cap

    def summary_zh(self) -> str:
        return f"按评定得分计，{fmt(self.cap)}分满分"

    def reachable_max(self) -> Decimal | None:
        return self.cap

    def points(self, values: dict) -> Decimal:
        x = values[self.key]
        if x < 0:
            return ZERO
        return x if x < self.cap else self.cap

    def explain(self, values: dict) -> str:
        x = values[self.key]
        if x < 0:
            return f"{self.q.label_zh} {fmt(x)}分，低于0 → 0分"
        if x > self.cap:
            return f"{self.q.label_zh} {fmt(x)}分，超过满分{fmt(self.cap)}分 → {fmt(self.cap)}分"
        return f"{self.q.label_zh} {fmt(x)}分（满分{fmt(self.cap)}分）"


RULE_KINDS = ("steps", "per_unit", "weighted_count", "bands", "level", "requirement", "boolean", "direct")


# --------------------------------------------------------------------------------------------
# results


class ItemResult:
    """The score of one item.

    Attributes: ``key``, ``label`` (zh), ``label_en``, ``points``, ``max``, ``explanation`` (a
    Chinese sentence with the inputs and the computation, built on first access),
    ``inputs_used`` (key -> parsed value, raw inputs and derived values), ``rule_text`` (the
    notice's wording), ``missing`` (input keys missing for this item; empty when none),
    ``group``, ``bonus``, ``substituted`` (points taken from a class average).
    """

    __slots__ = ("spec", "points", "missing", "substituted", "_values", "_expl")

    def __init__(self, spec: ItemSpec, points: Decimal, values: dict, missing: tuple = (),
                 explanation: str | None = None, substituted: bool = False):
        self.spec = spec
        self.points = points
        self._values = values
        self.missing = missing
        self._expl = explanation
        self.substituted = substituted

    key = property(lambda self: self.spec.key)
    label = property(lambda self: self.spec.label_zh)
    label_en = property(lambda self: self.spec.label_en)
    max = property(lambda self: self.spec.max)
    rule_text = property(lambda self: self.spec.source_text)
    group = property(lambda self: self.spec.group)
    bonus = property(lambda self: self.spec.bonus)

    @property
    def explanation(self) -> str:
        if self._expl is None:
            self._expl = self.spec.rule.explain(self._values)
        return self._expl

    @property
    def inputs_used(self) -> dict:
        v = self._values
        return {k: v.get(k) for k in self.spec.used_keys}

    def __repr__(self) -> str:
        return f"ItemResult({self.key!r}, points={fmt(self.points)}, max={fmt(self.max)}, missing={self.missing!r})"


@dataclass(slots=True)
class GroupResult:
    key: str
    label: str
    points: Decimal  # capped at max
    raw: Decimal  # sum of children before the cap
    max: Decimal
    parent: str | None


class Result:
    """The outcome of one evaluation.

    ``base``: points within the 100 (each group capped at its max, then the whole at the base max);
    ``bonus``: bonus points after the items' caps and the bonus cap; ``total`` = base + bonus.
    ``items``: list of :class:`ItemResult` (base items, then bonus items); ``groups``: list of
    :class:`GroupResult` (post-order: sub-groups before their parent). ``missing``: input keys
    that were needed and not given (declaration order). ``eligible`` / ``reasons``: the hard
    conditions (reasons in Chinese; ``reasons_en`` in English). ``rubric``: the rubric's code.
    """

    __slots__ = ("rubric", "base", "bonus", "total", "items", "missing", "eligible", "reasons", "reasons_en",
                 "bonus_raw", "_spec", "_sums", "_raws", "_groups")

    def __init__(self, spec: "Rubric", items: list, sums: list, raws: list, base: Decimal, bonus_raw: Decimal,
                 bonus: Decimal, missing: list, eligible: bool, reasons: list, reasons_en: list):
        self.rubric = spec.code
        self._spec = spec
        self.items = items
        self._sums = sums
        self._raws = raws
        self._groups = None
        self.base = base
        self.bonus_raw = bonus_raw
        self.bonus = bonus
        self.total = base + bonus
        self.missing = missing
        self.eligible = eligible
        self.reasons = reasons
        self.reasons_en = reasons_en

    @property
    def groups(self) -> list:
        if self._groups is None:
            sums, raws = self._sums, self._raws
            self._groups = [GroupResult(g.key, g.label_zh, sums[g.index], raws[g.index], g.max, g.parent)
                            for g in self._spec.all_groups]
        return self._groups

    def _recompute(self) -> None:
        sums, raws, base, bonus_raw, bonus = _aggregate(self._spec, self.items)
        self._sums, self._raws, self._groups = sums, raws, None
        self.base, self.bonus_raw, self.bonus, self.total = base, bonus_raw, bonus, base + bonus

    def __repr__(self) -> str:
        return (f"Result({self.rubric!r}, base={fmt(self.base)}, bonus={fmt(self.bonus)}, total={fmt(self.total)}, "
                f"eligible={self.eligible}, missing={self.missing!r})")

    def item(self, key: str) -> ItemResult:
        for it in self.items:
            if it.spec.key == key:
                return it
        raise KeyError(key)

    def group(self, key: str) -> GroupResult:
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)

    def to_dict(self) -> dict:
        """JSON-ready dict (Decimals kept; serialize with :func:`to_json`) of the shape
        ``{"base","bonus","total","items":[{"key","label","points","max","explanation"}],
        "missing","eligible","reasons"}``."""
        return {
            "base": _norm(self.base),
            "bonus": _norm(self.bonus),
            "total": _norm(self.total),
            "items": [
                {"key": it.key, "label": it.label, "points": _norm(it.points), "max": _norm(it.max), "explanation": it.explanation}
                for it in self.items
            ],
            "missing": list(self.missing),
            "eligible": self.eligible,
            "reasons": list(self.reasons),
        }


def _norm(d: Decimal) -> Decimal:
    c = _NORM_CACHE.get(d)
    if c is not None:
        return c
    if not d:
        return ZERO
    if d == d.to_integral_value():
        return d.quantize(ONE)
    return d.normalize()


# --------------------------------------------------------------------------------------------
# evaluation


def _parse_inputs(rubric: Rubric, inputs: Mapping[str, Any]) -> dict:
    values: dict = {}
    errors: dict = {}
    get = inputs.get
    for key, parse, default in rubric._parse_plan:
        raw = get(key)
        if raw is None or (raw.__class__ is str and not raw.strip()):
            if default is not None:
                values[key] = default
            continue
        try:
            values[key] = parse(raw)
        except ValueError as e:
            errors[key] = f"{rubric.inputs[key].label_zh}：{e}"
    if errors:
        raise InputError(errors)
    for d in rubric.derived:
        a = values.get(d.args[0])
        b = values.get(d.args[1])
        if a is None or b is None:
            continue
        if a is _UNDEFINED or b is _UNDEFINED:
            values[d.key] = _UNDEFINED
        elif d.op == "ratio":
            if b <= 0:
                values[d.key] = _UNDEFINED
            elif d.scale is ONE:
                values[d.key] = _divide(a, b)
            else:
                values[d.key] = _divide(_multiply(a, d.scale), b)
        else:
            values[d.key] = a - b
    return values


def _missing_item(rubric: Rubric, it: ItemSpec, values: dict) -> ItemResult:
    miss = tuple(k for k in it.raw_inputs if k not in values)
    labels = "、".join(rubric.inputs[k].label_zh for k in miss)
    return ItemResult(it, ZERO, values, miss, f"缺少数据：{labels} → 0分（待补充）")


def _score_items(rubric: Rubric, values: dict) -> tuple[list, list]:
    out = []
    missing_all: list = []
    keys = values.keys()
    for it in rubric.all_items:
        if keys >= it.raw_set:
            out.append(ItemResult(it, it.rule.points(values), values))
        else:
            r = _missing_item(rubric, it, values)
            missing_all.extend(r.missing)
            out.append(r)
    return out, missing_all


def _aggregate(rubric: Rubric, items: list) -> tuple[list, list, Decimal, Decimal, Decimal]:
    """Group sums (capped per group, and raw), base (capped at base max), bonus raw and capped."""
    n = len(rubric.all_groups)
    sums: list = [ZERO] * n
    raws: list = [ZERO] * n
    for g, plan in rubric._group_plan:  # post-order: children first
        raw = ZERO
        for is_item, idx in plan:
            raw += items[idx].points if is_item else sums[idx]
        i = g.index
        raws[i] = raw
        sums[i] = raw if raw < g.max else g.max
    base = ZERO
    for g in rubric.groups:
        base += sums[g.index]
    if base > rubric.base_max:
        base = rubric.base_max
    bonus_raw = ZERO
    for r in items[len(rubric.items):]:
        bonus_raw += r.points
    cap = rubric._bonus_cap
    return sums, raws, base, bonus_raw, (bonus_raw if bonus_raw < cap else cap)


def _eligibility(rubric: Rubric, values: dict) -> tuple[bool, list, list]:
    reasons: list = []
    reasons_en: list = []
    for c in rubric.eligibility:
        v = values.get(c.input)
        if v is not None and v is not _UNDEFINED and _OPS[c.op](v, c.value):
            continue
        spec = rubric.quantities[c.input]
        if v is None:
            miss = [k for k in c.raw_inputs if k not in values]
            reasons.append(f"无法判断“{c.reason_zh}”：缺少{'、'.join(rubric.inputs[k].label_zh for k in miss)}")
            reasons_en.append(f"cannot check “{c.reason_en}”: missing {', '.join(miss)}")
        elif v is _UNDEFINED:
            reasons.append(f"{c.reason_zh}（{spec.label_zh}无法计算）")
            reasons_en.append(f"{c.reason_en} ({spec.label_en} cannot be computed)")
        else:
            reasons.append(f"{c.reason_zh}（当前：{_desc(spec, v)}）")
            cur = ("yes" if v else "no") if isinstance(v, bool) else f"{_fmt_display(v)} {spec.unit_en}".rstrip()
            reasons_en.append(f"{c.reason_en} (now: {cur})")
    return not reasons, reasons, reasons_en


def evaluate(rubric: Rubric, inputs: Mapping[str, Any]) -> Result:
    """Score ``inputs`` (a mapping input key -> str/int/Decimal/level name/bool) against ``rubric``.

    Raises :class:`InputError` (listing every bad key) when a value cannot be parsed; unknown keys
    are ignored. Missing inputs never raise: see the module docstring.
    """
    values = _parse_inputs(rubric, inputs)
    items, missing = _score_items(rubric, values)
    sums, raws, base, bonus_raw, bonus = _aggregate(rubric, items)
    if rubric.eligibility:
        eligible, reasons, reasons_en = _eligibility(rubric, values)
        for c in rubric.eligibility:
            for k in c.raw_inputs:
                if k not in values:
                    missing.append(k)
    else:
        eligible, reasons, reasons_en = True, [], []
    if missing:
        s = set(missing)
        missing = [k for k in rubric.inputs if k in s]
    return Result(rubric, items, sums, raws, base, bonus_raw, bonus, missing, eligible, reasons, reasons_en)


def _total_gain(rubric: Rubric, result: Result, it: ItemSpec, gain: Decimal) -> Decimal:
    """Effect on the total of raising item ``it`` by ``gain`` (after group and bonus caps)."""
    if it.bonus:
        cap = rubric._bonus_cap
        new = result.bonus_raw + gain
        return (new if new < cap else cap) - result.bonus
    delta = gain
    groups = rubric.all_groups
    for gi in it.chain:  # enclosing groups, innermost first
        if delta <= 0:
            break
        g = groups[gi]
        new_raw = result._raws[gi] + delta
        delta = (new_raw if new_raw < g.max else g.max) - result._sums[gi]
    new_base = result.base + delta
    if new_base > rubric.base_max:
        new_base = rubric.base_max
    return new_base - result.base


def what_if(rubric: Rubric, inputs: Mapping[str, Any], result: Result | None = None) -> list[dict]:
    """Hints: for every item below its max (and not missing), the smallest change of one input
    that raises it.

    Each hint is a dict ``{"item", "item_label", "input", "change", "gain", "total_gain",
    "text_zh", "text_en"}`` and, for a ratio, ``"via"`` (the equivalent rise of the numerator with
    the denominator unchanged). ``change`` is text such as ``"+1"``, ``"+0.5"`` (percentage points
    for a % ratio), ``">+9"`` (a strict requirement: more than that), ``"→很完善"`` or ``"→是"``.
    ``gain`` is the item's gain (Decimal); ``total_gain`` the gain of the total after group and
    bonus caps (0 when e.g. the bonus cap is already reached). Items scored by a reviewer's direct
    score (rule ``direct``) give no hint. Pass ``result`` to reuse an evaluation of the same inputs.
    """
    values = _parse_inputs(rubric, inputs)
    if result is None:
        items, _ = _score_items(rubric, values)
        sums, raws, base, bonus_raw, bonus = _aggregate(rubric, items)
        result = Result(rubric, items, sums, raws, base, bonus_raw, bonus, [], True, [], [])
    out = []
    for it, r in zip(rubric.all_items, result.items):
        if r.missing or r.points >= it.max:
            continue
        for h in it.rule.hints(values, r.points):
            h["item"] = it.key
            h["item_label"] = it.label_zh
            h["gain"] = _norm(h["gain"])
            h["total_gain"] = _norm(_total_gain(rubric, result, it, h["gain"]))
            out.append(h)
    return out


def schema(rubric: Rubric) -> list[dict]:
    """The inputs a form must ask for: key, labels, unit, type, default, levels (for level inputs),
    ``more_is_better``, ``required`` (no default) and ``used_by`` (item keys)."""
    used_by: dict = {k: [] for k in rubric.inputs}
    for it in rubric.all_items:
        for k in it.raw_inputs:
            used_by[k].append(it.key)
    out = []
    for spec in rubric.inputs.values():
        d = {
            "key": spec.key,
            "label_zh": spec.label_zh,
            "label_en": spec.label_en,
            "unit": spec.unit,
            "unit_en": spec.unit_en,
            "type": spec.type,
            "more_is_better": spec.more_is_better,
            "default": spec.default,
            "required": spec.default is None,
            "allow_negative": spec.allow_negative,
            "used_by": used_by[spec.key],
        }
        if spec.help_zh:
            d["help_zh"] = spec.help_zh
            d["help_en"] = spec.help_en
        if spec.type == "level":
            d["levels"] = [{"key": lv.key, "label_zh": lv.label_zh, "label_en": lv.label_en} for lv in spec.levels]
        out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# classes of rated units (the Ganzhou county evaluation)


def resolve_entity(rubric: Rubric, name: str) -> Entity:
    """The entity of a rubric with classes, by key, name or alias. Raises KeyError if unknown."""
    e = rubric._entity_by_name.get(name.strip())
    if e is None:
        raise KeyError(f"未知的考评对象 / unknown entity: {name}")
    return e


def class_of(rubric: Rubric, name: str) -> str | None:
    """Class key of a county/zone (by key, name or alias), or None when it is not in any class."""
    e = rubric._entity_by_name.get(name.strip())
    return e.class_key if e is not None else None


def evaluate_all(rubric: Rubric, inputs_by_entity: Mapping[str, Mapping[str, Any]]) -> dict[str, Result]:
    """Evaluate several rated units together (keys: entity key, name or alias) and apply the
    rubric's class-average rule.

    The class-average rule (``class_average_fallback`` in the rubric file; Ganzhou: 赣州蓉江新区
    有关科技创新指标难以单独统计的，按一类县平均得分计算): for the named entity, every item of the
    named groups whose inputs are missing scores the average of the points of the same item over
    the *other* members of the class present in this call whose item is not missing, rounded to
    ``quantum`` (0.01) half up. Such an item is marked ``substituted``; its inputs leave
    ``missing`` (unless another item still needs them) and the totals are recomputed. If no other
    member has the item, it stays missing and scores 0.
    """
    results = {k: evaluate(rubric, v) for k, v in inputs_by_entity.items()}
    fb = rubric.fallback
    if fb is None:
        return results
    ents = {k: rubric._entity_by_name.get(k.strip()) for k in results}
    target_keys = [k for k, e in ents.items() if e is not None and e.key == fb.entity]
    if not target_keys:
        return results
    peers = [k for k, e in ents.items() if e is not None and e.class_key == fb.class_key and e.key != fb.entity]
    for tk in target_keys:
        res = results[tk]
        changed = False
        for idx, ir in enumerate(res.items):
            if not ir.missing or ir.key not in fb.item_keys:
                continue
            pts = [results[p].items[idx].points for p in peers if not results[p].items[idx].missing]
            if not pts:
                continue
            avg = _divide(sum(pts, ZERO), Decimal(len(pts))).quantize(fb.quantum, rounding=ROUND_HALF_UP)
            terms = "+".join(fmt(p) for p in pts)
            res.items[idx] = ItemResult(
                ir.spec, avg, ir._values, (),
                f"该项指标难以单独统计，按一类县平均得分计算：({terms})÷{len(pts)} = {fmt(avg)}分",
                substituted=True,
            )
            changed = True
        if changed:
            still = {k for r in res.items for k in r.missing}
            for c in rubric.eligibility:
                still.update(k for k in c.raw_inputs if k in res.missing)
            res.missing = [k for k in res.missing if k in still]
            res._recompute()
    return results


@dataclass(slots=True)
class Ranking:
    entity: str  # the key as given in ``results``
    name: str  # canonical name
    class_key: str
    total: Decimal
    rank: int  # competition ranking within the class: equal totals share a rank (1, 1, 3)
    praised: bool  # rank <= praise_top and eligible (表扬)
    interviewed: bool  # last place (约谈); nobody when the whole class is tied
    eligible: bool


def rank_within_classes(rubric: Rubric, results: Mapping[str, Result]) -> dict[str, list[Ranking]]:
    """Rank results (keys: entity key, name or alias) within each class of the rubric.

    Returns ``{class_key: [Ranking, ...]}`` (classes in rubric order, best first; ties share a rank
    and are listed by name). The top ``ranking.praise_top`` (3) are praised unless ineligible
    (an ineligible unit keeps its rank but is not praised, and nobody moves up into its place);
    the last-ranked are interviewed. Raises KeyError for an unknown entity.
    """
    praise_top = int(rubric.ranking.get("praise_top", 3))
    interview_last = bool(rubric.ranking.get("interview_last", True))
    by_class: dict = {c.key: [] for c in rubric.classes}
    for k, r in results.items():
        e = resolve_entity(rubric, k)
        by_class[e.class_key].append((k, e, r))
    out: dict = {}
    for ck, rows in by_class.items():
        rows.sort(key=lambda t: (-t[2].total, t[1].name))
        ranked = []
        prev = None
        rank = 0
        for i, (k, e, r) in enumerate(rows):
            if prev is None or r.total != prev:
                rank = i + 1
                prev = r.total
            ranked.append(Ranking(k, e.name, ck, r.total, rank, rank <= praise_top and r.eligible, False, r.eligible))
        if ranked and interview_last:
            worst = ranked[-1].rank
            if worst > 1:
                for rk in ranked:
                    if rk.rank == worst:
                        rk.interviewed = True
        out[ck] = ranked
    return out


# --------------------------------------------------------------------------------------------
# loading (thin wrappers: the loader lives in scoring.rubric_loader, which imports this module)


def load_rubric(data: dict) -> Rubric:
    """Validate and compile a rubric dict; see :func:`scoring.rubric_loader.load_rubric`."""
    from .rubric_loader import load_rubric as _load  # noqa: PLC0415 - the loader builds on the engine

    return _load(data)


def load_rubric_file(path: Any) -> Rubric:
    """Read, validate and compile a rubric YAML file; see :mod:`scoring.rubric_loader`."""
    from .rubric_loader import load_rubric_file as _load  # noqa: PLC0415 - the loader builds on the engine

    return _load(path)


def validate_rubric(data: dict) -> tuple[list, list]:
    """``(errors, warnings)`` of a rubric dict; see :func:`scoring.rubric_loader.validate_rubric`."""
    from .rubric_loader import validate_rubric as _validate  # noqa: PLC0415 - the loader builds on the engine

    return _validate(data)


# --------------------------------------------------------------------------------------------
# JSON


def to_json(obj: Any, indent: int | None = None) -> str:
    """Serialize to JSON; a Decimal becomes a JSON number with its exact decimal text (never a
    float). Accepts dicts, lists, tuples, str, int, bool, None, Decimal, and :class:`Result`
    (via ``to_dict``)."""
    parts: list = []
    _enc(obj, parts, indent, 0)
    return "".join(parts)


def _enc(o: Any, out: list, indent: int | None, level: int) -> None:
    if isinstance(o, Result):
        o = o.to_dict()
    if o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, Decimal):
        if not o.is_finite():
            raise ValueError(f"cannot serialize {o}")
        out.append(fmt(o))
    elif isinstance(o, int):
        out.append(str(o))
    elif isinstance(o, str):
        out.append(json.dumps(o, ensure_ascii=False))
    elif isinstance(o, float):
        raise TypeError("floats are not serialized: use Decimal")
    elif isinstance(o, Mapping):
        if not o:
            out.append("{}")
            return
        nl, sep = _ws(indent, level + 1)
        out.append("{")
        first = True
        for k, v in o.items():
            if not first:
                out.append(",")
            first = False
            out.append(nl)
            out.append(json.dumps(str(k), ensure_ascii=False))
            out.append(sep)
            _enc(v, out, indent, level + 1)
        out.append(_ws(indent, level)[0])
        out.append("}")
    elif isinstance(o, (list, tuple)):
        if not o:
            out.append("[]")
            return
        nl, _ = _ws(indent, level + 1)
        out.append("[")
        for i, v in enumerate(o):
            if i:
                out.append(",")
            out.append(nl)
            _enc(v, out, indent, level + 1)
        out.append(_ws(indent, level)[0])
        out.append("]")
    else:
        raise TypeError(f"cannot serialize {type(o).__name__}")


def _ws(indent: int | None, level: int) -> tuple[str, str]:
    if indent is None:
        return "", ": "
    return "\n" + " " * (indent * level), ": "
