"""The current receipt of an application is read from one place (Application.current_receipt): after
a return and a resubmission, the applicant's pages, the bureau's pages, both APIs and the packet
cover show the new receipt (…-02 and its fingerprint), not the first one (…-01)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from submissions.constants import Status
from submissions.filing import services
from submissions.review import services as review
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    DEADLINE,
    actor,
    make_call,
    media,
    ready,
)
from tests.submissions.test_packets import built, commit, page_texts, read  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def shown_number(html: str) -> str:
    match = re.search(r'id="receipt-number">([^<]+)<', html)
    assert match, "no current receipt number on the page"
    return match.group(1).strip()


@pytest.fixture
def resubmitted(world, media):
    """Submitted (…-01), returned by the county with a general remark, resubmitted (…-02)."""
    call = make_call(world.jx)
    app = ready(world.applicant_admin, call)
    first = services.application_submit(actor=actor(world.applicant_admin), application=app,
                                        now=DEADLINE - dt.timedelta(days=2))
    review.application_return(actor=actor(world.county_reviewer), application=app,
                              reasons=[{"target": "general", "text": "请补充说明"}],
                              revision_deadline=DEADLINE + dt.timedelta(days=10))
    second = services.application_resubmit(actor=actor(world.applicant_admin), application=app,
                                           now=DEADLINE - dt.timedelta(days=1))
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    assert first.number.endswith("-01") and second.number.endswith("-02")
    assert first.fingerprint != second.fingerprint
    return app, first, second


def test_the_current_receipt_is_the_latest(world, resubmitted):
    app, first, second = resubmitted
    assert app.current_receipt() == second
    assert type(app).objects.with_current_receipt().get(pk=app.pk).current_receipt() == second


def test_the_applicants_pages_show_the_new_receipt(world, resubmitted, client_for):
    app, first, second = resubmitted
    client = client_for(world.applicant_admin)
    detail = client.get(reverse("applicant-application", args=[app.pk])).content.decode()
    assert shown_number(detail) == second.number
    listing = client.get(reverse("applicant-applications")).content.decode()
    row = re.search(r'<tr data-app="%d".*?</tr>' % app.pk, listing, re.S).group(0)
    assert second.number in row and first.number not in row
    form = client.get(reverse("applicant-application-edit", args=[app.pk])).content.decode()
    assert second.number in form and first.number not in form


def test_the_bureaus_pages_show_the_new_receipt(world, resubmitted, client_for):
    app, first, second = resubmitted
    client = client_for(world.county_reviewer)
    detail = client.get(reverse("review-detail", args=[app.pk])).content.decode()
    assert shown_number(detail) == second.number
    assert re.search(r'id="receipt-fingerprint">([^<]+)<', detail).group(1) == second.fingerprint
    queue = client.get(reverse("review-queue")).content.decode()
    row = re.search(r'<tr data-app="%d".*?</tr>' % app.pk, queue, re.S).group(0)
    assert second.number in row and first.number not in row
    # the bureau finds it by either number
    for number in (first.number, second.number):
        found = client.get(reverse("review-queue"), {"q": number}).content.decode()
        assert f'data-app="{app.pk}"' in found


def test_both_apis_give_the_new_receipt(world, resubmitted, api_for):
    app, first, second = resubmitted
    mine = api_for(world.applicant_admin)
    body = mine.get(f"/api/applications/{app.pk}/").json()
    assert (body["number"], body["fingerprint"]) == (second.number, second.fingerprint)
    assert [r["number"] for r in body["receipts"]] == [first.number, second.number]  # the record keeps both
    row = next(r for r in mine.get("/api/applications/").json()["results"] if r["id"] == app.pk)
    assert (row["number"], row["fingerprint"]) == (second.number, second.fingerprint)
    bureau = api_for(world.county_reviewer)
    body = bureau.get(f"/api/review/applications/{app.pk}/").json()
    assert (body["number"], body["fingerprint"]) == (second.number, second.fingerprint)
    row = next(r for r in bureau.get("/api/review/applications/").json()["results"] if r["id"] == app.pk)
    assert (row["number"], row["fingerprint"]) == (second.number, second.fingerprint)


def test_the_packet_cover_shows_the_new_receipt(world, resubmitted, built):
    app, first, second = resubmitted
    job = built(world.county_reviewer, app)
    assert job.receipt == second
    cover = page_texts(read(job))[0]
    assert second.number in cover and first.number not in cover
    assert second.fingerprint[:32] in cover.replace("\n", "")
