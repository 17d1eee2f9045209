"""Property tests (hypothesis) over all five rubrics."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.engine import evaluate, what_if
from tests.scoring.support import RUBRIC_CODES, rubric

SETTINGS = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def value_strategy(spec):
    if spec.type == "level":
        return st.sampled_from([lv.key for lv in spec.levels])
    if spec.type == "boolean":
        return st.booleans()
    if spec.type == "integer":
        return st.integers(min_value=0, max_value=80)
    lo = Decimal("-2000") if spec.allow_negative else Decimal(0)
    # small and large figures, two decimals, given as text the way a form posts them
    return st.one_of(
        st.decimals(min_value=lo, max_value=Decimal("40"), places=2),
        st.decimals(min_value=lo, max_value=Decimal("30000"), places=2),
    ).map(str)


def inputs_strategy(code, allow_missing=True):
    r = rubric(code)
    fields = {}
    for key, spec in r.inputs.items():
        s = value_strategy(spec)
        if allow_missing:
            s = st.one_of(s, s, s, s, s, s, s, s, s, st.none())  # about one in ten missing
        fields[key] = s
    return st.fixed_dictionaries(fields)


def check_invariants(r, res):
    items = {it.key: it for it in res.items}
    for it in res.items:
        assert Decimal(0) <= it.points <= it.max, it
        if it.missing:
            assert it.points == 0
            assert set(it.missing) <= set(res.missing)
    # groups: the sum of the children, capped at the group's max
    got = {g.key: g for g in res.groups}
    for g in r.all_groups:
        s = sum((items[c.key].points if c.__class__.__name__ == "ItemSpec" else got[c.key].points for c in g.children), Decimal(0))
        assert got[g.key].raw == s
        assert got[g.key].points == min(s, g.max)
    base = sum((got[g.key].points for g in r.groups), Decimal(0))
    assert res.base == min(base, r.base_max)
    bonus = sum((items[b.key].points for b in r.bonus_items), Decimal(0))
    assert res.bonus == min(bonus, r.bonus_cap_effective)
    assert res.bonus <= r.bonus_cap_effective
    assert res.total == res.base + res.bonus
    assert res.total <= r.base_max + r.bonus_cap_effective
    if not res.eligible:
        assert res.reasons


@pytest.mark.parametrize("code", RUBRIC_CODES)
def test_invariants(code):
    r = rubric(code)

    @SETTINGS
    @given(inputs_strategy(code))
    def run(inputs):
        check_invariants(r, evaluate(r, inputs))

    run()


def monotone_inputs(code):
    return [k for k, s in rubric(code).inputs.items() if s.more_is_better is True]


@pytest.mark.parametrize("code", RUBRIC_CODES)
def test_total_never_falls_when_a_more_is_better_input_rises(code):
    r = rubric(code)
    keys = monotone_inputs(code)
    assert keys

    @SETTINGS
    @given(inputs_strategy(code, allow_missing=False), st.sampled_from(keys), st.data())
    def run(inputs, key, data):
        spec = r.inputs[key]
        better = dict(inputs)
        if spec.type == "level":
            order = [lv.key for lv in spec.levels]  # declared best first
            i = order.index(inputs[key])
            better[key] = order[data.draw(st.integers(min_value=0, max_value=i))]
        elif spec.type == "boolean":
            better[key] = True
        elif spec.type == "integer":
            better[key] = inputs[key] + data.draw(st.integers(min_value=0, max_value=20))
        else:
            step = data.draw(st.decimals(min_value=0, max_value=Decimal("5000"), places=2))
            better[key] = str(Decimal(inputs[key]) + step)
        before, after = evaluate(r, inputs), evaluate(r, better)
        assert after.total >= before.total, (key, inputs[key], better[key])
        assert after.base >= before.base or after.bonus > before.bonus

    run()


@pytest.mark.parametrize("code", RUBRIC_CODES)
def test_what_if_hints_deliver_their_gain(code):
    """Applying a hint's change to its input raises the item by at least the announced gain."""
    r = rubric(code)

    @SETTINGS
    @given(inputs_strategy(code, allow_missing=False))
    def run(inputs):
        res = evaluate(r, inputs)
        for h in what_if(r, inputs, res):
            spec = r.inputs.get(h["input"])
            if spec is None or h["change"].startswith((">", "≈")) or not h["change"].startswith("+"):
                continue  # ratios, strict bounds and levels are checked elsewhere
            changed = dict(inputs)
            changed[h["input"]] = str(Decimal(str(inputs[h["input"]])) + Decimal(h["change"][1:]))
            after = evaluate(r, changed)
            assert after.item(h["item"]).points - res.item(h["item"]).points >= h["gain"], h
            assert after.total - res.total >= h["total_gain"], h

    run()


@pytest.mark.parametrize("code", RUBRIC_CODES)
def test_via_hints_for_ratios_deliver_their_gain(code):
    r = rubric(code)

    @SETTINGS
    @given(inputs_strategy(code, allow_missing=False))
    def run(inputs):
        res = evaluate(r, inputs)
        for h in what_if(r, inputs, res):
            via = h.get("via")
            if not via:
                continue
            changed = dict(inputs)
            changed[via["input"]] = str(Decimal(str(inputs[via["input"]])) + Decimal(via["change"][1:]))
            after = evaluate(r, changed)
            assert after.item(h["item"]).points - res.item(h["item"]).points >= h["gain"], h

    run()
