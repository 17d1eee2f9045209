"""Technology innovation demonstration enterprise self-assessment (seed 001, printed 附件4).

The table gives weight, unit and a basic requirement per row and no formula; the rubric's chosen
rule (stated in its notes): full weight if the requirement is met, else 0; ≥ includes equality,
> is strict.
"""

from decimal import Decimal

import pytest

from scoring.engine import evaluate, what_if
from tests.scoring.support import item_points, rubric, zero_inputs

CODE = "gansu-2022-demo"
D = Decimal


def pts(item, **kw):
    return item_points(CODE, item, **kw)


# (item, overrides that sit exactly on the requirement, overrides just past it, weight, comparator)
ROWS = [
    # 研发经费支出额占产品销售收入的比重 ≥ 2 %: 20/1000 = 2 % meets it; 19.99/1000 does not
    ("rd_ratio", {"rd_expenditure": "20"}, {"rd_expenditure": "19.99"}, 15, ">="),
    # 比上次评价增长 ≥ 0 个百分点: 3 % now vs 3 % before = 0 meets it; 2.99 % vs 3 % does not
    ("rd_ratio_growth", {"rd_expenditure": "30", "rd_ratio_previous": "3"},
     {"rd_expenditure": "29.9", "rd_ratio_previous": "3"}, 3, ">="),
    # 研发人员年人均收入与企业年人均收入之比 > 1.2: 12/10 = 1.2 does NOT meet it; 12.01/10 does
    ("income_ratio", {"rd_staff_avg_income": "12.01"}, {"rd_staff_avg_income": "12"}, 3, ">"),
    # 培训费占技术中心人员总收入 > 2 %: 2/100 = 2 % no; 2.01/100 yes
    ("training_share", {"training_expense": "2.01"}, {"training_expense": "2"}, 3, ">"),
    # 外部专家 > 10 人月
    ("external_experts", {"external_expert_months": "10.5"}, {"external_expert_months": "10"}, 3, ">"),
    # 对外合作项目占比 > 10 %: 1/10 = 10 % no; 2/10 yes
    ("coop_share", {"coop_projects": 2}, {"coop_projects": 1}, 3, ">"),
    # 研发人员占职工人数 > 1 %: 10/1000 = 1 % no; 11/1000 yes
    ("rd_staff_share", {"rd_staff": 11}, {"rd_staff": 10}, 7, ">"),
    # 高级专家及博士 > 1 人: 1 no, 2 yes
    ("senior_experts_phd", {"senior_experts_phd": 2}, {"senior_experts_phd": 1}, 5, ">"),
    # 仪器设备原值 > 500 万元
    ("equipment_value", {"equipment_value": "500.01"}, {"equipment_value": "500"}, 5, ">"),
    # 认证实验室 ≥ 1 个
    ("certified_labs", {"certified_labs": 1}, {"certified_labs": 0}, 3, ">="),
    # 研发周期三年及以上项目占比 > 3 %: with 10 projects 1 is 10 % (yes), 0 is 0 %
    ("long_cycle_share", {"long_cycle_projects": 1}, {"long_cycle_projects": 0}, 4, ">"),
    # 有效发明专利 ≥ 3 项
    ("invention_patents_valid", {"invention_patents_valid": 3}, {"invention_patents_valid": 2}, 4, ">="),
    # 名牌/驰名商标 ≥ 1
    ("famous_brands", {"famous_brands": 1}, {"famous_brands": 0}, 2, ">="),
    # 新产品新技术新工艺项目 > 5 项
    ("new_product_projects", {"new_product_projects": 6}, {"new_product_projects": 5}, 4, ">"),
    # 专利申请 > 3 项
    ("patent_applications", {"patent_applications": 4}, {"patent_applications": 3}, 4, ">"),
    # 其中发明专利申请 ≥ 1 项
    ("invention_applications", {"invention_applications": 1}, {"invention_applications": 0}, 3, ">="),
    # 标准 ≥ 1 项
    ("standards", {"standards": 1}, {"standards": 0}, 4, ">="),
    # 新产品销售收入占比 > 20 %: 200/1000 = 20 % no; 200.01/1000 yes
    ("new_product_share", {"new_product_revenue": "200.01"}, {"new_product_revenue": "200"}, 11, ">"),
    # 新产品销售利润占比 > 15 %: 15/100 no; 15.01/100 yes
    ("new_product_profit_share", {"new_product_profit": "15.01"}, {"new_product_profit": "15"}, 11, ">"),
    # 出口创汇 > 0 万美元
    ("export_earnings", {"export_earnings": "0.01"}, {"export_earnings": "0"}, 3, ">"),
    # 其他: 国家奖项目 ≥ 1 (bonus, ≤3)
    ("national_awards", {"national_awards": 1}, {"national_awards": 0}, 3, ">="),
    # 其他: 现金净流量 − 可供分配利润 > 0 (bonus, ≤3): 100 − 99.99 > 0 yes; 100 − 100 = 0 no
    ("cash_surplus", {"net_cash_flow": "100", "distributable_profit": "99.99"},
     {"net_cash_flow": "100", "distributable_profit": "100"}, 3, ">"),
]


def test_every_row_is_covered():
    assert {r[0] for r in ROWS} == {it.key for it in rubric(CODE).all_items}


@pytest.mark.parametrize("item, met, unmet, weight, op", ROWS, ids=[r[0] for r in ROWS])
def test_requirement_rows(item, met, unmet, weight, op):
    assert rubric(CODE).item(item).max == weight
    assert pts(item, **met) == weight
    assert pts(item, **unmet) == 0


def test_exact_boundaries_of_ge_and_gt():
    # ≥ includes the boundary: exactly 2 % → 15
    assert pts("rd_ratio", rd_expenditure="20", product_sales_revenue="1000") == 15
    # > excludes it: exactly 20 % → 0
    assert pts("new_product_share", new_product_revenue="200", product_sales_revenue="1000") == 0
    # exactly 1.2 is not above 1.2, even built from awkward figures (36/30)
    assert pts("income_ratio", rd_staff_avg_income="36", staff_avg_income="30") == 0


def test_weights_add_up_to_100_and_other_rows_are_bonus():
    r = rubric(CODE)
    assert sum(it.max for it in r.items) == 100
    assert {g.key: g.max for g in r.all_groups} == {
        "innovation_investment": 18, "talent_incentives": 6, "cooperation": 6, "innovation_mechanism": 30,
        "team_building": 12, "conditions": 8, "accumulation": 10, "tech_and_talent": 30,
        "innovation_output": 15, "innovation_benefit": 25, "output_and_benefit": 40,
    }
    assert [it.key for it in r.bonus_items] == ["national_awards", "cash_surplus"]
    assert r.bonus_cap is None and r.bonus_cap_effective == 6


def test_whole_enterprise_by_hand():
    inp = {
        "rd_expenditure": "450", "product_sales_revenue": "15000", "rd_ratio_previous": "2.8",
        "rd_staff_avg_income": "15", "staff_avg_income": "10", "training_expense": "30", "center_staff_income": "1000",
        "external_expert_months": "24", "coop_projects": 3, "long_cycle_projects": 2, "total_projects": 20,
        "rd_staff": 80, "total_staff": 1200, "senior_experts_phd": 6, "equipment_value": "2300", "certified_labs": 0,
        "invention_patents_valid": 7, "famous_brands": 0, "new_product_projects": 5, "patent_applications": 9,
        "invention_applications": 2, "standards": 1, "new_product_revenue": "4500", "new_product_profit": "300",
        "product_sales_profit": "1500", "export_earnings": "0", "national_awards": 0,
        "net_cash_flow": "800", "distributable_profit": "600",
    }
    res = evaluate(rubric(CODE), inp)
    expected = {
        "rd_ratio": 15,  # 450/15000 = 3 % ≥ 2
        "rd_ratio_growth": 3,  # 3 − 2.8 = 0.2 ≥ 0
        "income_ratio": 3,  # 15/10 = 1.5 > 1.2
        "training_share": 3,  # 30/1000 = 3 % > 2
        "external_experts": 3,  # 24 > 10
        "coop_share": 3,  # 3/20 = 15 % > 10
        "rd_staff_share": 7,  # 80/1200 = 6.67 % > 1
        "senior_experts_phd": 5,  # 6 > 1
        "equipment_value": 5,  # 2300 > 500
        "certified_labs": 0,  # 0 < 1
        "long_cycle_share": 4,  # 2/20 = 10 % > 3
        "invention_patents_valid": 4,  # 7 ≥ 3
        "famous_brands": 0,
        "new_product_projects": 0,  # 5 is not > 5
        "patent_applications": 4,  # 9 > 3
        "invention_applications": 3,  # 2 ≥ 1
        "standards": 4,  # 1 ≥ 1
        "new_product_share": 11,  # 4500/15000 = 30 % > 20
        "new_product_profit_share": 11,  # 300/1500 = 20 % > 15
        "export_earnings": 0,  # 0 is not > 0
        "national_awards": 0,
        "cash_surplus": 3,  # 800 − 600 = 200 > 0
    }
    assert {i.key: i.points for i in res.items} == expected
    # base: 100 − certified_labs 3 − famous_brands 2 − new_product_projects 4 − export 3 = 88
    assert res.base == 88
    assert res.bonus == 3
    assert res.total == 91


def test_non_positive_denominator_scores_zero():
    inp = zero_inputs(CODE)
    inp.update(new_product_profit="50", product_sales_profit="-10")  # a loss: the share has no meaning
    res = evaluate(rubric(CODE), inp)
    item = res.item("new_product_profit_share")
    assert item.points == 0 and not item.missing and "无法计算" in item.explanation


def test_requirement_hint_for_a_strict_bound():
    inp = zero_inputs(CODE)
    inp.update(coop_projects=1)  # 1/10 = 10 %: requirement is > 10 %
    hints = [h for h in what_if(rubric(CODE), inp) if h["item"] == "coop_share"]
    assert len(hints) == 1
    h = hints[0]
    assert h["gain"] == 3
    assert "须超过10%" in h["text_zh"] and "现为10%" in h["text_zh"]
    # the numerator: 10 % of 10 projects is 1; strictly more needs 2, i.e. +1 cooperation project
    assert h["via"]["input"] == "coop_projects" and h["via"]["change"] == "+1"


def test_the_chosen_formula_is_stated():
    r = rubric(CODE)
    warn = [w for w in r.warnings if w.code == "requirement_no_formula"]
    assert len(warn) == 1 and warn[0].target == "*"
    assert "全部权重" in warn[0].zh and "full weight" in warn[0].en
    assert {(w.code, w.target) for w in r.warnings} == {
        ("requirement_no_formula", "*"), ("bonus_uncapped", "bonus"),
        ("item_max_mismatch", "national_awards"), ("item_max_mismatch", "cash_surplus"),
    }
    assert any(n.key == "requirement_formula" for n in r.notes)
