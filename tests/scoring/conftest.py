"""Fixtures of the Django-side scoring tests (the engine tests need none of them)."""

import io

import pytest


@pytest.fixture
def rubrics(world):
    """The five rubric files of fixtures/rubrics/ loaded as published versions (as `make fixtures`)."""
    from django.core.management import call_command

    call_command("load_rubrics", stdout=io.StringIO())


# A Gansu enterprise technology center (附件1) whose every item is computed by hand below.
# Rule wording quoted from the notice; "floor" = only full steps count (the rubric's note).
ETC_FIRM = {
    "rd_expenditure": "290",      # 万元
    "main_revenue": "10000",      # R&D share 290/10000 = 2.9 % → 达到2%得1分 + floor(0.9/0.5)=1 → 2
    "rd_staff": 20,               # per capita 290/20 = 14.5万元 → 每10万元得1分 → floor(1.45) = 1
    "total_staff": 400,           # 20/400 = 5 % → 达到1%得1分 + floor(4/1)=4 → 5 (= max 5)
    "senior_or_phd": 3,           # 每1人得1分 → 3
    "invention_patents_valid": 7,  # 每1项得1分, 5分满分 → 5
    "achievements_filed_3y": 4,   # 每1项得1分 → 4
    "equipment_value": "550",     # 300万元得1分, 每增加100万加1分 → 1 + floor(250/100)=2 → 3
    "provincial_platforms": 1,    # → 1
    "certified_labs": 0,          # → 0
    "applications_invention": 1,  # 2
    "applications_utility": 2,    # 2×1 = 2
    "applications_software": 0,   # 0
    "applications_design": 1,     # 0.5 → patents 2+2+0+0.5 = 4.5 (max 5)
    "new_product_projects": 3,    # → 3
    "std_intl_lead": 0, "std_intl_part": 0, "std_national_lead": 0,
    "std_national_part": 1,       # 2
    "std_industry_lead": 0, "std_industry_part": 0, "std_group_lead": 0,
    "std_group_part": 1,          # 0.5
    "std_enterprise": 2,          # 2×0.5 = 1 → standards 3.5
    "new_product_revenue": "1450",  # 14.5 % → 达到10%得1分 + floor(4.5/0.5)=9 → 10 (= max 10)
    "profit": "550",              # margin 5.5 % → 达到3%得1分 + floor(2.5/1)=2 → 3
    "awards_special": 0,
    "awards_first": 1,            # 3
    "awards_second": 3,           # 3×1 = 3 → 6, 累计不超过5分 → bonus 5
}
# base = 创新投入 (1+2) + (5+3) = 11; 创新条件 (5+4) + (3+1+0) = 13;
#        产出与效益 (4.5+3+3.5) + (10+3) = 24  → 11 + 13 + 24 = 48; bonus 5; total 53.
# Conditions: R&D 290 ≥ 200万元 and 2.9 % ≥ 2 % → eligible.
ETC_FIRM_POINTS = {
    "rd_per_capita": "1", "rd_ratio": "2", "rd_staff_ratio": "5", "senior_or_phd": "3",
    "invention_patents_valid": "5", "achievements_filed_3y": "4", "equipment_value": "3",
    "provincial_platforms": "1", "certified_labs": "0", "patent_applications": "4.5",
    "new_product_projects": "3", "standards": "3.5", "new_product_share": "10", "profit_margin": "3",
    "awards": "5",
}


@pytest.fixture
def etc_firm():
    return dict(ETC_FIRM)
