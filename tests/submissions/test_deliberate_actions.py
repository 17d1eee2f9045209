"""Deliberate actions: the head signs off a listed batch with an opinion, recorded with name and
time; the province decides in bulk with the message templates of 认定 / 不予认定 / 试点; whatever
cannot be undone (a decision, a refusal to recommend, a sign-off, a published result list) is asked
on a confirmation page first, and nothing happens until it is confirmed."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from portal.access import actor_for
from portal.models import AuditEntry
from submissions.constants import DECISION_TEMPLATES, Level, Status
from submissions.models import Application, Recommendation, ResultPublication
from submissions.review import services as review
from tests.submissions.test_review_support import at_city, review_call, snapshot, submitted

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def at_province(world, org, call):
    app = at_city(world, org, call)
    review.application_recommend(actor=actor_for(world.city_reviewer), application=app, opinion="市级推荐")
    review.sign_off_batch(actor=actor_for(world.city_head), call=call, applications=[app.pk], opinion="同意")
    app.refresh_from_db()
    assert app.level == Level.PROVINCE
    return app


def confirm_rows(html: str) -> list[int]:
    box = re.search(r'<div class="card confirm" id="confirm">(.*?)</div>', html, re.S).group(1)
    return [int(x) for x in re.findall(r'<tr data-app="(\d+)"', box)]


def test_the_head_signs_off_a_listed_batch_with_an_opinion_recorded_with_name_and_time(world, client_for):
    call = review_call(world, code="d-sign")
    apps = [submitted(org, call) for org in (world.ent_zg, world.ent_zg2)]
    for app in apps:
        review.application_recommend(actor=actor_for(world.county_reviewer), application=app, opinion="同意")
    head = client_for(world.county_head)
    page = head.get(reverse("review-sign-off"), **ZH).content.decode()
    assert 'name="opinion"' in page and "负责人意见" in page

    # no opinion: refused with a message, nothing changes
    before = [snapshot(a) for a in apps]
    response = head.post(reverse("review-sign-off"), {"call": call.pk, "selected": [a.pk for a in apps]}, **ZH)
    assert response.status_code == 302 and [snapshot(a) for a in apps] == before
    # the first POST shows the list being signed and the opinion; nothing is signed yet
    data = {"call": call.pk, "selected": [apps[0].pk], "opinion": "经集体研究，同意推荐"}
    response = head.post(reverse("review-sign-off"), data, **ZH)
    html = response.content.decode()
    assert response.status_code == 200 and confirm_rows(html) == [apps[0].pk]
    assert "经集体研究，同意推荐" in html and world.county_head.display_name() in html
    assert 'name="confirmed" value="1"' in html and "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    assert [snapshot(a) for a in apps] == before
    # confirmed: signed, with the head's name, the time and the opinion
    response = head.post(reverse("review-sign-off"), {**data, "confirmed": "1"}, **ZH)
    assert response.status_code == 302
    apps[0].refresh_from_db()
    apps[1].refresh_from_db()
    assert apps[0].level == Level.CITY and apps[1].status == Status.RECOMMENDED  # only the one listed
    rec = Recommendation.objects.get(application=apps[0], level=Level.COUNTY)
    assert rec.signed_off_by == world.county_head and rec.signed_off_at is not None
    assert rec.signed_off_opinion == "经集体研究，同意推荐"
    entry = AuditEntry.objects.get(action="application.sign_off", object_id=str(apps[0].pk))
    assert entry.comment == "经集体研究，同意推荐" and entry.actor == world.county_head
    # and the sign-off page shows who signed what, when, with which opinion
    html = head.get(reverse("review-sign-off"), **ZH).content.decode()
    signed = re.search(r'<table class="grid small signed-off">(.*?)</table>', html, re.S).group(1)
    assert f'data-app="{apps[0].pk}"' in signed and "经集体研究，同意推荐" in signed
    assert world.county_head.display_name() in signed


def test_the_api_signs_off_with_the_opinion(world, api_for):
    call = review_call(world, code="d-sign-api")
    app = submitted(world.ent_zg, call)
    review.application_recommend(actor=actor_for(world.county_reviewer), application=app, opinion="同意")
    r = api_for(world.county_head).post("/api/review/applications/sign-off/",
                                        {"call": call.code, "ids": [app.pk], "opinion": "同意报送"}, format="json")
    assert r.status_code == 200 and r.json() == {"done": [app.pk]}
    assert Recommendation.objects.get(application=app, level=Level.COUNTY).signed_off_opinion == "同意报送"


def test_the_province_decides_in_bulk_with_the_templates_after_confirmation(world, client_for):
    call = review_call(world, code="d-bulk")
    apps = [at_province(world, org, call) for org in (world.ent_zg, world.ent_nk)]
    province = client_for(world.province_officer)
    queue = province.get(reverse("review-queue"), **ZH).content.decode()
    assert 'id="bulk-decide"' in queue
    with translation.override("zh-hans"):
        pilot_text = str(DECISION_TEMPLATES["pilot"])
    assert pilot_text in queue  # the templates are shown where the decision is chosen
    data = {"selected": [a.pk for a in apps], "decision": "pilot", "comment": ""}
    response = province.post(reverse("review-bulk-decide"), data, **ZH)
    html = response.content.decode()
    assert response.status_code == 200 and sorted(confirm_rows(html)) == sorted(a.pk for a in apps)
    assert pilot_text in html  # the message that will go with it
    assert {a.status for a in Application.objects.filter(pk__in=[a.pk for a in apps])} == {Status.SUBMITTED}
    response = province.post(reverse("review-bulk-decide"), {**data, "confirmed": "1"}, **ZH)
    assert response.status_code == 302
    assert {a.status for a in Application.objects.filter(pk__in=[a.pk for a in apps])} == {Status.PILOT}
    entries = AuditEntry.objects.filter(action="application.pilot")
    assert entries.count() == 2 and {e.comment for e in entries} == {pilot_text}


def test_bulk_decisions_are_all_or_none_and_the_provinces_own(world, client_for, api_for):
    call = review_call(world, code="d-bulk-none")
    ready = at_province(world, world.ent_zg, call)
    not_yet = submitted(world.ent_zg2, call)  # still at the county
    before = [snapshot(ready), snapshot(not_yet)]
    api = api_for(world.province_officer)
    r = api.post("/api/review/applications/bulk-decide/", {"ids": [ready.pk, not_yet.pk], "decision": "approve"},
                 format="json")
    assert r.status_code in (400, 403) and [snapshot(ready), snapshot(not_yet)] == before
    for user in (world.county_reviewer, world.county_head, world.city_head):
        r = api_for(user).post("/api/review/applications/bulk-decide/", {"ids": [ready.pk], "decision": "approve"},
                               format="json")
        assert r.status_code == 403
        assert client_for(user).post(reverse("review-bulk-decide"), {"selected": [ready.pk], "decision": "approve",
                                                                     "confirmed": "1"}).status_code == 403
    assert snapshot(ready) == before[0]
    # with its own words, through the API
    r = api.post("/api/review/applications/bulk-decide/", {"ids": [ready.pk], "decision": "approve",
                                                           "comment": "同意认定为省级企业技术中心"}, format="json")
    assert r.status_code == 200 and r.json() == {"done": [ready.pk]}
    assert AuditEntry.objects.get(action="application.approve").comment == "同意认定为省级企业技术中心"
    templates = api.get("/api/review/applications/decision-templates/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert [t["decision"] for t in templates] == ["approve", "not_approve", "pilot"]
    assert templates[1]["label"] == "不予认定" and "不予认定" in templates[1]["template"]


def test_a_single_decision_a_refusal_and_a_publication_are_confirmed_first(world, client_for):
    call = review_call(world, code="d-confirm")
    app = at_province(world, world.ent_zg, call)
    province = client_for(world.province_officer)
    data = {"decision": "not_approve", "comment": ""}
    html = province.post(reverse("review-decide", args=[app.pk]), data, **ZH).content.decode()
    assert confirm_rows(html) == [app.pk] and "不予认定" in html
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    province.post(reverse("review-decide", args=[app.pk]), {**data, "confirmed": "1"}, **ZH)
    app.refresh_from_db()
    assert app.status == Status.NOT_APPROVED
    # publishing the result list
    html = province.post(reverse("review-results", args=[call.code]), {"note": "公示"}, **ZH).content.decode()
    assert 'id="confirm-form"' in html and not ResultPublication.objects.exists()
    province.post(reverse("review-results", args=[call.code]), {"note": "公示", "confirmed": "1"}, **ZH)
    assert ResultPublication.objects.filter(call=call).count() == 1
    # a county's refusal to recommend
    other = submitted(world.ent_zg2, call)
    county = client_for(world.county_reviewer)
    html = county.post(reverse("review-reject", args=[other.pk]), {"reason": "不符合条件"}, **ZH).content.decode()
    assert confirm_rows(html) == [other.pk] and "不符合条件" in html
    other.refresh_from_db()
    assert other.status == Status.SUBMITTED
    county.post(reverse("review-reject", args=[other.pk]), {"reason": "不符合条件", "confirmed": "1"}, **ZH)
    other.refresh_from_db()
    assert other.status == Status.REJECTED
