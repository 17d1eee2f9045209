"""Targeted revisions: a return names any mix of form sections, single fields and material slots,
each with its reason; the applicant may change exactly those; the resubmission is compared with the
version returned (every changed field before / after, every replaced material); both receipts stay."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal.models import AuditEntry
from submissions.constants import Status
from submissions.filing import services
from submissions.forms import form_spec
from submissions.returns import resubmission_changes, return_targets
from submissions.review import services as review
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    DEADLINE,
    actor,
    attach,
    make_call,
    media,
    pdf_bytes,
    ready,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def call(world):
    return make_call(world.jx)


def _submitted(world, call):
    app = ready(world.applicant_admin, call)
    services.application_submit(actor=actor(world.applicant_admin), application=app)
    app.refresh_from_db()
    return app


def _return(world, app, reasons):
    review.application_return(actor=actor(world.county_reviewer), application=app, reasons=reasons,
                              revision_deadline=timezone.now() + dt.timedelta(days=5))
    app.refresh_from_db()
    return app


def _save(world, app, data=None, inputs=None):
    app.refresh_from_db()
    return services.application_save_draft(actor=actor(world.applicant_admin), application=app,
                                           base_version=app.version, data=data or {}, score_inputs=inputs or {})


def test_a_return_can_name_sections_single_fields_and_materials(world, call):
    targets = {t.value: t for t in return_targets(form_spec(call))}
    assert targets["general"].group == "general"
    assert {"field:profile", "field:figures", "field:declarations", "field:inputs"} <= {
        v for v, t in targets.items() if t.group == "section"}
    assert {"field:summary", "field:profile.contact_phone", "input:rd_expenditure"} <= {
        v for v, t in targets.items() if t.group == "field"}
    assert {"material:application-material", "material:evidence"} == {
        v for v, t in targets.items() if t.group == "material"}
    assert str(targets["field:summary"].label) == "单项：申报平台概况"
    assert str(targets["field:profile"].label) == "栏目：单位信息"
    assert str(targets["material:evidence"].label) == "材料：证明材料（扫描件）"
    labels = " ".join(str(t.label) for t in targets.values())
    assert "field:" not in labels and "profile." not in labels and "rd_expenditure" not in labels  # no keys


def test_the_applicant_changes_exactly_the_items_named(world, call, media):
    app = _submitted(world, call)
    app = _return(world, app, [
        {"target": "field:summary", "text": "请展开申报平台概况"},
        {"target": "material:application-material", "text": "申报材料缺盖章页"},
        {"target": "field:declarations", "text": "请重新确认声明"},
        {"target": "input:rd_expenditure", "text": "与审计报告不符"},
    ])
    assert app.status == Status.RETURNED
    # labels come from the form, whatever the caller sent
    assert [r["label"] for r in app.return_reasons] == [
        "单项：申报平台概况", "材料：申报材料", "栏目：声明事项", "单项：研发经费支出"]
    assert _save(world, app, data={"summary": "展开后的申报平台概况"}).saved
    assert _save(world, app, data={"figures": {"2030": {"rd_expenditure": "450"}}}).saved
    refused = _save(world, app, data={"profile": {"contact_phone": "0797-7777777"}})
    assert not refused.saved and refused.locked == ["profile.contact_phone"]
    with pytest.raises(PermissionDenied):
        attach(world.applicant_admin, app, code="evidence", name="证明.pdf")
    attach(world.applicant_admin, app, content=pdf_bytes(pages=2), name="申报材料（盖章）.pdf")
    receipt = services.application_resubmit(actor=actor(world.applicant_admin), application=app)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and app.current_receipt() == receipt


def test_a_section_unlocks_all_its_fields(world, call, media):
    app = _return(world, _submitted(world, call), [{"target": "field:profile", "text": "联系人信息有误"}])
    assert _save(world, app, data={"profile": {"contact_phone": "0797-7654321", "contact_name": "李四"}}).saved
    assert not _save(world, app, data={"summary": "改概况"}).saved


def test_an_item_the_form_does_not_have_is_refused_and_nothing_changes(world, call, media):
    app = _submitted(world, call)
    with pytest.raises(ValidationError) as refused:
        _return(world, app, [{"target": "field:nonexistent", "text": "x"}])
    assert "nonexistent" in " ".join(refused.value.messages)
    app.refresh_from_db()
    assert app.status in (Status.SUBMITTED, Status.UNDER_REVIEW) and not app.return_reasons
    assert not AuditEntry.objects.filter(action="application.return").exists()


def test_the_reviewer_sees_every_change_and_both_versions(world, call, media):
    app = _submitted(world, call)
    first = app.current_receipt()
    before_summary = app.data["summary"]
    app = _return(world, app, [{"target": "field:summary", "text": "请展开"},
                               {"target": "material:application-material", "text": "缺盖章页"}])
    assert resubmission_changes(app) is None  # submitted once so far
    _save(world, app, data={"summary": "展开后的申报平台概况"})
    attach(world.applicant_admin, app, content=pdf_bytes(pages=3), name="申报材料（盖章）.pdf")
    second = services.application_resubmit(actor=actor(world.applicant_admin), application=app)
    app.refresh_from_db()
    changes = resubmission_changes(app)
    assert (changes.previous, changes.current) == (first, second)
    assert [(c.label, c.before, c.after) for c in changes.fields] == [
        ("申报平台概况", before_summary, "展开后的申报平台概况")]
    assert [(c.label, c.before, c.after) for c in changes.materials] == [
        ("申报材料", "申报材料.pdf", "申报材料（盖章）.pdf")]
    assert changes.versions == [first, second] and first.number != second.number
    # the review page shows the diff and the new receipt number; the timeline keeps both submissions
    page = _client(world).get(f"/review/applications/{app.pk}/").content.decode()
    assert 'id="resubmission-changes"' in page and "展开后的申报平台概况" in page and before_summary in page
    assert "申报材料（盖章）.pdf" in page and first.number in page and second.number in page
    actions = list(AuditEntry.objects.filter(object_id=str(app.pk), action__in=["application.submit",
                                                                                 "application.resubmit"])
                   .order_by("at").values_list("action", "data__receipt"))
    assert actions == [("application.submit", first.number), ("application.resubmit", second.number)]


def _client(world):
    from django.test import Client

    client = Client()
    client.force_login(world.county_reviewer)
    return client


def test_the_same_through_the_api(world, call, media, api_for):
    app = _submitted(world, call)
    api = api_for(world.county_reviewer)
    file = api.get(f"/api/review/applications/{app.pk}/", **EN).json()
    targets = {t["value"]: t for t in file["return_targets"]}
    assert targets["field:summary"]["group"] == "field" and "Summary of the platform" in targets["field:summary"]["label"]
    assert file["changes"] is None
    url = f"/api/review/applications/{app.pk}/return/"
    later = (timezone.now() + dt.timedelta(days=5)).isoformat()
    r = api.post(url, {"reasons": [{"target": "field:bogus", "text": "x"}], "revision_deadline": later}, format="json",
                 **EN)
    assert r.status_code == 400 and "field:bogus" in r.json()[0]
    r = api.post(url, {"reasons": [{"target": "field:summary", "text": "请展开申报平台概况"},
                                   {"target": "material:application-material", "text": "缺盖章页"}],
                       "revision_deadline": later}, format="json", **EN)
    assert r.status_code == 200 and r.json()["status"] == "returned"
    mine = api_for(world.applicant_admin)
    body = mine.get(f"/api/applications/{app.pk}/").json()
    assert body["revision"] == {"everything": False, "fields": ["summary"], "materials": ["application-material"]}
    assert [r["label"] for r in body["return_reasons"]] == ["单项：申报平台概况", "材料：申报材料"]
    r = mine.patch(f"/api/applications/{app.pk}/", {"version": body["version"],
                                                   "data": {"profile": {"contact_phone": "0797-9999999"}}},
                   format="json")
    assert r.status_code == 409 and r.json()["locked"] == ["profile.contact_phone"]
    _save(world, app, data={"summary": "新的概况"})
    attach(world.applicant_admin, app, content=pdf_bytes(pages=2), name="新申报材料.pdf")
    second = services.application_resubmit(actor=actor(world.applicant_admin), application=app)
    body = api.get(f"/api/review/applications/{app.pk}/", **EN).json()
    assert body["number"] == second.number
    assert body["changes"]["current"] == second.number and len(body["changes"]["versions"]) == 2
    assert body["changes"]["fields"][0]["after"] == "新的概况"
    assert body["changes"]["materials"][0]["after"] == "新申报材料.pdf"
    schema = api.get("/api/schema/").content.decode()
    assert "return_targets" in schema and "ReturnTarget" in schema and "Changes" in schema


def test_a_stranger_learns_nothing_and_cannot_return(world, call, media, api_for):
    app = _submitted(world, call)
    api = api_for(world.neighbour_reviewer)
    assert api.get(f"/api/review/applications/{app.pk}/").status_code == 404
    r = api.post(f"/api/review/applications/{app.pk}/return/",
                 {"reasons": [{"target": "field:summary", "text": "x"}],
                  "revision_deadline": (timezone.now() + dt.timedelta(days=5)).isoformat()}, format="json")
    assert r.status_code == 404
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and app.submitted_at < DEADLINE
