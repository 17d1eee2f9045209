"""The applicant's REST API: create, update (with version), upload, check, submit, withdraw, list;
the same rules as the pages, in the OpenAPI schema, and isolation between applicants."""

import hashlib

import pytest

from portal.constants import Role
from submissions.constants import Status
from submissions.filing import services
from submissions.models import Application, Attachment, DraftConflict, Receipt
from tests.factories import MembershipFactory, UserFactory
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    DEADLINE,
    RUBRIC_EXTRA,
    actor,
    complete_data,
    make_call,
    media,
    pdf_bytes,
    ready,
    start,
    stored_files,
    uploaded,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(world):
    return make_call(world.jx)


def test_the_whole_application_through_the_api(world, call, media, api_for, time_machine):
    time_machine.move_to(DEADLINE, tick=False)
    api = api_for(world.applicant_admin)
    refused = api.post("/api/applications/", {"call": call.code}, format="json")
    assert refused.status_code == 400 and "accept_commitment" in refused.json()
    created = api.post("/api/applications/", {"call": call.code, "accept_commitment": True}, format="json")
    assert created.status_code == 201, created.content
    app_id, version = created.json()["id"], created.json()["version"]
    assert created.json()["status"] == "draft"

    saved = api.patch(f"/api/applications/{app_id}/", {"version": version, "data": complete_data(),
                                                       "score_inputs": RUBRIC_EXTRA}, format="json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == version + 1 and saved.json()["self_score"] is not None
    stale = api.patch(f"/api/applications/{app_id}/", {"version": version, "data": {"summary": "旧版本上的修改"}},
                      format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == version + 1 and stale.json()["current"]["data"]["summary"]
    assert DraftConflict.objects.get(pk=stale.json()["conflict"]).data["summary"] == "旧版本上的修改"

    check = api.get(f"/api/applications/{app_id}/check/").json()
    assert [p["target"] for p in check["problems"]] == ["m-application-material"]
    bad = api.post(f"/api/applications/{app_id}/upload/", {"material": "application-material",
                                                          "file": uploaded(b"MZ" + b"\0" * 100, "a.pdf")},
                   format="multipart")
    assert bad.status_code == 400 and bad.json()["reason"] == "program"
    named = api.post(f"/api/applications/{app_id}/upload/", {"material": "application-material", "filename": "../a.pdf",
                                                            "file": uploaded(pdf_bytes(), "a.pdf")}, format="multipart")
    assert named.status_code == 400 and named.json()["reason"] == "name"
    assert stored_files(media) == []
    good = api.post(f"/api/applications/{app_id}/upload/", {"material": "application-material",
                                                           "file": uploaded(pdf_bytes(), "申报材料.pdf")},
                    format="multipart")
    assert good.status_code == 201 and good.json()["sha256"] == hashlib.sha256(pdf_bytes()).hexdigest()
    download = api.get(good.json()["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf_bytes()

    score = api.post(f"/api/applications/{app_id}/score/",
                     {"data": {"figures": {"2030": {"rd_expenditure": "900"}}}}, format="json")
    assert score.status_code == 200 and float(score.json()["total"]) > float(saved.json()["self_score"])

    submitted = api.post(f"/api/applications/{app_id}/submit/")
    assert submitted.status_code == 201, submitted.content
    receipt = Receipt.objects.get()
    assert submitted.json()["number"] == receipt.number and submitted.json()["fingerprint"] == receipt.fingerprint
    listing = api.get("/api/applications/").json()
    assert [(r["id"], r["status"], r["number"]) for r in listing["results"]] == [(app_id, "submitted", receipt.number)]
    again = api.patch(f"/api/applications/{app_id}/", {"version": version + 1, "data": {"summary": "提交后"}},
                      format="json")
    assert again.status_code == 409  # read-only: refused and kept aside
    withdrawn = api.post(f"/api/applications/{app_id}/withdraw/", {"reason": "调整"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_a_refused_submission_lists_every_problem(world, call, api_for):
    app = start(world.applicant_admin, call)
    response = api_for(world.applicant_admin).post(f"/api/applications/{app.pk}/submit/",
                                                   HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    codes = {p["code"] for p in response.json()["problems"]}
    assert {"missing", "material"} <= codes
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_a_draft_resubmitted_is_refused_with_the_documented_body(world, call, api_for):
    app = start(world.applicant_admin, call)
    response = api_for(world.applicant_admin).post(f"/api/applications/{app.pk}/resubmit/")
    assert response.status_code == 400
    body = response.json()
    assert isinstance(body, dict) and body["problems"] == [] and "草稿" in body["detail"], body
    app.refresh_from_db()
    assert app.status == Status.DRAFT and not app.receipts.exists()


@pytest.mark.parametrize("intruder", ["other_applicant", "county_reviewer", "other_province_officer"])
def test_another_organization_cannot_reach_an_application_through_the_api(world, call, media, api_for, intruder):
    app = ready(world.applicant_admin, call)
    att = app.attachments.get()
    api = api_for(getattr(world, intruder))
    before = (app.data, app.version, app.status)
    assert api.get(f"/api/applications/{app.pk}/").status_code == 404
    assert api.patch(f"/api/applications/{app.pk}/", {"version": app.version, "data": {"summary": "x"}},
                     format="json").status_code in (403, 404)
    assert api.post(f"/api/applications/{app.pk}/upload/", {"material": "application-material",
                                                           "file": uploaded(pdf_bytes(), "a.pdf")},
                    format="multipart").status_code in (403, 404)
    assert api.post(f"/api/applications/{app.pk}/submit/").status_code in (403, 404)
    assert api.get(f"/api/applications/{app.pk}/attachments/{att.pk}/").status_code == 404
    assert app.pk not in {r["id"] for r in api.get("/api/applications/").json()["results"]}
    app.refresh_from_db()
    assert (app.data, app.version, app.status) == before
    assert Attachment.objects.count() == 1 and not Receipt.objects.exists()


def test_the_county_bureau_reads_submitted_applications_through_the_api_but_not_drafts(world, call, media, api_for):
    app = ready(world.applicant_admin, call)
    county = api_for(world.county_reviewer)
    assert county.get(f"/api/applications/{app.pk}/").status_code == 404
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    assert county.get(f"/api/applications/{app.pk}/").status_code == 200
    assert county.post(f"/api/applications/{app.pk}/withdraw/").status_code == 403
    assert api_for(world.neighbour_reviewer).get(f"/api/applications/{app.pk}/").status_code == 404


def test_a_member_unit_reads_but_cannot_change_or_submit_through_the_api(world, media, api_for):
    alliance = make_call(world.jx, code="jx-2031-alliance", multi=True, rubric_code="", program_code="alliance-a")
    app = ready(world.applicant_admin, alliance)
    nk_admin = UserFactory()
    MembershipFactory(user=nk_admin, organization=world.ent_nk, role=Role.APPLICANT_ADMIN)
    lead = api_for(world.applicant_admin)
    added = lead.post(f"/api/applications/{app.pk}/members/", {"name": world.ent_nk.name,
                                                             "credit_code": world.ent_nk.credit_code}, format="json")
    assert added.status_code == 201 and added.json()["registered"] is True
    member = api_for(nk_admin)
    assert member.get(f"/api/applications/{app.pk}/").status_code == 200
    assert member.patch(f"/api/applications/{app.pk}/", {"version": 99, "data": {"summary": "x"}},
                        format="json").status_code == 403
    assert member.post(f"/api/applications/{app.pk}/submit/").status_code == 403
    app.refresh_from_db()
    assert app.status == Status.DRAFT
    assert Application.objects.count() == 1


def test_the_endpoints_are_in_the_openapi_schema(world, api_for):
    schema = api_for(world.applicant_admin).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in ("/api/applications/", "/api/applications/{id}/", "/api/applications/{id}/upload/",
                 "/api/applications/{id}/submit/", "/api/applications/{id}/withdraw/",
                 "/api/applications/{id}/check/", "/api/applications/{id}/resubmit/"):
        assert path in paths, path
    assert "post" in paths["/api/applications/"] and "patch" in paths["/api/applications/{id}/"]
    assert "multipart/form-data" in paths["/api/applications/{id}/upload/"]["post"]["requestBody"]["content"]
