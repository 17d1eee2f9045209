"""Engine behaviour that is not tied to one table: inputs, output shape, JSON, schema, hints."""

import json
from decimal import Decimal

import pytest

from scoring.engine import InputError, evaluate, fmt, schema, to_decimal, to_json, what_if
from tests.scoring.support import ETC_ZERO, rubric

ETC = "gansu-2022-etc"
D = Decimal


def etc(**kw):
    return evaluate(rubric(ETC), {**ETC_ZERO, **kw})


def test_engine_has_no_django_import():
    import scoring.engine
    import scoring.rubric_loader

    for mod in (scoring.engine, scoring.rubric_loader):
        with open(mod.__file__, encoding="utf-8") as f:
            src = f.read()
        assert "import django" not in src and "from django" not in src


@pytest.mark.parametrize(
    "value, expected",
    [("12.5", D("12.5")), (" 12.5 ", D("12.5")), ("1,200", D("1200")), (7, D("7")), (D("0.1"), D("0.1")),
     (0.1, D("0.1")), (2.9, D("2.9")), (145.0, D("145"))],
)
def test_to_decimal_never_carries_float_noise(value, expected):
    assert to_decimal(value) == expected
    assert str(to_decimal(0.1)) == "0.1"  # not 0.1000000000000000055511151231257827…


@pytest.mark.parametrize("bad", ["abc", "", True, "nan", "inf", [1]])
def test_to_decimal_refuses_non_numbers(bad):
    with pytest.raises(ValueError):
        to_decimal(bad)


def test_float_ratio_inputs_score_as_written():
    # 2.9 and 100 given as floats: 2.9 % → 2 points, exactly as the decimal text says
    assert etc(rd_expenditure=2.9, main_revenue=100.0).item("rd_ratio").points == 2


def test_bad_inputs_are_all_reported_at_once():
    with pytest.raises(InputError) as e:
        etc(rd_staff="3.5", total_staff=-1, main_revenue="lots", invention_patents_valid="1e400")
    assert set(e.value.errors) == {"rd_staff", "total_staff", "main_revenue", "invention_patents_valid"}
    assert "整数" in e.value.errors["rd_staff"] and "负数" in e.value.errors["total_staff"]


def test_negative_allowed_only_where_declared():
    assert etc(profit="-20").item("profit_margin").points == 0  # profit may be negative
    with pytest.raises(InputError):
        etc(main_revenue="-1")


def test_integer_inputs_accept_integral_text():
    assert etc(senior_or_phd="3").item("senior_or_phd").points == 3
    assert etc(senior_or_phd="3.0").item("senior_or_phd").points == 3
    assert etc(senior_or_phd=D("4")).item("senior_or_phd").points == 4


def test_unknown_keys_are_ignored():
    assert etc(csrfmiddlewaretoken="x").total == 0


def test_to_dict_has_exactly_the_agreed_shape():
    d = etc(rd_expenditure="30", awards_second=2).to_dict()
    assert list(d) == ["base", "bonus", "total", "items", "missing", "eligible", "reasons"]
    assert all(list(i) == ["key", "label", "points", "max", "explanation"] for i in d["items"])
    assert [i["key"] for i in d["items"]][-1] == "awards"
    # 30/1000 = 3 % → 3; per capita 30/1 = 30 → 3; awards 2 × 1 = 2
    assert d["base"] == 6 and d["bonus"] == 2 and d["total"] == 8
    assert isinstance(d["base"], Decimal)


def test_to_json_writes_exact_decimals_as_numbers():
    res = etc(applications_design=1, std_group_part=1, applications_utility=2)  # 2.5 and 0.5 points
    text = to_json(res)
    data = json.loads(text, parse_float=Decimal)
    assert data["base"] == D("3")  # 2.5 + 0.5
    item = next(i for i in data["items"] if i["key"] == "patent_applications")
    assert item["points"] == D("2.5")
    assert '"points": 2.5' in text and '"max": 5' in text
    assert "研发" in text  # not \u-escaped
    # arbitrary structures too, with indentation
    assert to_json({"a": [D("0.10"), D("1E+1"), None, True]}, indent=2) == '{\n  "a": [\n    0.1,\n    10,\n    null,\n    true\n  ]\n}'
    with pytest.raises(TypeError):
        to_json({"x": 0.1})  # floats are refused, never written


def test_fmt():
    assert fmt(D("3.50")) == "3.5"
    assert fmt(D("1E+3")) == "1000"
    assert fmt(D("-0.0")) == "0"
    assert fmt(D("0.000001")) == "0.000001"


def test_schema_lists_inputs_with_levels():
    s = {d["key"]: d for d in schema(rubric(ETC))}
    assert len(s) == 29
    assert s["rd_expenditure"]["unit"] == "万元" and s["rd_expenditure"]["type"] == "decimal"
    assert s["rd_expenditure"]["used_by"] == ["rd_per_capita", "rd_ratio"]
    assert s["profit"]["allow_negative"] is True
    itc = {d["key"]: d for d in schema(rubric("gansu-2022-itc"))}
    assert [lv["label_zh"] for lv in itc["org_structure"]["levels"]] == ["很完善", "比较完善", "基本完善", "不完善"]
    county = {d["key"]: d for d in schema(rubric("ganzhou-2023-county"))}
    assert county["unicorns"]["default"] == 0 and county["unicorns"]["required"] is False


def test_defaults_fill_missing_inputs_silently_only_when_declared():
    from tests.scoring.test_ganzhou_county import county

    res = evaluate(rubric("ganzhou-2023-county"), county())  # no bonus inputs given: they default to 0
    assert res.missing == [] and res.bonus == 0


def test_what_if_for_counts_ratios_and_levels():
    hints = what_if(rubric(ETC), {**ETC_ZERO, "invention_patents_valid": 2, "rd_expenditure": "29", "main_revenue": "1000"})
    by = {(h["item"], h["input"]): h for h in hints}
    h = by[("invention_patents_valid", "invention_patents_valid")]
    assert h["change"] == "+1" and h["gain"] == 1 and h["total_gain"] == 1
    assert h["text_zh"] == "有效发明专利再增加1项（至3项）：+1分"
    # 2.9 % → next step at 3.0 %: 0.1 percentage point more; with revenue 1000 that is +1 万元 of R&D
    h = by[("rd_ratio", "rd_ratio")]
    assert h["change"] == "+0.1" and h["gain"] == 1
    assert h["text_zh"].startswith("研发经费支出占主营业务收入的比重再提高0.1个百分点（至3%）：+1分")
    assert h["via"] == {"input": "rd_expenditure", "change": "+1", "text_zh": "主营业务收入不变时，研发经费支出需至少增加1万元",
                        "text_en": "with main business revenue unchanged, R&D expenditure must rise by at least 1 10k yuan"}
    # per capita 29 → 30 万元 gives the third point
    assert by[("rd_per_capita", "rd_per_capita")]["change"] == "+1"
    # weighted counts: one hint per kind
    assert by[("patent_applications", "applications_design")]["gain"] == D("0.5")
    assert by[("standards", "std_intl_lead")]["gain"] == 10
    # below a threshold: the first step
    assert by[("equipment_value", "equipment_value")]["change"] == "+300"
    # nothing for items at their max
    full = what_if(rubric(ETC), {**ETC_ZERO, "senior_or_phd": 5})
    assert not any(h["item"] == "senior_or_phd" for h in full)


def test_what_if_levels_and_bands():
    from tests.scoring.support import zero_inputs

    inp = zero_inputs("gansu-2022-itc")
    inp.update(org_structure="比较完善", equipment_value="1000", fulltime_rd_staff=69)
    by = {h["item"]: h for h in what_if(rubric("gansu-2022-itc"), inp)}
    assert by["org_structure"]["change"] == "→很完善" and by["org_structure"]["gain"] == 1
    assert by["equipment_value"]["change"] == "+100" and by["equipment_value"]["gain"] == 1  # 1000 → 1100: 3 → 4
    assert by["fulltime_rd_staff"]["change"] == "+1"  # 69 → 70: 2 → 3
    assert "service_revenue" in by and by["service_revenue"]["change"] == "+300"  # 0 → 300: 1 → 2


def test_what_if_is_silent_about_missing_items():
    inp = dict(ETC_ZERO)
    del inp["main_revenue"]
    items = {h["item"] for h in what_if(rubric(ETC), inp)}
    assert "rd_ratio" not in items and "rd_per_capita" in items


def test_results_are_reproducible():
    a = to_json(etc(rd_expenditure="123.45", profit="77"))
    b = to_json(etc(rd_expenditure="123.45", profit="77"))
    assert a == b
