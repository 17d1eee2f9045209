"""The province's decision is internal until the call's result list is published: until then the
applicant's pages, API, timeline and audit list show the application under review at the provincial
department, without the decision or its comment, and no decision e-mail goes out; the bureaus and
the province see the real status. Publishing the result list shows the result everywhere and mails
each decided applicant its result."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from portal.access import actor_for
from submissions.constants import Level, Status
from submissions.embargo import applicant_visible_status, application_timeline, status_seen_by
from submissions.models import Application
from submissions.review import services as review
from tests.submissions.test_review_support import at_city, review_call

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
COMMENT = "研发投入强度突出，予以认定"
ENT_MAIL = "ent@example.com"
OTHER_MAIL = "ent2@example.com"


def at_province(world, org, call):
    """An application recommended by the county and the city, both signed off: with the province."""
    app = at_city(world, org, call)
    review.application_recommend(actor=actor_for(world.city_reviewer), application=app, opinion="市级推荐")
    review.sign_off_batch(actor=actor_for(world.city_head), call=call, applications=[app.pk])
    app.refresh_from_db()
    assert (app.status, app.level) == (Status.SUBMITTED, Level.PROVINCE)
    return app


def decide(world, app, decision, comment=""):
    review.application_decide(actor=actor_for(world.province_officer), application=app, decision=decision,
                              comment=comment)
    app.refresh_from_db()
    return app


def publish(world, call):
    return review.results_publish(actor=actor_for(world.province_officer), call=call, note="公示5个工作日")


@pytest.fixture
def call(world):
    for org, address in ((world.ent_zg, ENT_MAIL), (world.ent_zg2, OTHER_MAIL)):
        org.contact_email = address
        org.save(update_fields=["contact_email"])
    return review_call(world, code="embargo")


@pytest.fixture
def decided(world, call):
    """ent_zg's application, recognized by the province with a comment; the result list unpublished."""
    return decide(world, at_province(world, world.ent_zg, call), "approve", COMMENT)


def list_row(html: str, app) -> str:
    match = re.search(r'<tr data-app="%d">(.*?)</tr>' % app.pk, html, re.S)
    assert match, "the application is not in the list"
    return match.group(1)


def status_badge(html: str) -> str:
    match = re.search(r'<span class="badge status-([a-z_]+)" id="app-status">([^<]*)</span>', html)
    assert match, "no status badge"
    return f"{match.group(1)}:{match.group(2)}"


def timeline(html: str) -> str:
    match = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', html, re.S)
    assert match, "no timeline"
    return match.group(1)


def recipients():
    return {address for m in mail.outbox for address in m.to}


# --- before the result list --------------------------------------------------------------------------


def test_the_province_sees_the_decision_the_applicant_does_not(world, decided, client_for, api_for):
    app = decided
    assert app.status == Status.APPROVED  # the real status, kept for the review side
    officer = actor_for(world.province_officer)
    assert status_seen_by(officer, app) == Status.APPROVED
    assert "application.approve" in [e.action for e in application_timeline(officer, app)]
    body = api_for(world.province_officer).get(f"/api/applications/{app.pk}/").json()
    assert (body["status"], body["last_action"]) == ("approved", "approve")
    page = client_for(world.province_officer).get(reverse("review-timeline", args=[app.pk]), **EN).content.decode()
    assert 'data-status="approved"' in page and COMMENT in page

    applicant = actor_for(world.applicant_admin)
    assert applicant_visible_status(app) == Status.UNDER_REVIEW
    assert status_seen_by(applicant, app) == Status.UNDER_REVIEW
    assert "application.approve" not in [e.action for e in application_timeline(applicant, app)]


def test_my_applications_shows_it_under_review_at_the_province(world, decided, client_for):
    client = client_for(world.applicant_admin)
    html = client.get(reverse("applicant-applications"), **EN).content.decode()
    row = list_row(html, decided)
    assert 'status-under_review">Under review</span>' in row and "Provincial department" in row
    assert "Recogni" not in row and "approved" not in row  # neither the status nor the action
    assert "Sign off" in row  # the last action the applicant may know of
    assert COMMENT not in html
    zh = list_row(client.get(reverse("applicant-applications")).content.decode(), decided)
    assert "已认定" not in zh and "审核中" in zh
    # the status filter goes by what the applicant sees
    approved = client.get(reverse("applicant-applications"), {"status": "approved"}, **EN).content.decode()
    assert f'data-app="{decided.pk}"' not in approved
    under_review = client.get(reverse("applicant-applications"), {"status": "under_review"}, **EN).content.decode()
    assert f'data-app="{decided.pk}"' in under_review


def test_the_detail_page_and_its_timeline_hold_back_the_decision(world, decided, client_for):
    html = client_for(world.applicant_admin).get(reverse("applicant-application", args=[decided.pk]),
                                                 **EN).content.decode()
    assert status_badge(html) == "under_review:Under review"
    assert "Recogni" not in timeline(html)
    assert "Sign off the recommendation" in timeline(html)  # what happened before stays
    assert COMMENT not in html
    form = client_for(world.applicant_admin).get(reverse("applicant-application-edit", args=[decided.pk]),
                                                 **EN).content.decode()
    assert status_badge(form) == "under_review:Under review"
    for name in ("applicant-application-edit", "applicant-submit"):
        page = client_for(world.applicant_admin).get(reverse(name, args=[decided.pk]), **EN).content.decode()
        assert "Recogni" not in page and COMMENT not in page
    home = client_for(world.applicant_admin).get("/", **EN).content.decode()
    section = home.split('id="applicant-home"', 1)[1].split("</section>", 1)[0]
    assert "Under review" in section and "Recognized" not in section  # still listed as under way
    policies = client_for(world.applicant_admin).get(reverse("applicant-policies"), **EN).content.decode()
    assert "Recognized" not in policies


def test_the_api_and_the_audit_list_hold_back_the_decision(world, decided, api_for):
    client = api_for(world.applicant_admin)
    listed = next(a for a in client.get("/api/applications/").json()["results"] if a["id"] == decided.pk)
    detail = client.get(f"/api/applications/{decided.pk}/").json()
    for body in (listed, detail):
        assert body["status"] == "under_review" and body["level"] == "province"
        assert body["last_action"] == "sign_off" and "认定" not in body["status_label"]
    audit = client.get("/api/audit/").json()["results"]
    assert [e for e in audit if e["object_id"] == str(decided.pk)]  # its own entries are listed ...
    assert not [e for e in audit if e["action"] == "application.approve" or COMMENT in e["comment"]]  # ... not this
    # a refused request does not give the decision away either
    r = client.post(f"/api/applications/{decided.pk}/withdraw/", {}, format="json", **EN)
    assert r.status_code == 400 and "Recogni" not in r.content.decode() and "Under review" in r.content.decode()


def test_no_decision_mail_to_the_applicant(world, call, django_capture_on_commit_callbacks, eager_tasks):
    app = at_province(world, world.ent_zg, call)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decide(world, app, "approve", COMMENT)
    assert ENT_MAIL not in recipients()
    assert not [m for m in mail.outbox if COMMENT in m.body]


# --- the result list is published --------------------------------------------------------------------


def test_publishing_shows_the_result_everywhere_and_mails_each_decided_applicant(
    world, call, client_for, api_for, django_capture_on_commit_callbacks, eager_tasks
):
    recognized = decide(world, at_province(world, world.ent_zg, call), "approve", COMMENT)
    refused = decide(world, at_province(world, world.ent_zg2, call), "not_approve", "指标未达要求")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publish(world, call)
    by_address = {address: m for m in mail.outbox for address in m.to}
    assert set(by_address) == {ENT_MAIL, OTHER_MAIL}
    assert "已认定" in by_address[ENT_MAIL].subject and COMMENT in by_address[ENT_MAIL].body
    assert "不予认定" in by_address[OTHER_MAIL].body and "指标未达要求" in by_address[OTHER_MAIL].body
    assert "已认定" not in by_address[OTHER_MAIL].body and COMMENT not in by_address[OTHER_MAIL].body

    client = client_for(world.applicant_admin)
    row = list_row(client.get(reverse("applicant-applications")).content.decode(), recognized)
    assert 'status-approved">已认定</span>' in row
    html = client.get(reverse("applicant-application", args=[recognized.pk]), **EN).content.decode()
    assert status_badge(html) == "approved:Recognized"
    assert "Recognize" in timeline(html) and COMMENT in timeline(html)
    body = api_for(world.applicant_admin).get(f"/api/applications/{recognized.pk}/").json()
    assert (body["status"], body["last_action"]) == ("approved", "approve")
    assert api_for(world.other_applicant).get(f"/api/applications/{refused.pk}/").json()["status"] == "not_approved"

    # a later result list does not mail the same results again
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publish(world, call)
    assert mail.outbox == []


def test_a_decision_after_the_list_waits_for_the_next_one(world, call, client_for, django_capture_on_commit_callbacks,
                                                          eager_tasks):
    app = decide(world, at_province(world, world.ent_zg, call), "pilot")
    other = at_province(world, world.ent_zg2, call)
    with django_capture_on_commit_callbacks(execute=True):
        publish(world, call)  # the pilot is public now
    assert applicant_visible_status(app) == Status.PILOT
    decide(world, app, "approve", COMMENT)  # after the pilot: not yet public
    decide(world, other, "not_approve")
    mail.outbox.clear()
    client = client_for(world.applicant_admin)
    html = client.get(reverse("applicant-application", args=[app.pk]), **EN).content.decode()
    assert status_badge(html) == "pilot:Pilot" and COMMENT not in html
    assert "Admit as pilot" in timeline(html) and "Recognize" not in timeline(html)
    only_pilots = client.get(reverse("applicant-applications"), {"status": "pilot"}, **EN).content.decode()
    assert f'data-app="{app.pk}"' in only_pilots
    with django_capture_on_commit_callbacks(execute=True):
        publish(world, call)
    assert applicant_visible_status(Application.objects.get(pk=app.pk)) == Status.APPROVED
    assert recipients() == {ENT_MAIL, OTHER_MAIL}  # told the new results, once each
    assert len(mail.outbox) == 2
    html = client.get(reverse("applicant-application", args=[app.pk]), **EN).content.decode()
    assert status_badge(html) == "approved:Recognized" and COMMENT in html


def test_a_published_list_shows_what_was_decided_when_it_was_published(world, call, client_for, api_for):
    first = decide(world, at_province(world, world.ent_zg, call), "approve")
    publish(world, call)
    later = decide(world, at_province(world, world.ent_zg2, call), "approve")
    url = reverse("review-results", args=[call.code])
    public = client_for(world.applicant_admin).get(url).content.decode()
    assert first.organization.name in public and later.organization.name not in public
    listing = api_for(world.applicant_admin).get("/api/review/results/").json()["results"]
    assert [r["organization"] for r in listing[0]["results"]] == [first.organization.name]
    # the province sees the list as it stands, the next publication included
    province = client_for(world.province_officer).get(url).content.decode()
    assert first.organization.name in province and later.organization.name in province
