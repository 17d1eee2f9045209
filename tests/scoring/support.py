"""Helpers shared by the scoring tests (plain Python, no Django)."""

from decimal import Decimal

from scoring.engine import evaluate
from scoring.rubric_loader import RUBRIC_DIR, load_rubric_file, read_rubric_file

D = Decimal

RUBRIC_CODES = ("gansu-2022-etc", "gansu-2022-itc", "gansu-2022-alliance", "gansu-2022-demo", "ganzhou-2023-county")

_CACHE: dict = {}


def rubric(code: str):
    """The compiled rubric fixtures/rubrics/<code>.yaml (compiled once per test session)."""
    if code not in _CACHE:
        _CACHE[code] = load_rubric_file(RUBRIC_DIR / f"{code}.yaml")
    return _CACHE[code]


def raw(code: str) -> dict:
    """A fresh dict of the rubric file (safe to mutate)."""
    return read_rubric_file(RUBRIC_DIR / f"{code}.yaml")


# A Gansu ETC applicant on which every item scores 0 and which is eligible (R&D 200万 = 2% of
# 10000万 revenue is eligible but 200/10000 = 2% gives 1 point on rd_ratio, so the zero baseline
# uses rd_expenditure=0 and the eligibility tests set their own figures).
ETC_ZERO = {
    "rd_expenditure": "0",
    "main_revenue": "1000",
    "rd_staff": 1,
    "total_staff": 1000,  # 0.1 % < 1 %
    "senior_or_phd": 0,
    "invention_patents_valid": 0,
    "achievements_filed_3y": 0,
    "equipment_value": "0",
    "provincial_platforms": 0,
    "certified_labs": 0,
    "applications_invention": 0,
    "applications_utility": 0,
    "applications_software": 0,
    "applications_design": 0,
    "new_product_projects": 0,
    "std_intl_lead": 0,
    "std_intl_part": 0,
    "std_national_lead": 0,
    "std_national_part": 0,
    "std_industry_lead": 0,
    "std_industry_part": 0,
    "std_group_lead": 0,
    "std_group_part": 0,
    "std_enterprise": 0,
    "new_product_revenue": "0",
    "profit": "0",
    "awards_special": 0,
    "awards_first": 0,
    "awards_second": 0,
}


def zero_inputs(code: str) -> dict:
    """Inputs on which every item of the rubric scores 0 (numbers 0, lowest levels, no)."""
    if code == "gansu-2022-etc":
        return dict(ETC_ZERO)
    r = rubric(code)
    out: dict = {}
    for key, spec in r.inputs.items():
        if spec.type == "level":
            out[key] = spec.levels[-1].key  # levels are declared best first
        elif spec.type == "boolean":
            out[key] = False
        else:
            out[key] = "0"
    if code == "gansu-2022-demo":
        # denominators must be positive; requirements must all fail
        out.update(product_sales_revenue="1000", staff_avg_income="10", center_staff_income="100", total_projects=10,
                   total_staff=1000, product_sales_profit="100", rd_ratio_previous="5")
    if code == "gansu-2022-itc":
        out["service_revenue"] = "0"  # still scores 1: the printed flaw (see test_itc)
    return out


def points(code: str, inputs: dict) -> dict:
    """item key -> points."""
    return {it.key: it.points for it in evaluate(rubric(code), inputs).items}


def item_points(code: str, item: str, **overrides) -> Decimal:
    """Points of one item when ``overrides`` are applied to the zero inputs of the rubric."""
    inp = zero_inputs(code)
    inp.update(overrides)
    return evaluate(rubric(code), inp).item(item).points
