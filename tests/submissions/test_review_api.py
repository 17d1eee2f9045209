"""The review side through the REST API: same services, same rules, in the OpenAPI schema."""

import datetime as dt
import io

import pytest
from django.utils import timezone

from programs.models import StageExtension
from submissions.constants import Level, Status
from submissions.models import ConflictDeclaration, QuotaException, ResultPublication
from tests.submissions.test_review_support import at_city, enterprise, review_call, submitted

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_queue_list_filters_and_counts(world, api_for):
    call = review_call(world, code="api-q")
    a, b = submitted(world.ent_zg, call), submitted(world.ent_zg2, call)
    api = api_for(world.county_reviewer)
    rows = api.get("/api/review/applications/").json()["results"]
    assert {r["id"] for r in rows} == {a.pk, b.pk}
    assert rows[0]["credit_code"] and rows[0]["call"] == "api-q" and rows[0]["level"] == "county"
    assert [r["id"] for r in api.get("/api/review/applications/", {"q": "章贡乙"}).json()["results"]] == [b.pk]
    counts = api.get("/api/review/applications/counts/").json()
    assert counts == {"counts": {"submitted": 2}, "total": 2}
    assert api.get("/api/review/applications/", {"stage": "city"}).json()["results"] == []


def test_the_chain_through_the_api(world, api_for):
    call = review_call(world, code="api-chain", limit=1)
    a, b = submitted(world.ent_zg, call), submitted(world.ent_zg2, call)
    county = api_for(world.county_reviewer)
    r = county.post(f"/api/review/applications/{a.pk}/return/",
                    {"reasons": [{"target": "field:summary", "label": "申报平台概况", "text": "缺盖章页"}],
                     "revision_deadline": (timezone.now() + dt.timedelta(days=3)).isoformat()}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "returned"
    assert r.json()["return_reasons"][0]["text"] == "缺盖章页"
    r = county.post(f"/api/review/applications/{b.pk}/recommend/", {"opinion": "同意", "score": "81.5"}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "recommended" and body["reviews"][0]["score"] == "81.50"
    assert body["quota"]["used"] == 1 and body["quota"]["remaining"] == 0
    c = submitted(world.ent_kfq, call)  # another county: its own quota
    third = submitted(enterprise(world.zhanggong), call)
    r = county.post(f"/api/review/applications/{third.pk}/recommend/", {"opinion": "同意"}, format="json", **EN)
    assert r.status_code == 400 and "Quota reached" in r.json()[0] and "章贡区" in r.json()[0]
    assert c.status == Status.SUBMITTED
    r = api_for(world.county_reviewer).post("/api/review/applications/sign-off/", {"call": "api-chain"},
                                            format="json")
    assert r.status_code == 403  # a reviewer is not the head
    r = api_for(world.county_head).post("/api/review/applications/sign-off/", {"call": "api-chain"}, format="json")
    assert r.status_code == 200 and r.json() == {"done": [b.pk]}
    b.refresh_from_db()
    assert b.level == Level.CITY
    r = api_for(world.city_reviewer).post(f"/api/review/applications/{b.pk}/recommend/", {"opinion": "市推荐",
                                                                                         "score": "80"}, format="json")
    assert r.status_code == 200
    api_for(world.city_head).post("/api/review/applications/sign-off/", {"call": "api-chain"}, format="json")
    r = api_for(world.province_officer).post(f"/api/review/applications/{b.pk}/decide/", {"decision": "approve"},
                                             format="json")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert api_for(world.applicant_filer).get(f"/api/review/applications/{b.pk}/timeline/").status_code == 404
    timeline = api_for(world.other_applicant).get(f"/api/review/applications/{b.pk}/timeline/").json()
    assert [e["action"] for e in timeline][-1] == "application.sign_off"  # the decision waits for the list
    assert [e["score"] for e in timeline if e["action"] == "application.recommend"] == ["81.50", "80.00"]
    r = api_for(world.province_officer).post("/api/review/results/", {"call": "api-chain", "note": "公示"},
                                             format="json")
    assert r.status_code == 201 and r.json()["results"][0]["status"] == "approved"
    timeline = api_for(world.other_applicant).get(f"/api/review/applications/{b.pk}/timeline/").json()
    assert [e["action"] for e in timeline][-1] == "application.approve"
    assert ResultPublication.objects.count() == 1
    listing = api_for(world.applicant_admin).get("/api/review/results/").json()["results"]
    assert listing[0]["call"] == "api-chain"


def test_bulk_export_through_the_api(world, api_for):
    from openpyxl import load_workbook

    call = review_call(world, code="api-export")
    a = submitted(world.ent_zg, call)
    r = api_for(world.county_reviewer).post("/api/review/applications/export/", {"ids": [a.pk]}, format="json")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[1][1] == "章贡甲企业"


def test_quotas_exceptions_extensions_and_conflicts(world, api_for):
    call = review_call(world, code="api-q2", limit=2)
    at_city(world, world.ent_zg, call)
    rows = api_for(world.city_reviewer).get("/api/review/quotas/", {"call": "api-q2"}).json()
    mine = {(r["region"], r["level"]): r for r in rows}
    assert mine[("360702", "county")]["used"] == 1 and mine[("360702", "county")]["remaining"] == 1
    assert ("360102", "county") not in mine  # 东湖区 lies in 南昌, not in 赣州
    officer = api_for(world.province_officer)
    r = officer.post("/api/review/quota-exceptions/", {"call": "api-q2", "region": "360703", "extra": 1,
                                                        "reason": "试点县"}, format="json")
    assert r.status_code == 201 and QuotaException.objects.get().granted_by == world.province_officer
    r = api_for(world.county_head).post("/api/review/quota-exceptions/", {"call": "api-q2", "region": "360702",
                                                                         "extra": 5, "reason": "x"}, format="json")
    assert r.status_code == 403
    stage = call.stages.get(level="county")
    r = officer.post("/api/review/extensions/", {"stage": stage.pk, "region": "360700", "reason": "顺延",
                                                  "new_deadline": (timezone.now() + dt.timedelta(days=90)).isoformat()},
                     format="json")
    assert r.status_code == 201 and StageExtension.objects.get().region == world.ganzhou
    r = api_for(world.other_province_officer).post(
        "/api/review/extensions/", {"stage": stage.pk, "reason": "x",
                                    "new_deadline": (timezone.now() + dt.timedelta(days=99)).isoformat()},
        format="json")
    assert r.status_code in {403, 404} and StageExtension.objects.count() == 1
    assert api_for(world.lanzhou_reviewer).get("/api/review/extensions/").json()["results"] == []
    r = api_for(world.county_reviewer).post("/api/review/conflicts/", {"organization": world.ent_zg2.pk,
                                                                        "relation": "曾任顾问"}, format="json")
    assert r.status_code == 201 and ConflictDeclaration.objects.get().user == world.county_reviewer
    r = api_for(world.county_reviewer).post("/api/review/conflicts/", {"organization": world.ent_nk.pk,
                                                                        "relation": "x"}, format="json")
    assert r.status_code in {403, 404}
    assert api_for(world.neighbour_reviewer).get("/api/review/conflicts/").json()["results"] == []
    assert len(api_for(world.county_head).get("/api/review/conflicts/").json()["results"]) == 1  # a colleague's


def test_the_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in ["/api/review/applications/", "/api/review/applications/{id}/",
                 "/api/review/applications/{id}/recommend/", "/api/review/applications/{id}/return/",
                 "/api/review/applications/{id}/correct/", "/api/review/applications/{id}/site-visits/",
                 "/api/review/applications/{id}/decide/", "/api/review/applications/{id}/timeline/",
                 "/api/review/applications/bulk-recommend/", "/api/review/applications/bulk-return/",
                 "/api/review/applications/sign-off/", "/api/review/applications/export/",
                 "/api/review/quotas/", "/api/review/quota-exceptions/", "/api/review/extensions/",
                 "/api/review/conflicts/", "/api/review/results/"]:
        assert path in paths, path
    assert "RecommendInput" in schema["components"]["schemas"]
