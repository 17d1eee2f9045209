"""Ganzhou 2023 county evaluation (seed 002, 附件3 and 附表3-1)."""

from decimal import Decimal

import pytest

from scoring.engine import class_of, evaluate, evaluate_all, rank_within_classes, resolve_entity, what_if
from tests.scoring.support import rubric

CODE = "ganzhou-2023-county"
D = Decimal

CLASS1 = ["赣州经开区", "赣州蓉江新区", "章贡区", "赣县区", "南康区", "龙南市"]
CLASS2 = ["信丰县", "宁都县", "于都县", "兴国县", "会昌县", "瑞金市"]
CLASS3 = ["大余县", "上犹县", "崇义县", "安远县", "定南县", "全南县", "寻乌县", "石城县"]

INDICATORS = [
    "score_innovation_capacity", "score_rd_to_gdp", "score_hightech_value_added", "score_tech_contracts_to_gdp",
    "score_hightech_firms", "score_firms_with_rd", "score_basic_research", "score_rd_staff",
    "score_new_product_revenue", "score_foreign_talent",
]


def county(ind="5", mgmt="8", policy="12", key_projects="9", demo="4", **extra):
    """Inputs of one county: every indicator at ``ind`` (of 6) and the four reviewer scores."""
    d = {k: ind for k in INDICATORS}
    d.update(score_management_capacity=mgmt, score_policy_delivery=policy, score_key_projects=key_projects,
             score_demo_projects=demo)
    d.update(extra)
    return d


@pytest.mark.parametrize("name", CLASS1)
def test_class_1(name):
    assert class_of(rubric(CODE), name) == "class1"


@pytest.mark.parametrize("name", CLASS2)
def test_class_2(name):
    assert class_of(rubric(CODE), name) == "class2"


@pytest.mark.parametrize("name", CLASS3)
def test_class_3(name):
    assert class_of(rubric(CODE), name) == "class3"


def test_twenty_units_in_three_classes_and_aliases():
    r = rubric(CODE)
    assert [len(c.members) for c in r.classes] == [6, 6, 8]
    assert sorted(m.name for c in r.classes for m in c.members) == sorted(CLASS1 + CLASS2 + CLASS3)
    # 赣县区（赣州高新区）: the high-tech zone is rated with 赣县区
    assert resolve_entity(r, "赣州高新区").key == resolve_entity(r, "赣县区（赣州高新区）").key == "ganxian"
    assert class_of(r, "蓉江新区") == "class1"
    assert class_of(r, "360702") == "class1"  # 章贡区 by its division code
    assert class_of(r, "360781") == "class2"  # 瑞金市
    assert class_of(r, "赣州市") is None
    with pytest.raises(KeyError):
        resolve_entity(r, "南昌县")


def test_weights_60_25_15_and_bonus_cap_15():
    r = rubric(CODE)
    assert {g.key: g.max for g in r.groups} == {"indicators": 60, "policy": 25, "overall": 15}
    assert [it.max for it in r.items] == [6] * 10 + [10, 15, 10, 5]
    assert r.bonus_cap == 15


def test_scoring_by_hand():
    res = evaluate(rubric(CODE), county())
    # indicators 10 × 5 = 50; policy 8 + 12 = 20; overall 9 + 4 = 13 → 83
    assert res.group("indicators").points == 50
    assert res.group("policy").points == 20
    assert res.group("overall").points == 13
    assert res.base == 83 and res.bonus == 0 and res.total == 83
    assert res.eligible and res.missing == []


def test_direct_scores_are_clamped_to_the_item_max():
    res = evaluate(rubric(CODE), county(ind="7", mgmt="12", policy="15", key_projects="10", demo="5"))
    # each indicator 7 → 6; management 12 → 10
    assert all(i.points == 6 for i in res.items[:10])
    assert res.item("management_capacity").points == 10
    assert res.base == 100


@pytest.mark.parametrize(
    "extra, bonus",
    [
        ({"unicorns": 1}, 5),  # 独角兽 5
        ({"potential_unicorns": 1, "seed_unicorns": 1, "gazelles": 1}, 7),  # 4 + 2 + 1
        ({"platforms_national": 1, "platforms_provincial": 1}, 7),  # 5 + 2
        ({"national_award_second": 1, "provincial_award_special": 1}, 9),  # 5 + 4
        ({"provincial_award_first": 1, "provincial_award_second": 1}, 3),  # 2 + 1
        ({"talents_national": 1, "talents_provincial": 2}, 9),  # 5 + 2×2
        ({"city_key_projects": 3, "listings": 1}, D("2")),  # 3×0.5 + 0.5
        ({"conferences_national": 1, "speeches_city": 1, "media_provincial": 1}, 11),  # 8 + 1 + 2
        ({"national_award_first": 1, "conferences_provincial": 1}, 15),  # 10 + 5 = 15, at the cap
        ({"national_award_first": 1, "unicorns": 1, "gazelles": 3}, 15),  # 10 + 5 + 3 = 18 → 15
        ({"unicorns": 4}, 15),  # 20 → 15
    ],
)
def test_bonus_and_its_cap(extra, bonus):
    res = evaluate(rubric(CODE), county(**extra))
    assert res.bonus == bonus
    assert res.total == 83 + bonus


def test_integrity_problem_makes_ineligible():
    res = evaluate(rubric(CODE), county(major_integrity_issue=True))
    assert res.eligible is False and "科研诚信" in res.reasons[0]
    assert res.total == 83  # the score itself stands


def test_ranking_within_classes_with_ties():
    results = {
        "赣州经开区": evaluate(rubric(CODE), county(ind="6")),  # 60 + 33 = 93
        "章贡区": evaluate(rubric(CODE), county(ind="5", unicorns=1)),  # 50 + 33 + 5 = 88
        "赣县区": evaluate(rubric(CODE), county(ind="5", gazelles=5)),  # 88 (tie)
        "南康区": evaluate(rubric(CODE), county(ind="4")),  # 40 + 33 = 73
        "龙南市": evaluate(rubric(CODE), county(ind="3")),  # 30 + 33 = 63
        "信丰县": evaluate(rubric(CODE), county(ind="2")),  # 20 + 33 = 53
        "瑞金市": evaluate(rubric(CODE), county(ind="4")),  # 73
        "大余县": evaluate(rubric(CODE), county(ind="6")),  # 93
    }
    ranks = rank_within_classes(rubric(CODE), results)
    c1 = [(r.entity, r.total, r.rank, r.praised, r.interviewed) for r in ranks["class1"]]
    # ties share a rank (1, 2, 2, 4, 5) and are listed by name (章 U+7AE0 before 赣 U+8D63)
    assert c1 == [
        ("赣州经开区", 93, 1, True, False),
        ("章贡区", 88, 2, True, False),
        ("赣县区", 88, 2, True, False),
        ("南康区", 73, 4, False, False),
        ("龙南市", 63, 5, False, True),
    ]
    c2 = [(r.entity, r.rank, r.praised, r.interviewed) for r in ranks["class2"]]
    assert c2 == [("瑞金市", 1, True, False), ("信丰县", 2, True, True)]  # two units: 2nd is also last
    c3 = [(r.entity, r.rank, r.praised, r.interviewed) for r in ranks["class3"]]
    assert c3 == [("大余县", 1, True, False)]  # alone: first, not last


def test_ineligible_unit_keeps_rank_but_is_not_praised_and_nobody_moves_up():
    results = {
        "信丰县": evaluate(rubric(CODE), county(ind="6", major_integrity_issue=True)),  # 93
        "宁都县": evaluate(rubric(CODE), county(ind="5")),  # 83
        "于都县": evaluate(rubric(CODE), county(ind="4")),  # 73
        "兴国县": evaluate(rubric(CODE), county(ind="3")),  # 63
    }
    c2 = rank_within_classes(rubric(CODE), results)["class2"]
    assert [(r.entity, r.rank, r.praised) for r in c2] == [
        ("信丰县", 1, False), ("宁都县", 2, True), ("于都县", 3, True), ("兴国县", 4, False),
    ]
    assert [r.interviewed for r in c2] == [False, False, False, True]


def test_rongjiang_takes_the_class_1_average_where_its_figures_are_missing():
    rj = county()
    for k in ("score_rd_to_gdp", "score_basic_research"):
        del rj[k]  # these two cannot be counted separately for 蓉江新区
    inputs = {
        "赣州经开区": county(ind="6"),
        "章贡区": county(ind="5"),
        "赣县区": county(ind="4"),
        "南康区": county(ind="3"),
        "龙南市": county(ind="2.5"),
        "蓉江新区": rj,
        "信丰县": county(ind="1"),  # another class: not in the average
    }
    alone = evaluate(rubric(CODE), rj)
    assert alone.missing == ["score_rd_to_gdp", "score_basic_research"]
    assert alone.total == 73  # 8 × 5 + 33, the two missing scored 0

    results = evaluate_all(rubric(CODE), inputs)
    res = results["蓉江新区"]
    # average over the other five class-1 units: (6 + 5 + 4 + 3 + 2.5) / 5 = 20.5 / 5 = 4.1
    for key in ("rd_to_gdp", "basic_research"):
        item = res.item(key)
        assert item.points == D("4.1")
        assert item.substituted and not item.missing
        assert "一类县平均" in item.explanation
    assert res.item("innovation_capacity").points == 5  # given figures are used as they are
    assert not res.item("innovation_capacity").substituted
    assert res.missing == []
    assert res.base == D("81.2")  # 8 × 5 + 2 × 4.1 + 33
    assert res.total == D("81.2")
    # the others are untouched
    assert results["赣州经开区"].total == 93 and results["信丰县"].total == 43
    # and the ranking uses the substituted total: 93, 83, 81.2, 73, 63, 58
    c1 = rank_within_classes(rubric(CODE), results)["class1"]
    assert [r.name for r in c1] == ["赣州经开区", "章贡区", "赣州蓉江新区", "赣县区", "南康区", "龙南市"]
    assert [r.rank for r in c1] == [1, 2, 3, 4, 5, 6]


def test_rongjiang_average_is_rounded_to_cents_and_skips_peers_without_the_figure():
    def without_rd(d):
        del d["score_rd_to_gdp"]
        return d

    inputs = {
        "章贡区": county(ind="5"),
        "赣县区": county(ind="4"),
        "南康区": county(ind="4"),
        "龙南市": without_rd(county(ind="6")),  # has no figure either: left out of the average
        "蓉江新区": without_rd(county(ind="5")),
    }
    results = evaluate_all(rubric(CODE), inputs)
    # (5 + 4 + 4) / 3 = 4.333… → 4.33
    assert results["蓉江新区"].item("rd_to_gdp").points == D("4.33")
    # the rule applies to 蓉江新区 only: 龙南市 keeps its gap
    assert results["龙南市"].item("rd_to_gdp").points == 0
    assert results["龙南市"].missing == ["score_rd_to_gdp"]


def test_rongjiang_rule_does_not_fill_reviewer_scores():
    rj = county()
    del rj["score_policy_delivery"]  # a policy score is not a 科技创新指标
    results = evaluate_all(rubric(CODE), {"章贡区": county(), "蓉江新区": rj})
    res = results["蓉江新区"]
    assert res.item("policy_delivery").points == 0
    assert res.missing == ["score_policy_delivery"]


def test_bonus_hint_respects_the_cap():
    inp = county(national_award_first=1, conferences_provincial=1)  # bonus already 15
    hints = {(h["item"], h["input"]): h for h in what_if(rubric(CODE), inp)}
    h = hints[("high_growth_firms", "unicorns")]
    assert h["gain"] == 5 and h["total_gain"] == 0  # the item would rise, the total cannot
    assert not any(h["item"] == "innovation_capacity" for h in hints.values())  # direct scores: no hint
