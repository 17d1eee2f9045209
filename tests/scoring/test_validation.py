"""Rubric validation: errors refuse a rubric, acknowledged source flaws become warnings."""

import copy

import pytest

from scoring.rubric_loader import RubricError, load_rubric, load_rubric_dir, validate_rubric
from tests.scoring.support import RUBRIC_CODES, raw, rubric


def small() -> dict:
    """A valid two-group rubric: A (60) = a1 40 + a2 20; B (40) = b1 40; bonus capped at 5."""
    return {
        "code": "test-small",
        "version": "1",
        "title": {"zh": "测试", "en": "Test"},
        "source": {"seed": "none"},
        "total": 100,
        "inputs": [
            {"key": "x", "label_zh": "甲", "label_en": "x", "unit": "万元", "type": "decimal"},
            {"key": "y", "label_zh": "乙", "label_en": "y", "unit": "万元", "type": "decimal", "more_is_better": False},
            {"key": "n", "label_zh": "数", "label_en": "n", "unit": "项", "type": "integer"},
            {"key": "lv", "label_zh": "等级", "label_en": "level", "type": "level",
             "levels": [{"key": "good", "zh": "好", "en": "good"}, {"key": "bad", "zh": "差", "en": "bad"}]},
        ],
        "derived": [
            {"key": "r", "label_zh": "比", "label_en": "ratio", "unit": "%", "op": "ratio", "num": "x", "den": "y", "scale": 100},
        ],
        "groups": [
            {"key": "A", "label_zh": "甲组", "label_en": "A", "max": 60, "items": [
                {"key": "a1", "label_zh": "比重", "label_en": "share", "max": 40, "source_text": "…",
                 "rule": {"type": "steps", "input": "r", "threshold": 2, "base": 1, "increment": "0.5", "add": 1}},
                {"key": "a2", "label_zh": "等级", "label_en": "level", "max": 20, "source_text": "…",
                 "rule": {"type": "level", "input": "lv", "points": {"good": 20, "bad": 0}}},
            ]},
            {"key": "B", "label_zh": "乙组", "label_en": "B", "max": 40, "items": [
                {"key": "b1", "label_zh": "区间", "label_en": "bands", "max": 40, "source_text": "…",
                 "rule": {"type": "bands", "input": "x", "bands": [
                     {"min": 1300, "points": 40}, {"min": 900, "max": 1300, "points": 20}, {"max": 900, "points": 0}]}},
            ]},
        ],
        "bonus": {"cap": 5, "items": [
            {"key": "k", "label_zh": "加分", "label_en": "bonus", "max": 5, "source_text": "…",
             "rule": {"type": "per_unit", "input": "n", "unit": 1, "points": 1}},
        ]},
        "notes": [],
    }


def codes(messages):
    return [(m.code, m.target) for m in messages]


def test_the_small_rubric_is_valid():
    errors, warnings = validate_rubric(small())
    assert errors == [] and warnings == []
    assert load_rubric(small()).code == "test-small"


def test_item_maxima_not_adding_up_is_refused():
    d = small()
    d["groups"][0]["items"][1]["max"] = 15  # 40 + 15 = 55 ≠ 60
    d["groups"][0]["items"][1]["rule"]["points"]["good"] = 15
    errors, _ = validate_rubric(d)
    assert ("group_sum_mismatch", "A") in codes(errors)
    with pytest.raises(RubricError) as e:
        load_rubric(d)
    assert "55" in str(e.value) and "60" in str(e.value)
    assert "not acknowledged" in str(e.value)


def test_groups_not_adding_up_to_the_total_is_refused():
    d = small()
    d["total"] = 90
    errors, _ = validate_rubric(d)
    assert ("total_sum_mismatch", "total") in codes(errors)


def test_a_source_flaw_acknowledged_in_notes_is_a_warning():
    d = small()
    d["groups"][0]["items"][1]["max"] = 15
    d["groups"][0]["items"][1]["rule"]["points"]["good"] = 15
    d["notes"] = [{"key": "flaw", "applies_to": ["A"], "issue_zh": "原表合计不符", "issue_en": "the printed sum is off",
                   "choice_zh": "按原文", "choice_en": "as printed",
                   "acknowledges": [{"code": "group_sum_mismatch", "target": "A"}]}]
    errors, warnings = validate_rubric(d)
    assert errors == []
    assert codes(warnings) == [("group_sum_mismatch", "A")]
    assert "原表合计不符" in warnings[0].zh and "as printed" in warnings[0].en
    assert load_rubric(d).warnings[0].code == "group_sum_mismatch"


def test_unordered_thresholds_are_refused():
    d = small()
    d["groups"][1]["items"][0]["rule"]["bands"] = [
        {"min": 900, "max": 1300, "points": 20}, {"min": 1300, "points": 40}, {"max": 900, "points": 0}]
    errors, _ = validate_rubric(d)
    assert ("unordered_thresholds", "item b1") in codes(errors)
    assert "900, 1300, -inf" in errors[0].en


def test_a_band_with_min_above_max_is_refused():
    d = small()
    d["groups"][1]["items"][0]["rule"]["bands"][1] = {"min": 1300, "max": 900, "points": 20}
    errors, _ = validate_rubric(d)
    assert "unordered_thresholds" in [c for c, _ in codes(errors)]


def test_overlapping_bands_are_refused():
    d = small()
    d["groups"][1]["items"][0]["rule"]["bands"][1] = {"min": 900, "max": 1300, "max_inclusive": True, "points": 20}
    errors, _ = validate_rubric(d)
    assert ("overlapping_bands", "item b1") in codes(errors)


def test_a_gap_between_bands_is_a_warning():
    d = small()
    d["groups"][1]["items"][0]["rule"]["bands"][2] = {"max": 800, "points": 0}
    errors, warnings = validate_rubric(d)
    assert errors == []
    assert ("band_gap", "b1") in codes(warnings)


def test_an_undeclared_input_is_refused():
    d = small()
    d["groups"][1]["items"][0]["rule"]["input"] = "revenue"
    errors, _ = validate_rubric(d)
    assert ("undeclared_input", "item b1") in codes(errors)
    assert "'revenue'" in errors[0].en


def test_a_derived_value_over_an_undeclared_input_is_refused():
    d = small()
    d["derived"][0]["den"] = "sales"
    errors, _ = validate_rubric(d)
    assert ("undeclared_input", "derived r") in codes(errors)


def test_unknown_rule_type_and_bad_numbers_are_refused():
    d = small()
    d["groups"][0]["items"][0]["rule"]["type"] = "magic"
    d["groups"][1]["items"][0]["max"] = "forty"
    errors, _ = validate_rubric(d)
    assert ("bad_rule_type", "item a1") in codes(errors)
    assert ("bad_number", "item b1") in codes(errors)


def test_steps_need_a_positive_increment():
    d = small()
    d["groups"][0]["items"][0]["rule"]["increment"] = 0
    errors, _ = validate_rubric(d)
    assert ("bad_number", "item a1") in codes(errors)


def test_levels_without_points_are_refused():
    d = small()
    d["groups"][0]["items"][1]["rule"]["points"] = {"good": 20}
    errors, _ = validate_rubric(d)
    assert any(c == "bad_levels" and "bad" in m.en for (c, _), m in zip(codes(errors), errors))


def test_duplicate_keys_are_refused():
    d = small()
    d["groups"][1]["items"][0]["key"] = "a1"
    errors, _ = validate_rubric(d)
    assert ("duplicate_key", "item a1") in codes(errors)


def test_every_error_is_listed_at_once():
    d = small()
    d["groups"][1]["items"][0]["rule"]["input"] = "revenue"
    d["derived"][0]["den"] = "sales"
    del d["title"]
    with pytest.raises(RubricError) as e:
        load_rubric(d)
    assert len(e.value.errors) >= 3
    text = str(e.value)
    assert "revenue" in text and "sales" in text and "title" in text


def test_unused_inputs_and_stale_acknowledgements_are_warnings():
    d = small()
    d["inputs"].append({"key": "z", "label_zh": "丙", "label_en": "z", "type": "integer"})
    d["notes"] = [{"key": "n1", "issue_zh": "…", "issue_en": "…", "choice_zh": "…", "choice_en": "…",
                   "acknowledges": [{"code": "bonus_uncapped", "target": "bonus"}]}]
    errors, warnings = validate_rubric(d)
    assert errors == []
    assert ("unused_input", "z") in codes(warnings)
    assert ("stale_acknowledgement", "bonus") in codes(warnings)


def test_the_five_rubric_files_load():
    rubrics = load_rubric_dir()
    assert sorted(rubrics) == sorted(RUBRIC_CODES)
    for code in RUBRIC_CODES:
        errors, _ = validate_rubric(raw(code))
        assert errors == [], code


@pytest.mark.parametrize(
    "code, flaw",
    [
        ("gansu-2022-alliance", ("item_max_mismatch", "intellectual_property")),
        ("gansu-2022-alliance", ("group_sum_mismatch", "lead_unit_capacity")),
        ("gansu-2022-itc", ("layout_mismatch", "standards")),
        ("gansu-2022-itc", ("layout_mismatch", "intellectual_property")),
        ("gansu-2022-itc", ("bonus_uncapped", "bonus")),
        ("gansu-2022-itc", ("band_floor_nonzero", "service_revenue")),
        ("gansu-2022-demo", ("requirement_no_formula", "*")),
        ("gansu-2022-demo", ("bonus_uncapped", "bonus")),
    ],
)
def test_source_flaws_are_warnings_and_errors_without_their_note(code, flaw):
    assert flaw in codes(rubric(code).warnings)
    # the same file without the acknowledgement is refused: the flaw is detected, not declared
    d = raw(code)
    for n in d["notes"]:
        n["acknowledges"] = [a for a in n.get("acknowledges") or () if (a["code"], a["target"]) != flaw]
    errors, _ = validate_rubric(d)
    assert flaw[0] in [c for c, _ in codes(errors)]


def test_every_note_speaks_both_languages():
    for code in RUBRIC_CODES:
        r = rubric(code)
        assert r.notes, code
        for n in r.notes:
            assert n.issue_zh and n.issue_en and n.choice_zh and n.choice_en


def test_validation_does_not_mutate_the_input():
    d = raw("gansu-2022-itc")
    before = copy.deepcopy(d)
    validate_rubric(d)
    load_rubric(d)
    assert d == before


def test_a_broken_file_is_refused_with_its_messages(tmp_path):
    import yaml

    from scoring.rubric_loader import load_rubric_file

    d = small()
    d["groups"][1]["items"][0]["max"] = 30  # B: 30 ≠ 40
    d["groups"][1]["items"][0]["rule"]["bands"][0]["points"] = 30
    d["groups"][0]["items"][0]["rule"]["input"] = "undeclared_thing"
    p = tmp_path / "broken.yaml"
    p.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RubricError) as e:
        load_rubric_file(p)
    got = codes(e.value.errors)
    assert ("group_sum_mismatch", "B") in got and ("undeclared_input", "item a1") in got
    assert "30" in str(e.value) and "undeclared_thing" in str(e.value)


def test_yaml_floats_in_a_rubric_become_exact_decimals():
    d = small()
    d["groups"][0]["items"][0]["rule"]["increment"] = 0.1  # as YAML would parse an unquoted 0.1
    d["groups"][0]["items"][0]["rule"]["threshold"] = 2.2
    r = load_rubric(d)
    rule = r.item("a1").rule
    assert str(rule.increment) == "0.1" and str(rule.threshold) == "2.2"
    from scoring.engine import evaluate

    # x/y = 23/1000 = 2.3 %: 1 + ⌊(2.3 − 2.2)/0.1⌋ = 1 + 1 = 2
    # (binary floats: (2.3 - 2.2) / 0.1 = 0.99999… → ⌊⌋ = 0 → 1 point)
    assert (2.3 - 2.2) / 0.1 < 1
    res = evaluate(r, {"x": "23", "y": "1000", "n": 0, "lv": "差"})
    assert res.item("a1").points == 2
