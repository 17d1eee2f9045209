"""Gansu industry technology center self-assessment (seed 001, 附件2): every item by hand."""

from decimal import Decimal

import pytest

from scoring.engine import InputError, evaluate
from tests.scoring.support import item_points, rubric, zero_inputs

CODE = "gansu-2022-itc"
D = Decimal


def pts(item, **kw):
    return item_points(CODE, item, **kw)


def test_structure_repairs_the_page_break():
    r = rubric(CODE)
    groups = {g.key: (g.max, [c.key for c in g.children]) for g in r.groups}
    # 创新成效 (26) = projects 4 + awards 4 + IP 6 + standards 12; 服务业绩 (27) = 8 + 4 + 5 + 10
    assert groups["achievements"] == (26, ["research_projects", "st_awards", "intellectual_property", "standards"])
    assert groups["service_performance"] == (27, ["industry_report", "periodicals", "training", "problems_solved"])
    assert {k: v[0] for k, v in groups.items()} == {
        "operation": 9, "facilities": 5, "staff": 8, "investment": 9,
        "achievements": 26, "service_performance": 27, "economic_benefit": 16,
    }
    assert sum(v[0] for v in groups.values()) == 100
    # bonus items 10 + 5 + 6 + 4 = 25, no overall cap in the source
    assert r.bonus_cap is None
    assert r.bonus_cap_effective == 25


@pytest.mark.parametrize("item, input_", [("org_structure", "org_structure"), ("management_rules", "management_rules")])
@pytest.mark.parametrize(
    "level, expected",
    [("很完善", 3), ("very_complete", 3), ("比较完善", 2), ("基本完善", 1), ("basically complete", 1), ("不完善", 0)],
)
def test_completeness_levels(item, input_, level, expected):
    # 很完善得3分,比较完善得2分,基本完善得1分,不完善得0分 (by Chinese label, key or English label)
    assert pts(item, **{input_: level}) == expected


@pytest.mark.parametrize("level, expected", [("良好", 3), ("比较良好", 2), ("基本完成", 1), ("未完成", 0)])
def test_development_plan_levels(level, expected):
    assert pts("development_plan", development_plan=level) == expected


def test_unknown_level_is_refused():
    inp = zero_inputs(CODE)
    inp["org_structure"] = "完美"
    with pytest.raises(InputError) as e:
        evaluate(rubric(CODE), inp)
    assert "org_structure" in e.value.errors


# 研发设备原值: 1300万以上5, 1100-1300万4, 900-1100万3, 700-900万1, 700万以下0 (a ≤ x < b)
@pytest.mark.parametrize(
    "value, expected",
    [("0", 0), ("699.99", 0), ("700", 1), ("899.99", 1), ("900", 3), ("1099.99", 3),
     ("1100", 4), ("1299.99", 4), ("1300", 5), ("5000", 5)],
)
def test_equipment_bands(value, expected):
    assert pts("equipment_value", equipment_value=value) == expected


# 专职研发人员: 70人以上3, 60-70人2, 50-60人1, 50人以下0
@pytest.mark.parametrize("n, expected", [(0, 0), (49, 0), (50, 1), (59, 1), (60, 2), (69, 2), (70, 3), (200, 3)])
def test_fulltime_staff_bands(n, expected):
    assert pts("fulltime_rd_staff", fulltime_rd_staff=n) == expected


@pytest.mark.parametrize("n, expected", [(0, 0), (1, 1), (4, 4), (5, 5), (6, 5)])
def test_senior_staff(n, expected):
    # 每1人得1分,满分5分
    assert pts("senior_rd_staff", senior_rd_staff=n) == expected


# 本年度科技研发投入: 800以上6, 700-800 5, 600-700 4, 500-600 3, 400-500 2, 300-400 1, 300以下0
@pytest.mark.parametrize(
    "value, expected",
    [("299.99", 0), ("300", 1), ("399.99", 1), ("400", 2), ("500", 3), ("600", 4), ("699.99", 4),
     ("700", 5), ("799.99", 5), ("800", 6), ("10000", 6)],
)
def test_rd_investment_year(value, expected):
    assert pts("rd_investment_year", rd_investment_year=value) == expected


# 近三年累计: 1600以上3, 1300-1600 2, 1000-1300 1, 1000以下0
@pytest.mark.parametrize(
    "value, expected",
    [("999.99", 0), ("1000", 1), ("1299.99", 1), ("1300", 2), ("1599.99", 2), ("1600", 3), ("3000", 3)],
)
def test_rd_investment_3y(value, expected):
    assert pts("rd_investment_3y", rd_investment_3y=value) == expected


@pytest.mark.parametrize(
    "counts, expected",
    [
        ({"projects_provincial": 1}, 2),  # 每承担1项省(部)级及以上项目得2分
        ({"projects_bureau": 1}, 1),  # 每承担1项厅局级项目得1分
        ({"projects_provincial": 1, "projects_bureau": 1}, 3),
        ({"projects_provincial": 2}, 4),  # at the cap
        ({"projects_provincial": 2, "projects_bureau": 1}, 4),  # 5 → 4
    ],
)
def test_research_projects(counts, expected):
    assert pts("research_projects", **counts) == expected


@pytest.mark.parametrize(
    "counts, expected",
    [
        ({"awards_provincial": 1}, 2),  # 省部级科技奖励2分
        ({"awards_social": 1}, 1),  # 社会力量奖励1分 (read as each)
        ({"awards_social": 3}, 3),
        ({"awards_provincial": 1, "awards_social": 2}, 4),
        ({"awards_provincial": 3}, 4),  # 6 → 4
    ],
)
def test_st_awards(counts, expected):
    assert pts("st_awards", **counts) == expected


@pytest.mark.parametrize(
    "counts, expected",
    [
        ({"ip_invention": 1}, 3),  # 发明专利授权每件3分
        ({"ip_utility": 1}, 1),
        ({"ip_other": 1}, 1),  # 外观专利、软件著作权等每件1分
        ({"ip_invention": 1, "ip_utility": 2}, 5),
        ({"ip_invention": 2}, 6),  # at the cap
        ({"ip_invention": 2, "ip_other": 1}, 6),  # 7 → 6
    ],
)
def test_intellectual_property(counts, expected):
    assert pts("intellectual_property", **counts) == expected


# 标准: 国际12/6, 国家6/3, 地方4/2, 行业4/2, 团体2/1, 企业1; 满分12
@pytest.mark.parametrize(
    "counts, expected",
    [
        ({"std_intl_lead": 1}, 12), ({"std_intl_part": 1}, 6),
        ({"std_national_lead": 1}, 6), ({"std_national_part": 1}, 3),
        ({"std_local_lead": 1}, 4), ({"std_local_part": 1}, 2),
        ({"std_industry_lead": 1}, 4), ({"std_industry_part": 1}, 2),
        ({"std_group_lead": 1}, 2), ({"std_group_part": 1}, 1),
        ({"std_enterprise": 1}, 1),
        ({"std_national_part": 1, "std_local_lead": 1, "std_enterprise": 2}, 9),  # 3+4+2
        ({"std_national_lead": 2}, 12),  # at the cap
        ({"std_national_lead": 2, "std_enterprise": 1}, 12),  # 13 → 12
    ],
)
def test_itc_standards(counts, expected):
    assert pts("standards", **counts) == expected


@pytest.mark.parametrize("level, expected", [("优秀", 8), ("良好", 5), ("合格", 3), ("未发布或不合格", 0)])
def test_industry_report(level, expected):
    assert pts("industry_report", industry_report=level) == expected


@pytest.mark.parametrize(
    "item, key, each, cap",
    [
        ("periodicals", "periodicals", 1, 4),  # 每1次1分，满分4
        ("training", "trainings_50", 1, 5),  # 每次(≥50人次)1分，累计不超过5
        ("problems_solved", "problems_solved", 2, 10),  # 每个难题2分，满分10
    ],
)
def test_count_items(item, key, each, cap):
    assert pts(item, **{key: 0}) == 0
    assert pts(item, **{key: 1}) == each
    n_full = cap // each
    assert pts(item, **{key: n_full}) == cap
    assert pts(item, **{key: n_full + 1}) == cap


# 年服务收入: 1000以上6, 900-1000 5, 700-900 4, 500-700 3, 300-500 2, 300以下1 (even 0 gets 1)
@pytest.mark.parametrize(
    "value, expected",
    [("0", 1), ("299.99", 1), ("300", 2), ("499.99", 2), ("500", 3), ("700", 4), ("899.99", 4),
     ("900", 5), ("999.99", 5), ("1000", 6), ("9000", 6)],
)
def test_service_revenue(value, expected):
    assert pts("service_revenue", service_revenue=value) == expected


# 新产品销售收入: 每500万得1分，满分10分
@pytest.mark.parametrize("value, expected", [("0", 0), ("499.99", 0), ("500", 1), ("999.99", 1), ("1000", 2), ("4999", 9), ("5000", 10), ("8000", 10)])
def test_new_product_revenue(value, expected):
    assert pts("new_product_revenue", new_product_revenue=value) == expected


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"key_tech_breakthrough": True}, {"key_tech_breakthrough": 10}),
        ({"key_tech_breakthrough": "是"}, {"key_tech_breakthrough": 10}),
        ({"academicians": 1}, {"high_level_talent": 5}),
        ({"national_talents": 1}, {"high_level_talent": 3}),
        ({"national_talents": 1, "provincial_leading_talents": 1}, {"high_level_talent": 4}),
        ({"national_talents": 2}, {"high_level_talent": 5}),  # 6 → 5
        ({"dept_tasks": 2}, {"dept_tasks": 4}),  # 每项2分
        ({"dept_tasks": 4}, {"dept_tasks": 6}),  # 8 → 6
        ({"national_award": True}, {"national_award": 4}),
    ],
)
def test_bonus_items(overrides, expected):
    inp = zero_inputs(CODE)
    inp.update(overrides)
    res = evaluate(rubric(CODE), inp)
    got = {i.key: i.points for i in res.items if i.bonus and i.points}
    assert got == expected
    assert res.bonus == sum(expected.values())


def test_bonus_can_reach_25_outside_the_100():
    inp = zero_inputs(CODE)
    inp.update(key_tech_breakthrough=True, academicians=1, dept_tasks=3, national_award=True)
    res = evaluate(rubric(CODE), inp)
    assert res.bonus == 25  # 10 + 5 + 6 + 4
    assert res.base == 1  # only the service-revenue floor point
    assert res.total == 26


def test_full_marks():
    inp = {
        "org_structure": "很完善", "management_rules": "很完善", "development_plan": "良好",
        "equipment_value": "1300", "fulltime_rd_staff": 70, "senior_rd_staff": 5,
        "rd_investment_year": "800", "rd_investment_3y": "1600",
        "projects_provincial": 2, "projects_bureau": 0, "awards_provincial": 2, "awards_social": 0,
        "ip_invention": 2, "ip_utility": 0, "ip_other": 0,
        "std_intl_lead": 1, "std_intl_part": 0, "std_national_lead": 0, "std_national_part": 0, "std_local_lead": 0,
        "std_local_part": 0, "std_industry_lead": 0, "std_industry_part": 0, "std_group_lead": 0, "std_group_part": 0,
        "std_enterprise": 0, "industry_report": "优秀", "periodicals": 4, "trainings_50": 5, "problems_solved": 5,
        "service_revenue": "1000", "new_product_revenue": "5000",
        "key_tech_breakthrough": False, "academicians": 0, "national_talents": 0, "provincial_leading_talents": 0,
        "dept_tasks": 0, "national_award": False,
    }
    res = evaluate(rubric(CODE), inp)
    assert all(i.points == i.max for i in res.items if not i.bonus)
    assert res.base == 100 and res.bonus == 0 and res.total == 100


def test_source_flaws_are_warnings():
    codes = {(w.code, w.target) for w in rubric(CODE).warnings}
    assert codes == {
        ("layout_mismatch", "intellectual_property"),
        ("layout_mismatch", "standards"),
        ("bonus_uncapped", "bonus"),
        ("band_floor_nonzero", "service_revenue"),
    }
    by = {(w.code, w.target): w for w in rubric(CODE).warnings}
    assert "25" in by[("bonus_uncapped", "bonus")].zh and "25" in by[("bonus_uncapped", "bonus")].en
    assert "300" in by[("band_floor_nonzero", "service_revenue")].zh
    assert "服务业绩" in by[("layout_mismatch", "standards")].zh
