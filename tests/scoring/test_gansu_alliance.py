"""Gansu industry technology innovation alliance self-assessment (seed 001, printed 附件3)."""

import pytest

from scoring.engine import evaluate
from tests.scoring.support import item_points, rubric, zero_inputs

CODE = "gansu-2022-alliance"


def pts(item, **kw):
    return item_points(CODE, item, **kw)


@pytest.mark.parametrize("level, expected", [("很完善", 5), ("比较完善", 3), ("基本完善", 1), ("不完善", 0)])
def test_management_rules(level, expected):
    # 很完善得5分,比较完善得3分,基本完善得1分,不完善得0分
    assert pts("management_rules", management_rules=level) == expected


@pytest.mark.parametrize("level, expected", [("规划完善可行性高", 5), ("较好", 3), ("基本规划", 2), ("无规划", 0)])
def test_development_plan(level, expected):
    assert pts("development_plan", development_plan=level) == expected


@pytest.mark.parametrize(
    "counts, expected",
    [
        ({"ip_invention": 1}, 5),  # 发明专利授权每件5分
        ({"ip_utility": 1}, 2),  # 实用新型每件2分
        ({"ip_other": 1}, 1),
        ({"ip_invention": 1, "ip_utility": 2}, 9),  # 5+4
        ({"ip_invention": 2}, 10),  # 累计不超过10分: at the cap
        ({"ip_invention": 4}, 10),  # 20 would be the printed weight; the text caps at 10
        ({"ip_utility": 6}, 10),  # 12 → 10
    ],
)
def test_intellectual_property_capped_at_ten_not_twenty(counts, expected):
    assert pts("intellectual_property", **counts) == expected


# 国际20/10, 国家10/5, 行业6/3, 地方6/3, 团体3/1, 企业1; 20分满分
@pytest.mark.parametrize(
    "counts, expected",
    [
        ({"std_intl_lead": 1}, 20), ({"std_intl_part": 1}, 10),
        ({"std_national_lead": 1}, 10), ({"std_national_part": 1}, 5),
        ({"std_industry_lead": 1}, 6), ({"std_industry_part": 1}, 3),
        ({"std_local_lead": 1}, 6), ({"std_local_part": 1}, 3),
        ({"std_group_lead": 1}, 3), ({"std_group_part": 1}, 1),
        ({"std_enterprise": 1}, 1),
        ({"std_national_lead": 1, "std_industry_part": 2, "std_group_part": 1}, 17),  # 10+6+1
        ({"std_national_lead": 2}, 20),
        ({"std_national_lead": 2, "std_enterprise": 1}, 20),  # 21 → 20
    ],
)
def test_standards(counts, expected):
    assert pts("standards", **counts) == expected


@pytest.mark.parametrize(
    "counts, expected",
    [
        ({"problems_solved": 1}, 5),  # 每解决1个难题得5分
        ({"problems_solved": 3}, 15),
        ({"national_gaps_filled": 1}, 20),  # 填补国家重大空白每项20分
        ({"problems_solved": 4}, 20),
        ({"problems_solved": 1, "national_gaps_filled": 1}, 20),  # 25 → 20
    ],
)
def test_key_problems(counts, expected):
    assert pts("key_problems", **counts) == expected


# 年经济效益达到每500万元得1分, 满分20分
@pytest.mark.parametrize("value, expected", [("499.99", 0), ("500", 1), ("9999.99", 19), ("10000", 20), ("50000", 20)])
def test_new_product_revenue(value, expected):
    assert pts("new_product_revenue", new_product_revenue=value) == expected


@pytest.mark.parametrize(
    "counts, expected",
    [({"academicians": 1}, 5), ({"national_talents": 1}, 3), ({"provincial_leading_talents": 2}, 2),
     ({"national_talents": 1, "provincial_leading_talents": 1}, 4), ({"academicians": 1, "national_talents": 1}, 5)],
)
def test_high_level_talent(counts, expected):
    assert pts("high_level_talent", **counts) == expected


@pytest.mark.parametrize("n, expected", [(0, 0), (1, 2), (2, 4), (3, 5), (10, 5)])
def test_promotion_events(n, expected):
    # 每1次得2分, 满分5分: three events would be 6 → 5
    assert pts("promotion_events", promotion_events=n) == expected


def test_best_possible_total_is_90_because_of_the_ip_cap():
    inp = {
        "management_rules": "很完善", "development_plan": "规划完善可行性高",
        "ip_invention": 10, "ip_utility": 0, "ip_other": 0,
        "std_intl_lead": 1, "std_intl_part": 0, "std_national_lead": 0, "std_national_part": 0,
        "std_industry_lead": 0, "std_industry_part": 0, "std_local_lead": 0, "std_local_part": 0,
        "std_group_lead": 0, "std_group_part": 0, "std_enterprise": 0,
        "problems_solved": 0, "national_gaps_filled": 1, "new_product_revenue": "10000",
        "academicians": 1, "national_talents": 0, "provincial_leading_talents": 0, "promotion_events": 3,
    }
    res = evaluate(rubric(CODE), inp)
    # 10 + (10 + 20) + (20 + 20) + 5 + 5 = 90
    assert res.group("lead_unit_capacity").points == 30
    assert res.group("lead_unit_capacity").max == 40
    assert res.base == 90 and res.total == 90


def test_ip_discrepancy_is_carried_and_shown():
    r = rubric(CODE)
    ip = r.item("intellectual_property")
    assert ip.max == 10 and ip.printed_max == "20"
    assert "累计不超过10分" in ip.source_text and "(20分)" in ip.source_text
    codes = {(w.code, w.target) for w in r.warnings}
    assert codes == {("item_max_mismatch", "intellectual_property"), ("group_sum_mismatch", "lead_unit_capacity")}
    assert any("90" in w.zh and "90" in w.en for w in r.warnings)
    assert r.notes_for("intellectual_property")


def test_zero_baseline():
    res = evaluate(rubric(CODE), zero_inputs(CODE))
    assert res.total == 0 and res.missing == []
