"""Gansu enterprise technology center self-assessment (seed 001, 附件1): every item by hand.

Each expectation is computed from the notice's wording, written next to it; inputs start from
support.ETC_ZERO (every item 0) and change only what the item reads.
"""

from decimal import Decimal

import pytest

from scoring.engine import evaluate
from tests.scoring.support import ETC_ZERO, item_points, rubric

CODE = "gansu-2022-etc"
D = Decimal


def pts(item, **kw):
    return item_points(CODE, item, **kw)


def test_input_keys_are_exactly_the_canonical_ones():
    # DOMAIN.md §5, in its order
    canonical = (
        "rd_expenditure main_revenue rd_staff total_staff senior_or_phd invention_patents_valid "
        "achievements_filed_3y equipment_value provincial_platforms certified_labs applications_invention "
        "applications_utility applications_software applications_design new_product_projects std_intl_lead "
        "std_intl_part std_national_lead std_national_part std_industry_lead std_industry_part std_group_lead "
        "std_group_part std_enterprise new_product_revenue profit awards_special awards_first awards_second"
    ).split()
    assert list(rubric(CODE).inputs) == canonical


def test_group_maxima_follow_the_table():
    r = rubric(CODE)
    maxima = {g.key: g.max for g in r.all_groups}
    # 创新经费 15 (5+10), 创新人才 10 (5+5), 技术积累 15 (5+10), 创新平台 15 (5+5+5),
    # 创新产出 25 (5+10+10), 创新效益 20 (10+10) = 100
    assert maxima == {
        "innovation_funding": 15, "innovation_talent": 10, "innovation_input": 25,
        "tech_accumulation": 15, "innovation_platforms": 15, "innovation_conditions": 30,
        "innovation_output": 25, "innovation_benefit": 20, "output_and_benefit": 45,
    }
    assert r.base_max == 100
    assert r.bonus_cap == 5
    assert {it.key: it.max for it in r.items} == {
        "rd_per_capita": 5, "rd_ratio": 10, "rd_staff_ratio": 5, "senior_or_phd": 5,
        "invention_patents_valid": 5, "achievements_filed_3y": 10, "equipment_value": 5,
        "provincial_platforms": 5, "certified_labs": 5, "patent_applications": 5,
        "new_product_projects": 10, "standards": 10, "new_product_share": 10, "profit_margin": 10,
    }
    assert r.warnings == ()  # 附件1 adds up; nothing to acknowledge


def test_zero_baseline_scores_zero_everywhere():
    res = evaluate(rubric(CODE), ETC_ZERO)
    assert [i.key for i in res.items if i.points] == []
    assert res.base == 0 and res.bonus == 0 and res.total == 0


# 研发人员人均研发经费支出: 低于10万元不得分，每10万元得1分，5分满分. per-capita = rd_expenditure / rd_staff
@pytest.mark.parametrize(
    "rd, staff, expected",
    [
        ("99.9", 10, 0),  # 9.99 < 10 → 0
        ("100", 10, 1),  # 10 → 1
        ("199", 10, 1),  # 19.9 → ⌊19.9/10⌋ = 1
        ("200", 10, 2),  # 20 → 2
        ("490", 10, 4),  # 49 → 4
        ("500", 10, 5),  # 50 → 5
        ("1000", 10, 5),  # 100 → 10, capped at 5
        ("100", 3, 3),  # 33.33… → 3
        ("30", 3, 1),  # exactly 10 → 1 (not 9.999… → 0)
    ],
)
def test_rd_per_capita(rd, staff, expected):
    assert pts("rd_per_capita", rd_expenditure=rd, rd_staff=staff) == expected


# 研发经费支出占主营业务收入的比重: 低于2%不得分，达到2%得1分，每增加0.5%加1分，10分满分.
@pytest.mark.parametrize(
    "rd, expected",
    [
        ("19.99", 0),  # 1.999 % < 2 %
        ("20", 1),  # 2.0 % → 1
        ("24.9", 1),  # 2.49 % → 1 (a part of 0.5 does not count)
        ("25", 2),  # 2.5 % → 1 + 1
        ("29", 2),  # 2.9 % → 1 + ⌊0.9/0.5⌋ = 2
        ("30", 3),  # 3.0 % → 1 + 2 = 3
        ("64.9", 9),  # 6.49 % → 1 + ⌊4.49/0.5⌋ = 1 + 8 = 9
        ("65", 10),  # 6.5 % → 1 + 9 = 10
        ("100", 10),  # 10 % → 1 + 16 = 17, capped at 10
    ],
)
def test_rd_ratio(rd, expected):
    assert pts("rd_ratio", rd_expenditure=rd, main_revenue="1000") == expected


def test_rd_ratio_explanation_shows_inputs_and_computation():
    res = evaluate(rubric(CODE), {**ETC_ZERO, "rd_expenditure": "30", "main_revenue": "1000"})
    text = res.item("rd_ratio").explanation
    # 3.0 %: 达到2%得1分，每增加0.5%加1分 → 1 + 2×1 = 3
    assert "3%" in text and "研发经费支出 30万元" in text and "主营业务收入 1000万元" in text
    assert "达到2%得1分，每增加0.5%加1分" in text and text.endswith("1+2×1 = 3分")


# 研发人员占企业职工总数的比重: 低于1%不得分，达到1%得1分，每增加1%加1分，5分满分.
@pytest.mark.parametrize(
    "staff, expected",
    [
        (9, 0),  # 0.9 %
        (10, 1),  # 1 %
        (19, 1),  # 1.9 %
        (20, 2),  # 2 %
        (49, 4),  # 4.9 % → 1 + 3
        (50, 5),  # 5 % → 1 + 4
        (51, 5),  # 5.1 %
        (100, 5),  # 10 % → 1 + 9 = 10, capped at 5
    ],
)
def test_rd_staff_ratio(staff, expected):
    assert pts("rd_staff_ratio", rd_staff=staff, total_staff=1000) == expected


# 每1人/项/个得1分，N分满分
@pytest.mark.parametrize(
    "item, key, cap",
    [
        ("senior_or_phd", "senior_or_phd", 5),
        ("invention_patents_valid", "invention_patents_valid", 5),
        ("achievements_filed_3y", "achievements_filed_3y", 10),
        ("provincial_platforms", "provincial_platforms", 5),
        ("certified_labs", "certified_labs", 5),
        ("new_product_projects", "new_product_projects", 10),
    ],
)
def test_one_point_each_items(item, key, cap):
    assert pts(item, **{key: 0}) == 0
    assert pts(item, **{key: 1}) == 1
    assert pts(item, **{key: cap - 1}) == cap - 1
    assert pts(item, **{key: cap}) == cap
    assert pts(item, **{key: cap + 1}) == cap  # capped
    assert pts(item, **{key: 3 * cap}) == cap


# 企业技术开发仪器设备原值: 低于300万元不得分，300万元得1分，每增加100万加1分，5分满分.
@pytest.mark.parametrize(
    "value, expected",
    [
        ("299.99", 0),
        ("300", 1),
        ("399.99", 1),
        ("400", 2),  # 1 + 1
        ("699.99", 4),  # 1 + 3
        ("700", 5),  # 1 + 4
        ("800", 5),  # 1 + 5 = 6, capped at 5
    ],
)
def test_equipment_value(value, expected):
    assert pts("equipment_value", equipment_value=value) == expected


# 专利申请: 发明2, 实用新型1, 软件著作权2, 外观0.5, 满分5.
@pytest.mark.parametrize(
    "counts, expected",
    [
        ({"applications_invention": 1}, D("2")),
        ({"applications_utility": 1}, D("1")),
        ({"applications_software": 1}, D("2")),
        ({"applications_design": 1}, D("0.5")),
        ({"applications_design": 3}, D("1.5")),  # 3 × 0.5
        ({"applications_invention": 1, "applications_software": 1, "applications_design": 1}, D("4.5")),  # 2+2+0.5
        ({"applications_invention": 2, "applications_utility": 1}, D("5")),  # 4+1 = 5, at the cap
        ({"applications_invention": 3}, D("5")),  # 6 → 5
        ({"applications_design": 11}, D("5")),  # 5.5 → 5
    ],
)
def test_patent_applications(counts, expected):
    assert pts("patent_applications", **counts) == expected


# 标准: 国际 10/5, 国家 5/2, 行业 3/1, 团体 1/0.5, 企业 0.5, 10分满分.
@pytest.mark.parametrize(
    "counts, expected",
    [
        ({"std_intl_lead": 1}, D("10")),
        ({"std_intl_part": 1}, D("5")),
        ({"std_national_lead": 1}, D("5")),
        ({"std_national_part": 1}, D("2")),
        ({"std_industry_lead": 1}, D("3")),
        ({"std_industry_part": 1}, D("1")),
        ({"std_group_lead": 1}, D("1")),
        ({"std_group_part": 1}, D("0.5")),
        ({"std_enterprise": 1}, D("0.5")),
        ({"std_national_lead": 1, "std_national_part": 2, "std_enterprise": 1}, D("9.5")),  # 5+4+0.5
        ({"std_intl_part": 2}, D("10")),  # 10, at the cap
        ({"std_intl_lead": 1, "std_group_part": 1}, D("10")),  # 10.5 → 10
        ({"std_enterprise": 21}, D("10")),  # 10.5 → 10
    ],
)
def test_standards(counts, expected):
    assert pts("standards", **counts) == expected


# 新产品销售收入占主营业务收入的比重: 低于10%不得分，达到10%得1分，每增加0.5%加1分，10分满分.
@pytest.mark.parametrize(
    "npr, expected",
    [
        ("99.9", 0),  # 9.99 %
        ("100", 1),  # 10 %
        ("104.9", 1),  # 10.49 %
        ("105", 2),  # 10.5 %
        ("144.9", 9),  # 14.49 % → 1 + ⌊4.49/0.5⌋ = 1 + 8
        ("145", 10),  # 14.5 % → 1 + 9 = 10 (as a float 145/1000*100 = 14.4999… would give 9)
        ("200", 10),  # 20 % → 21, capped
    ],
)
def test_new_product_share(npr, expected):
    assert pts("new_product_share", new_product_revenue=npr, main_revenue="1000") == expected


def test_new_product_share_is_not_fooled_by_float_noise():
    # the trap this test guards against: binary floating point loses the 10th point
    assert 145 / 1000 * 100 < 14.5
    assert pts("new_product_share", new_product_revenue=145, main_revenue=1000) == 10
    assert pts("new_product_share", new_product_revenue="1450", main_revenue="10000") == 10
    assert pts("new_product_share", new_product_revenue=435, main_revenue=3000) == 10  # 14.5 % too
    # a float input is taken through its shortest repr, so 145.0 is 145
    assert pts("new_product_share", new_product_revenue=145.0, main_revenue=1000.0) == 10


def test_rd_ratio_built_from_integers_is_exact():
    # 29/1000 = 2.9 % → 2 points, 30/1000 = 3.0 % → 3 points (decimal, not 2.9000000000000004)
    res29 = evaluate(rubric(CODE), {**ETC_ZERO, "rd_expenditure": 29, "main_revenue": 1000})
    res30 = evaluate(rubric(CODE), {**ETC_ZERO, "rd_expenditure": 30, "main_revenue": 1000})
    assert res29.item("rd_ratio").inputs_used["rd_ratio"] == D("2.9")
    assert res29.item("rd_ratio").points == 2
    assert res30.item("rd_ratio").points == 3


# 利润率: 低于3%不得分，达到3%得1分，每增加1%加1分，10分满分. 利润率 = profit / main_revenue
@pytest.mark.parametrize(
    "profit, expected",
    [
        ("-50", 0),  # a loss
        ("29.99", 0),  # 2.999 %
        ("30", 1),  # 3 %
        ("39.9", 1),  # 3.99 %
        ("40", 2),  # 4 %
        ("119.9", 9),  # 11.99 % → 1 + 8
        ("120", 10),  # 12 % → 1 + 9
        ("500", 10),  # 50 % → 48, capped
    ],
)
def test_profit_margin(profit, expected):
    assert pts("profit_margin", profit=profit, main_revenue="1000") == expected


# 加分: 特等奖5, 一等奖3, 二等奖1, 累计不超过5分.
@pytest.mark.parametrize(
    "counts, bonus",
    [
        ({"awards_special": 1}, 5),
        ({"awards_first": 1}, 3),
        ({"awards_second": 1}, 1),
        ({"awards_first": 1, "awards_second": 1}, 4),  # 3+1
        ({"awards_first": 1, "awards_second": 2}, 5),  # 3+2 = 5, at the cap
        ({"awards_first": 2}, 5),  # 6 → 5
        ({"awards_second": 7}, 5),  # 7 → 5
        ({"awards_special": 2, "awards_first": 1}, 5),  # 13 → 5
    ],
)
def test_awards_bonus(counts, bonus):
    res = evaluate(rubric(CODE), {**ETC_ZERO, **counts})
    assert res.item("awards").points == bonus
    assert res.bonus == bonus
    assert res.base == 0
    assert res.total == bonus


def test_whole_enterprise_by_hand():
    inputs = {
        "rd_expenditure": "300", "main_revenue": "10000", "rd_staff": 12, "total_staff": 200,
        "senior_or_phd": 3, "invention_patents_valid": 2, "achievements_filed_3y": 4, "equipment_value": "450",
        "provincial_platforms": 1, "certified_labs": 0, "applications_invention": 1, "applications_utility": 2,
        "applications_software": 0, "applications_design": 1, "new_product_projects": 3, "std_intl_lead": 0,
        "std_intl_part": 0, "std_national_lead": 0, "std_national_part": 1, "std_industry_lead": 0,
        "std_industry_part": 1, "std_group_lead": 1, "std_group_part": 0, "std_enterprise": 2,
        "new_product_revenue": "1450", "profit": "800", "awards_special": 0, "awards_first": 1, "awards_second": 1,
    }
    res = evaluate(rubric(CODE), inputs)
    expected = {
        "rd_per_capita": D("2"),  # 300/12 = 25 万元 → ⌊25/10⌋ = 2
        "rd_ratio": D("3"),  # 300/10000 = 3 % → 1 + ⌊1/0.5⌋ = 3
        "rd_staff_ratio": D("5"),  # 12/200 = 6 % → 1 + 5 = 6 → cap 5
        "senior_or_phd": D("3"),
        "invention_patents_valid": D("2"),
        "achievements_filed_3y": D("4"),
        "equipment_value": D("2"),  # 450: 300 → 1, +100 → 2 (the last 50 does not count)
        "provincial_platforms": D("1"),
        "certified_labs": D("0"),
        "patent_applications": D("4.5"),  # 1×2 + 2×1 + 1×0.5
        "new_product_projects": D("3"),
        "standards": D("5"),  # national part 2 + industry part 1 + group lead 1 + enterprise 2×0.5
        "new_product_share": D("10"),  # 1450/10000 = 14.5 % → 1 + 9
        "profit_margin": D("6"),  # 800/10000 = 8 % → 1 + 5
        "awards": D("4"),  # first 3 + second 1
    }
    assert {i.key: i.points for i in res.items} == expected
    # groups: 创新经费 2+3=5, 创新人才 5+3=8 → 创新投入 13; 技术积累 2+4=6, 创新平台 2+1+0=3 → 创新条件 9;
    # 创新产出 4.5+3+5=12.5, 创新效益 10+6=16 → 产出与效益 28.5; base 13+9+28.5 = 50.5
    assert {g.key: g.points for g in res.groups} == {
        "innovation_funding": 5, "innovation_talent": 8, "innovation_input": 13,
        "tech_accumulation": 6, "innovation_platforms": 3, "innovation_conditions": 9,
        "innovation_output": D("12.5"), "innovation_benefit": 16, "output_and_benefit": D("28.5"),
    }
    assert res.base == D("50.5")
    assert res.bonus == 4
    assert res.total == D("54.5")
    assert res.eligible is True and res.reasons == [] and res.missing == []


# 申报条件: 年度研发经费支出额不低于200万元, 研发经费支出占主营业务收入的比重不低于2%
@pytest.mark.parametrize(
    "rd, revenue, eligible, n_reasons",
    [
        ("200", "10000", True, 0),  # 200 ≥ 200 and 2 % ≥ 2 %: both at the boundary
        ("199.99", "9000", False, 1),  # below 200万 (ratio 2.22 % is fine)
        ("200", "10000.01", False, 1),  # ratio 1.9999… % < 2 %
        ("199.99", "10000", False, 2),  # both fail (ratio 1.9999 %)
        ("5000", "250000", True, 0),  # exactly 2 % again, with bigger figures
    ],
)
def test_eligibility_boundaries(rd, revenue, eligible, n_reasons):
    res = evaluate(rubric(CODE), {**ETC_ZERO, "rd_expenditure": rd, "main_revenue": revenue})
    assert res.eligible is eligible
    assert len(res.reasons) == n_reasons


def test_ineligible_reasons_name_the_condition_and_value():
    res = evaluate(rubric(CODE), {**ETC_ZERO, "rd_expenditure": "150", "main_revenue": "10000"})
    assert res.eligible is False
    assert any("200万元" in r and "150万元" in r for r in res.reasons)
    assert any("2%" in r and "1.5%" in r for r in res.reasons)  # 150/10000 = 1.5 %
    assert len(res.reasons_en) == 2
    # the score is still computed (ratio 1.5 % → 0, per capita 150 → 5)
    assert res.item("rd_per_capita").points == 5


def test_zero_revenue_cannot_be_divided():
    res = evaluate(rubric(CODE), {**ETC_ZERO, "rd_expenditure": "300", "main_revenue": "0"})
    for key in ("rd_ratio", "new_product_share", "profit_margin"):
        item = res.item(key)
        assert item.points == 0 and not item.missing
        assert "无法计算" in item.explanation
    assert res.eligible is False


def test_missing_inputs_are_listed_and_flagged():
    inputs = dict(ETC_ZERO)
    del inputs["main_revenue"]
    inputs["profit"] = None  # None is missing too
    inputs["awards_first"] = "  "  # blank is missing too
    res = evaluate(rubric(CODE), inputs)
    assert res.missing == ["main_revenue", "profit", "awards_first"]  # declaration order
    for key in ("rd_ratio", "new_product_share", "profit_margin", "awards"):
        item = res.item(key)
        assert item.points == 0
        assert item.missing
        assert "缺少数据" in item.explanation
    assert res.item("profit_margin").missing == ("profit", "main_revenue")
    assert not res.item("rd_per_capita").missing
    # eligibility cannot be checked without revenue
    assert res.eligible is False
    assert any("主营业务收入" in r for r in res.reasons)
