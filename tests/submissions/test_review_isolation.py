"""Isolation of the review file: a neighbouring county, another city, another province, another
applicant and the applicant itself are refused reviews, scores, site visits, photos, materials and
audit rows that are not theirs, through the pages and the API, with nothing changed. Positive
controls prove the same requests work for the rightful bureau."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portal.access import actor_for
from portal.models import AuditEntry
from programs.models import RequiredMaterial
from submissions.models import Attachment
from submissions.review import services as review
from tests.submissions.test_review_support import PNG_1PX, review_call, snapshot, submitted

pytestmark = pytest.mark.django_db
REFUSED = {403, 404}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

INTRUDERS = ["neighbour_reviewer", "other_city_reviewer", "lanzhou_reviewer", "other_province_officer",
             "other_applicant", "applicant_admin", "applicant_filer", "expert", "foreign_expert"]
WRONG_LEVEL = ["city_reviewer", "city_head", "province_officer"]  # may read, may not act at the county


@pytest.fixture
def case(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    call = review_call(world, code="iso")
    material = RequiredMaterial.objects.create(call=call, code="form", name="申报书")
    app = submitted(world.ent_zg, call, score_inputs={"rd_expenditure": "100"})
    att = Attachment(application=app, material=material, original_name="a.pdf", content_type="application/pdf",
                     size=9, sha256="0" * 64)
    att.file.save("x", ContentFile(b"%PDF-1.4\n"), save=False)
    att.save()
    reviewer = actor_for(world.county_reviewer)
    review.input_correct(actor=reviewer, application=app, input_key="rd_expenditure", new_value="80", reason="核减")
    review.review_opinion_save(actor=reviewer, application=app, opinion="内部意见")
    visit = review.site_visit_record(actor=reviewer, application=app, visit_date=timezone.localdate(), people="张三",
                                     findings="现场发现", photos=[SimpleUploadedFile("p.png", PNG_1PX)])
    return {"app": app, "att": att, "photo": visit.photos.get(), "call": call}


def post_actions(app):
    later = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    return [
        (reverse("review-start", args=[app.pk]), {}),
        (reverse("review-correct", args=[app.pk]), {"input_key": "rd_expenditure", "new_value": "1", "reason": "x"}),
        (reverse("review-levels", args=[app.pk]), {"level_x": "y"}),
        (reverse("review-site-visit", args=[app.pk]), {"visit_date": timezone.localdate().isoformat(),
                                                       "people": "x", "findings": "x"}),
        (reverse("review-opinion", args=[app.pk]), {"opinion": "篡改"}),
        (reverse("review-return", args=[app.pk]), {"reason_target": "general", "reason_text": "x",
                                                   "revision_deadline": later}),
        (reverse("review-reject", args=[app.pk]), {"reason": "x"}),
        (reverse("review-recommend", args=[app.pk]), {"opinion": "x", "score": "99"}),
        (reverse("review-decide", args=[app.pk]), {"decision": "approve"}),
    ]


API_ACTIONS = [
    ("start", {}), ("correct", {"input_key": "rd_expenditure", "new_value": "1", "reason": "x"}),
    ("score-levels", {"levels": {"x": "y"}}), ("opinion", {"opinion": "篡改"}),
    ("return", {"reasons": [{"text": "x"}], "revision_deadline": "2099-01-01T00:00:00+08:00"}),
    ("reject", {"reason": "x"}), ("recommend", {"opinion": "x"}), ("decide", {"decision": "approve"}),
]


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_review_file_refused_on_pages(world, client_for, case, intruder):
    app = case["app"]
    before = snapshot(app)
    client = client_for(getattr(world, intruder))
    assert client.get(reverse("review-detail", args=[app.pk])).status_code in REFUSED
    assert client.get(reverse("review-attachment", args=[app.pk, case["att"].pk])).status_code in REFUSED
    assert client.get(reverse("review-photo", args=[case["photo"].pk])).status_code in REFUSED
    for url, data in post_actions(app):
        assert client.post(url, data).status_code in REFUSED, url
    response = client.post(reverse("review-bulk"), {"action": "export", "selected": [app.pk]})
    assert response.status_code in REFUSED or b"PK" != response.content[:2] or "章贡甲企业" not in _xlsx_names(response)
    client.post(reverse("review-bulk"), {"action": "recommend", "selected": [app.pk], "opinion": "x"})
    client.post(reverse("review-bulk"), {"action": "return", "selected": [app.pk], "reason": "x",
                                         "revision_deadline": "2099-01-01"})
    queue = client.get(reverse("review-queue"), **EN)
    assert queue.status_code in REFUSED or "章贡甲企业" not in queue.content.decode()
    assert snapshot(app) == before


def _xlsx_names(response):
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return {r[1] for r in rows[2:]}


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_review_file_refused_on_the_api(world, api_for, case, intruder):
    app = case["app"]
    before = snapshot(app)
    api = api_for(getattr(world, intruder))
    base = f"/api/review/applications/{app.pk}/"
    assert api.get(base).status_code in REFUSED
    listing = api.get("/api/review/applications/?stage=all").json()
    assert all(row["id"] != app.pk for row in listing.get("results", []))
    for name, data in API_ACTIONS:
        assert api.post(f"{base}{name}/", data, format="json").status_code in REFUSED, name
    assert api.post(f"{base}site-visits/", {"visit_date": "2020-01-01", "people": "x", "findings": "x"},
                    format="multipart").status_code in REFUSED
    assert api.post("/api/review/applications/bulk-recommend/", {"ids": [app.pk], "opinion": "x"},
                    format="json").status_code in REFUSED
    assert api.post("/api/review/applications/export/", {"ids": [app.pk]}, format="json").status_code in REFUSED
    assert snapshot(app) == before


@pytest.mark.parametrize("user", WRONG_LEVEL)
def test_bureaus_above_may_read_but_not_act_at_the_county(world, client_for, api_for, case, user):
    app = case["app"]
    before = snapshot(app)
    client = client_for(getattr(world, user))
    assert client.get(reverse("review-detail", args=[app.pk])).status_code == 200
    for url, data in post_actions(app):
        assert client.post(url, data).status_code in REFUSED, url
    for name, data in API_ACTIONS:
        assert api_for(getattr(world, user)).post(
            f"/api/review/applications/{app.pk}/{name}/", data, format="json").status_code in REFUSED, name
    assert snapshot(app) == before


def test_positive_control_the_county_reviewer(world, client_for, api_for, case):
    app = case["app"]
    client = client_for(world.county_reviewer)
    assert client.get(reverse("review-detail", args=[app.pk])).status_code == 200
    assert client.get(reverse("review-photo", args=[case["photo"].pk])).status_code == 200
    assert client.get(reverse("review-attachment", args=[app.pk, case["att"].pk])).status_code == 200
    data = api_for(world.county_reviewer).get(f"/api/review/applications/{app.pk}/").json()
    assert data["reviews"][0]["opinion"] == "内部意见" and data["site_visits"][0]["findings"] == "现场发现"
    assert data["corrections"][0]["new_value"] == "80"


@pytest.mark.parametrize("intruder", ["neighbour_reviewer", "other_city_reviewer", "lanzhou_reviewer",
                                      "other_province_officer", "other_applicant", "expert", "foreign_expert"])
def test_timeline_and_audit_rows_refused(world, client_for, api_for, case, intruder):
    app = case["app"]
    client = client_for(getattr(world, intruder))
    assert client.get(reverse("review-timeline", args=[app.pk])).status_code in REFUSED
    api = api_for(getattr(world, intruder))
    assert api.get(f"/api/review/applications/{app.pk}/timeline/").status_code in REFUSED
    assert AuditEntry.objects.filter(object_type="submissions.application", object_id=str(app.pk)).count() > 3
    seen = {(row["object_type"], row["object_id"]) for row in api.get("/api/audit/").json()["results"]}
    assert ("submissions.application", str(app.pk)) not in seen


def test_the_applicant_sees_its_timeline_but_not_the_review_entries(world, api_for, case):
    app = case["app"]
    api = api_for(world.applicant_admin)
    actions = [row["action"] for row in api.get(f"/api/review/applications/{app.pk}/timeline/").json()]
    assert "application.submit" in actions and "application.start_review" in actions
    assert not any(a.startswith("review.") for a in actions)
    audit = [row["action"] for row in api.get("/api/audit/").json()["results"]]
    assert not any(a.startswith("review.") for a in audit)  # corrections, opinions, site visits


@pytest.mark.parametrize("user", ["county_reviewer", "county_head", "province_head", "operator", "applicant_admin"])
def test_nobody_edits_or_deletes_audit_rows_through_the_api(world, api_for, case, user):
    entry = AuditEntry.objects.filter(object_id=str(case["app"].pk)).first()
    before = (entry.action, entry.comment, AuditEntry.objects.count())
    api = api_for(getattr(world, user))
    url = f"/api/audit/{entry.pk}/"
    assert api.put(url, {"comment": "x"}, format="json").status_code in {403, 404, 405}
    assert api.patch(url, {"comment": "x"}, format="json").status_code in {403, 404, 405}
    assert api.delete(url).status_code in {403, 404, 405}
    assert api.post("/api/audit/", {"action": "forged"}, format="json").status_code in {403, 404, 405}
    entry.refresh_from_db()
    assert (entry.action, entry.comment, AuditEntry.objects.count()) == before


def test_nobody_edits_audit_rows_through_the_pages(world, client_for, case):
    """The review pages offer no way to change an audit row; the admin site is read-only for them."""
    entry = AuditEntry.objects.filter(object_id=str(case["app"].pk)).first()
    before = (entry.action, entry.comment)
    client = client_for(world.operator)
    client.post(reverse("admin:portal_auditentry_change", args=[entry.pk]), {"comment": "x"})
    client.post(reverse("admin:portal_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    entry.refresh_from_db()
    assert (entry.action, entry.comment) == before
