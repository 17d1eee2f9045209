"""The review pages: queue (filters, sorting, search, counts, pagination, constant query count),
review file (materials inline, self-score beside the bureau's), actions, bulk actions and export,
sign-off, quotas, deadlines, conflicts, results, the timeline and the home page."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.access import actor_for
from programs.models import RequiredMaterial
from submissions.constants import Level, Status
from submissions.models import Attachment, QuotaException, Review
from submissions.review import services as review
from tests.submissions.test_review_support import (
    PNG_1PX,
    at_city,
    enterprise,
    review_call,
    submitted,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def many(world, call, n, region=None):
    return [submitted(enterprise(region or world.zhanggong), call, self_score=Decimal(40 + i)) for i in range(n)]


def queue_queries(client, url="/review/"):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **EN)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_the_queue_costs_the_same_queries_for_5_and_50_rows(world, client_for):
    # the county stage has closed: every row is overdue, so the overdue filter is exercised as well
    call = review_call(world, code="p-count", limit=100, county_deadline=timezone.now() - dt.timedelta(hours=1))
    many(world, call, 5)
    client = client_for(world.county_reviewer)
    few, response = queue_queries(client, "/review/?overdue=1&sort=-score")
    assert response.content.decode().count('data-app="') == 5
    many(world, call, 45)
    lots, response = queue_queries(client, "/review/?overdue=1&sort=-score")
    assert response.content.decode().count('data-app="') == 50
    assert lots == few, (few, lots)
    assert lots <= 20


def test_queue_filters_search_sort_and_counts(world, client_for):
    call = review_call(world, code="p-filter", limit=100)
    other_call = review_call(world, code="p-filter-2")
    a = submitted(world.ent_zg, call, self_score=Decimal("80"))
    b = submitted(world.ent_zg2, call, self_score=Decimal("55"))
    c = submitted(enterprise(world.zhanggong, "章贡丙企业"), other_call, self_score=Decimal("65"))
    review.application_reject(actor=actor_for(world.county_reviewer), application=c, reason="不符合条件")
    client = client_for(world.county_reviewer)

    def ids(query):
        html = client.get(f"/review/?{query}", **EN).content.decode()
        return {int(x.split('"')[0]) for x in html.split('data-app="')[1:]}

    assert ids("") == {a.pk, b.pk, c.pk}
    assert ids(f"call={call.pk}") == {a.pk, b.pk}
    assert ids("status=rejected") == {c.pk}
    assert ids("score_min=60&score_max=90") == {a.pk, c.pk}
    assert ids("q=章贡乙") == {b.pk}
    assert ids(f"q={world.ent_zg.credit_code}") == {a.pk}
    assert ids("stage=city") == set()
    html = client.get("/review/?sort=-score", **EN).content.decode()
    assert html.index(f'data-app="{a.pk}"') < html.index(f'data-app="{c.pk}"') < html.index(f'data-app="{b.pk}"')
    html = client.get("/review/", **EN).content.decode()
    assert 'data-status="submitted"><a' in html and 'data-status="rejected"><a' in html
    assert 'data-total="3"' in html


def test_the_city_filters_by_county_and_sees_no_other_city(world, client_for):
    call = review_call(world, code="p-county")
    zg = at_city(world, world.ent_zg, call)
    nk = at_city(world, world.ent_nk, call)
    at_city(world, world.ent_nc, call)  # 南昌: another city
    client = client_for(world.city_reviewer)
    html = client.get("/review/", **EN).content.decode()
    assert f'data-app="{zg.pk}"' in html and f'data-app="{nk.pk}"' in html and "南昌企业" not in html
    html = client.get(f"/review/?county={world.nankang.pk}", **EN).content.decode()
    assert f'data-app="{nk.pk}"' in html and f'data-app="{zg.pk}"' not in html
    html = client.get(f"/review/?county={world.donghu.pk}", **EN).content.decode()  # not theirs: nothing
    assert "data-app=" not in html


def test_overdue_filter(world, client_for):
    soon = timezone.now() + dt.timedelta(days=1)
    call = review_call(world, code="p-overdue", county_deadline=soon)
    app = submitted(world.ent_zg, call)
    late_call = review_call(world, code="p-late", county_deadline=timezone.now() - dt.timedelta(seconds=1))
    late = submitted(world.ent_zg2, late_call)
    html = client_for(world.county_reviewer).get("/review/?overdue=1", **EN).content.decode()
    assert f'data-app="{late.pk}"' in html and f'data-app="{app.pk}"' not in html


def test_pagination(world, client_for):
    call = review_call(world, code="p-page", limit=200)
    many(world, call, 55)
    client = client_for(world.county_reviewer)
    first = client.get("/review/", **EN).content.decode()
    second = client.get("/review/?page=2", **EN).content.decode()
    assert first.count('data-app="') == 50 and second.count('data-app="') == 5
    assert "Page 2 of 2" in second


def test_the_review_page_shows_materials_inline_and_both_scores(world, client_for):
    call = review_call(world, code="p-detail")
    material = RequiredMaterial.objects.create(call=call, code="application-form", name="申报书", order=1)
    app = submitted(world.ent_zg, call, self_score=Decimal("66"))
    att = Attachment(application=app, material=material, original_name="申报书.pdf", content_type="application/pdf",
                     size=9, sha256="0" * 64)
    att.file.save("x", ContentFile(b"%PDF-1.4\n"), save=False)
    att.save()
    Review.objects.create(application=app, level=Level.COUNTY, score=Decimal("61.5"), reviewer=world.county_reviewer)
    client = client_for(world.county_reviewer)
    html = client.get(reverse("review-detail", args=[app.pk]), **EN).content.decode()
    # the material viewer (PDF.js, served by the portal) opens it: no iframe, no CDN
    url = reverse("review-attachment", args=[app.pk, att.pk])
    assert f'data-material-url="{url}"' in html and 'data-material-type="application/pdf"' in html
    assert "/static/vendor/pdfjs/pdf.min.mjs" in html and "<iframe" not in html and "cdn" not in html.lower()
    assert 'id="self-total">66.00' in html and 'id="bureau-total">61.50' in html
    assert 'data-status="submitted"' in html
    response = client.get(reverse("review-attachment", args=[app.pk, att.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n"


def test_actions_through_the_pages(world, client_for):
    call = review_call(world, code="p-actions", limit=1)
    a, b = submitted(world.ent_zg, call), submitted(world.ent_zg2, call)
    client = client_for(world.county_reviewer)
    response = client.post(reverse("review-return", args=[a.pk]), {
        "reason_target": ["general", "material:x"], "reason_text": ["请补充盖章页", ""],
        "revision_deadline": (timezone.localdate() + dt.timedelta(days=5)).isoformat()}, **EN)
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == Status.RETURNED and a.return_reasons[0]["text"] == "请补充盖章页"
    client.post(reverse("review-recommend", args=[b.pk]), {"score": "70", "opinion": "同意推荐"}, **EN)
    b.refresh_from_db()
    assert b.status == Status.RECOMMENDED
    c = submitted(enterprise(world.zhanggong), call)
    response = client.post(reverse("review-recommend", args=[c.pk]), {"score": "70", "opinion": "同意"}, follow=True,
                           **EN)
    text = response.content.decode()
    assert "Quota reached" in text and "at most 1 recommendations" in text
    c.refresh_from_db()
    assert c.status == Status.SUBMITTED  # the refusal rolled everything back


def test_site_visit_and_photo_through_the_pages(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    app = submitted(world.ent_zg, review_call(world, code="p-visit"))
    client = client_for(world.county_reviewer)
    client.post(reverse("review-site-visit", args=[app.pk]), {
        "visit_date": timezone.localdate().isoformat(), "people": "张三", "findings": "属实",
        "photos": [SimpleUploadedFile("a.png", PNG_1PX, content_type="image/png")]}, **EN)
    photo = app.site_visits.get().photos.get()
    response = client.get(reverse("review-photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    html = client.get(reverse("review-detail", args=[app.pk]), **EN).content.decode()
    assert reverse("review-photo", args=[photo.pk]) in html and "属实" in html


def test_bulk_return_and_export(world, client_for):
    from openpyxl import load_workbook

    call = review_call(world, code="p-bulk")
    a, b = submitted(world.ent_zg, call), submitted(world.ent_zg2, call)
    client = client_for(world.county_reviewer)
    response = client.post(reverse("review-bulk"), {"action": "export", "selected": [a.pk, b.pk]}, **EN)
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1][:3] == ("No.", "Applicant", "Unified social credit code")
    assert {r[1] for r in rows[2:]} == {"章贡甲企业", "章贡乙企业"}
    assert {r[2] for r in rows[2:]} == {world.ent_zg.credit_code, world.ent_zg2.credit_code}
    deadline = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    client.post(reverse("review-bulk"), {"action": "return", "selected": [a.pk, b.pk], "reason": "统一补充审计报告",
                                         "revision_deadline": deadline}, **EN)
    for app in (a, b):
        app.refresh_from_db()
        assert app.status == Status.RETURNED and app.return_reasons == [
            {"target": "general", "label": "", "text": "统一补充审计报告"}]


def test_export_leaves_out_what_is_not_in_scope(world, client_for):
    from openpyxl import load_workbook

    call = review_call(world, code="p-export-scope")
    a, theirs = submitted(world.ent_zg, call), submitted(world.ent_nk, call)
    response = client_for(world.county_reviewer).post(reverse("review-bulk"),
                                                      {"action": "export", "selected": [a.pk, theirs.pk]}, **EN)
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[2:]] == ["章贡甲企业"]


def test_sign_off_quota_deadline_conflict_and_results_pages(world, client_for):
    call = review_call(world, code="p-misc", limit=2)
    app = submitted(world.ent_zg, call)
    review.application_recommend(actor=actor_for(world.county_reviewer), application=app, opinion="同意")
    head = client_for(world.county_head)
    html = head.get(reverse("review-sign-off"), **EN).content.decode()
    assert f'data-app="{app.pk}"' in html and 'data-used="1" data-limit="2"' in html
    head.post(reverse("review-sign-off"), {"call": call.pk, "selected": [app.pk], "opinion": "同意推荐",
                                           "confirmed": "1"}, **EN)
    app.refresh_from_db()
    assert app.level == Level.CITY
    html = head.get(f"{reverse('review-quotas')}?call={call.pk}", **EN).content.decode()
    assert 'data-region="360702"' in html
    province = client_for(world.province_officer)
    province.post(reverse("review-quotas"), {"call": call.pk, "region": world.nankang.pk, "extra": "2",
                                             "reason": "产业集群"}, **EN)
    exception = QuotaException.objects.get()
    assert (exception.region, exception.extra, exception.granted_by) == (world.nankang, 2, world.province_officer)
    stage = call.stages.get(level="county")
    new = (timezone.localtime() + dt.timedelta(days=90)).strftime("%Y-%m-%dT%H:%M")
    province.post(reverse("review-deadlines"), {"stage": stage.pk, "region": "", "new_deadline": new,
                                                "reason": "统一延期"}, **EN)
    assert stage.extensions.count() == 1
    html = client_for(world.county_reviewer).get(reverse("review-deadlines"), **EN).content.decode()
    assert "统一延期" in html
    reviewer = client_for(world.county_reviewer)
    reviewer.post(reverse("review-conflicts"), {"credit_code": world.ent_zg2.credit_code, "relation": "亲属"}, **EN)
    assert world.county_reviewer.conflict_declarations.get().organization == world.ent_zg2
    assert "亲属" in reviewer.get(reverse("review-conflicts"), **EN).content.decode()
    # results: not visible before publication (except to the province)
    assert client_for(world.applicant_admin).get(reverse("review-results", args=[call.code])).status_code == 404
    assert client_for(world.province_officer).get(reverse("review-results", args=[call.code])).status_code == 200


def test_timeline_for_the_applicant_hides_the_review_file(world, client_for):
    call = review_call(world, code="p-timeline")
    app = submitted(world.ent_zg, call)
    review.review_opinion_save(actor=actor_for(world.county_reviewer), application=app, opinion="内部意见：核查中")
    review.application_recommend(actor=actor_for(world.county_reviewer), application=app, opinion="同意推荐",
                                 score="75")
    html = client_for(world.applicant_admin).get(reverse("review-timeline", args=[app.pk]), **EN).content.decode()
    assert "application.recommend" in html and "同意推荐" in html and "75.00" in html
    assert "review.opinion" not in html and "内部意见" not in html
    assert 'data-status="recommended"' in html
    html = client_for(world.city_reviewer).get(reverse("review-timeline", args=[app.pk]), **EN).content.decode()
    assert "review.opinion" in html


def test_home_page_counts_pending_work_and_overdue(world, client_for):
    call = review_call(world, code="p-home", county_deadline=timezone.now() + dt.timedelta(days=2))
    submitted(world.ent_zg, call)
    submitted(world.ent_zg2, review_call(world, code="p-home-late",
                                         county_deadline=timezone.now() - dt.timedelta(hours=1)))
    html = client_for(world.county_reviewer).get("/", **EN).content.decode()
    assert 'data-pending="2"' in html and 'data-overdue="1"' in html
    assert "县级审核推荐" in html  # the next deadline of the county stage
    assert client_for(world.applicant_admin).get("/", **EN).status_code == 200
