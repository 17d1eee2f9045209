"""POST /api/rubrics/{code}/evaluate answers exactly what the command prints; the rubric API."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.scoring.conftest import ETC_FIRM

pytestmark = pytest.mark.django_db

CODE = "gansu-2022-etc"


def command_output(tmp_path, inputs) -> str:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(inputs, ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("score_rubric", CODE, str(path), stdout=out)
    return out.getvalue().strip()


@pytest.mark.parametrize("inputs", [
    ETC_FIRM,
    dict(ETC_FIRM, rd_expenditure="150", profit=None),  # ineligible, one missing input
    {"rd_expenditure": 29, "main_revenue": 1000},        # mostly missing; 2.9 % exactly
])
def test_evaluate_returns_exactly_the_command_output(rubrics, tmp_path, inputs):
    expected = command_output(tmp_path, inputs)
    response = APIClient().post(f"/api/rubrics/{CODE}/evaluate", inputs, format="json")  # anonymous: public
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.content.decode().strip() == expected
    # and the router's spelling with a trailing slash answers the same
    again = APIClient().post(f"/api/rubrics/{CODE}/evaluate/", inputs, format="json")
    assert again.content.decode().strip() == expected


def test_evaluate_reads_numbers_as_exact_decimals(rubrics):
    # 1449999999.9999999 / 10000000000 = 14.499999999999999 %: just under 14.5 % → 1 + floor(4.4999…/0.5)
    # = 1 + 8 = 9 points. Read through a float, the revenue would become 1450000000.0 (14.5 % → 10).
    body = '{"new_product_revenue": 1449999999.9999999, "main_revenue": 10000000000}'
    response = APIClient().post(f"/api/rubrics/{CODE}/evaluate", body, content_type="application/json")
    items = {it["key"]: it["points"] for it in json.loads(response.content, parse_float=Decimal)["items"]}
    assert items["new_product_share"] == 9
    exact = APIClient().post(f"/api/rubrics/{CODE}/evaluate", {"new_product_revenue": 145, "main_revenue": 1000},
                             format="json")
    # exactly 14.5 %: 1 + 9 = 10
    assert {it["key"]: it["points"] for it in exact.json()["items"]}["new_product_share"] == 10


@pytest.mark.parametrize("body,key", [
    ({"rd_expenditure": "abc"}, "rd_expenditure"),
    ({"rd_staff": 1.5}, "rd_staff"),
    ({"rd_staff": {"nested": 1}}, "rd_staff"),
])
def test_evaluate_bad_input_is_400_with_a_message(rubrics, body, key):
    response = APIClient().post(f"/api/rubrics/{CODE}/evaluate", body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["detail"] and key in data["errors"]


def test_evaluate_non_object_and_unknown_code(rubrics):
    api = APIClient()
    assert api.post(f"/api/rubrics/{CODE}/evaluate", [1, 2], format="json").status_code == 400
    assert api.post(f"/api/rubrics/{CODE}/evaluate", "{oops", content_type="application/json").status_code == 400
    assert api.post("/api/rubrics/no-such-rubric/evaluate", {}, format="json").status_code == 404


def test_rubric_list_and_detail(rubrics):
    api = APIClient()
    listing = api.get("/api/rubrics/").json()
    codes = {r["code"] for r in listing["results"]}
    assert codes == {"gansu-2022-etc", "gansu-2022-itc", "gansu-2022-alliance", "gansu-2022-demo",
                     "ganzhou-2023-county"}
    detail = api.get(f"/api/rubrics/{CODE}/").json()
    assert detail["version"]["version"] == 1 and detail["version"]["status"] == "published"
    assert detail["version"]["province"] == "620000"
    assert [i["key"] for i in detail["schema"]][:2] == ["rd_expenditure", "main_revenue"]
    assert detail["definition"]["code"] == CODE
    itc = api.get("/api/rubrics/gansu-2022-itc/").json()
    assert any(w["code"] == "layout_mismatch" for w in itc["warnings"])


def test_evaluate_is_in_the_openapi_schema(world):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    op = schema["paths"]["/api/rubrics/{code}/evaluate"]["post"]
    assert "200" in op["responses"] and "400" in op["responses"]
    assert "/api/assessments/" in schema["paths"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_by_the_api_and_the_command(rubrics, tmp_path, constant):
    """One JSON reader (portal.json_input) for the API and the command: a figure is a number or missing."""
    body = '{"rd_expenditure": %s, "main_revenue": 1000}' % constant
    response = APIClient().post(f"/api/rubrics/{CODE}/evaluate", body, content_type="application/json")
    assert response.status_code == 400
    assert constant.lstrip("-") in json.dumps(response.json(), ensure_ascii=False)
    path = tmp_path / "in.json"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CommandError, match=constant):
        call_command("score_rubric", CODE, str(path), stdout=io.StringIO())
