"""The applicant's pages: 我的政策, the commitment letter, the form (autosave, conflicts, live
self-score), submission and receipt, 我的业务 (constant queries), the timeline, and isolation."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.constants import Role
from programs.constants import CallStatus, DeadlineKind, StageLevel
from submissions.constants import Status
from submissions.filing import services
from submissions.models import Application, CommitmentAcceptance, DraftConflict, Receipt
from tests.factories import (
    CallFactory,
    MembershipFactory,
    ProgramTypeFactory,
    StageFactory,
    UserFactory,
    application_for,
)
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    DEADLINE,
    RUBRIC_EXTRA,
    SHANGHAI,
    actor,
    attach,
    complete_data,
    fill,
    make_call,
    media,
    ready,
    start,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def call(world):
    return make_call(world.jx)


def _row(html: str, code: str) -> str:
    match = re.search(r'<tr class="[a-z]+" data-call="%s">(.*?)</tr>' % re.escape(code), html, re.S)
    assert match, code
    return match.group(1)


def test_my_policies_lists_open_calls_and_the_reason_for_every_other(world, call, client_for):
    gansu = make_call(world.gs, code="gs-2031-etc", program_code="etc-gs")
    institutes = make_call(world.jx, code="jx-2031-itc", program_code="itc-test", applicant_kinds=("institute",))
    closed = make_call(world.jx, code="jx-2020-etc", program_code="etc-old",
                       deadline=dt.datetime(2020, 4, 22, 23, 59, 59, tzinfo=SHANGHAI))
    nanchang = make_call(world.jx, code="jx-2031-nc", program_code="etc-nc", issuing_region=world.nanchang)
    html = client_for(world.applicant_admin).get(reverse("applicant-policies"), {"others": "1"}, **EN).content.decode()
    assert "You may apply" in _row(html, call.code) and reverse("applicant-apply", args=[call.code]) in html
    assert "organizations of 甘肃省" in _row(html, gansu.code)
    assert "accepts only" in _row(html, institutes.code)
    assert "2020-04-22 23:59:59" in _row(html, closed.code) and "has passed" in _row(html, closed.code)
    assert "relayed by 南昌市" in _row(html, nanchang.code)
    assert "Declare your figures to check" in _row(html, call.code)
    # the figures typed on the page (not stored) settle the conditions: Gansu ETC needs R&D ≥ 200万 and ≥ 2 %
    html = client_for(world.applicant_admin).get(
        reverse("applicant-policies") + "?fig-rd_expenditure=150&fig-main_revenue=10000", **EN).content.decode()
    row = _row(html, call.code)
    assert "Not met by the figures you declared" in row and "200万元" in row and "You may apply" not in row
    html = client_for(world.applicant_admin).get(
        reverse("applicant-policies") + "?fig-rd_expenditure=300&fig-main_revenue=10000&show=open",
        **EN).content.decode()
    assert "You may apply" in _row(html, call.code) and gansu.code not in html


def test_my_policies_uses_the_figures_declared_in_an_application(world, call, client_for):
    app = start(world.applicant_admin, call)
    fill(world.applicant_admin, app, data=complete_data(rd_expenditure="150"))
    other = make_call(world.jx, code="jx-2031-etc-b", program_code="etc-b")
    html = client_for(world.applicant_admin).get(reverse("applicant-policies"), **EN).content.decode()
    assert "Not met by the figures you declared" in _row(html, other.code)
    assert "2030" in html  # the year of the declared figures is named


def test_seed_calls_are_listed_with_their_reasons(seeded, world, client_for):
    html = client_for(world.applicant_admin).get(reverse("applicant-policies"), {"others": "1"}, **EN).content.decode()
    assert "has passed" in _row(html, "jx-2024-etc-batch27")
    assert "organizations of 甘肃省" in _row(html, "gs-2022-etc")


def test_the_commitment_letter_is_accepted_before_the_form_opens(world, call, client_for):
    client = client_for(world.applicant_filer)
    url = reverse("applicant-apply", args=[call.code])
    page = client.get(url, **EN).content.decode()
    assert "告知承诺书" in page and "Accept and start the application" in page
    assert client.post(url, {}).status_code == 200
    assert not Application.objects.exists() and not CommitmentAcceptance.objects.exists()
    response = client.post(url, {"accept": "on"}, REMOTE_ADDR="10.9.8.7")
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("applicant-application-edit", args=[app.pk])
    acceptance = CommitmentAcceptance.objects.get()
    assert (acceptance.user, acceptance.ip_address) == (world.applicant_filer, "10.9.8.7")
    # coming back leads to the open application, not a second one
    assert client.get(url)["Location"] == reverse("applicant-application-edit", args=[app.pk])


def test_the_form_page_has_every_part_of_the_call(world, call, media, client_for):
    app = start(world.applicant_admin, call)
    html = client_for(world.applicant_admin).get(reverse("applicant-application-edit", args=[app.pk]), **EN)
    assert html.status_code == 200
    page = html.content.decode()
    for name in ("profile.contact_name", "summary", "figures.2030.rd_expenditure", "figures.2029.main_revenue",
                 "inputs.senior_or_phd", "declarations.no-serious-violations"):
        assert f'name="{name}"' in page, name
    assert 'id="m-application-material"' in page and 'id="m-evidence"' in page
    assert 'data-autosave="%s"' % reverse("applicant-autosave", args=[app.pk]) in page
    assert "Self-score" in page and 'id="save-state"' in page


def test_autosave_and_a_second_browser_is_warned_without_losing_text(world, call, client_for):
    app = start(world.applicant_admin, call)
    url = reverse("applicant-autosave", args=[app.pk])
    first = client_for(world.applicant_admin).post(url, {"version": app.version, "summary": "第一位的文字"})
    assert first.status_code == 200 and first.json()["status"] == "saved"
    from django.test import Client

    second_browser = Client()
    second_browser.force_login(world.applicant_filer)
    stale = second_browser.post(url, {"version": app.version, "summary": "第二位的文字"}, **EN)
    assert stale.status_code == 409
    body = stale.json()
    assert body["status"] == "conflict" and body["current_version"] == app.version + 1 and body["conflict_url"]
    app.refresh_from_db()
    assert app.data["summary"] == "第一位的文字"
    conflict = DraftConflict.objects.get()
    assert conflict.data["summary"] == "第二位的文字"
    page = second_browser.get(body["conflict_url"], **EN).content.decode()
    assert "第一位的文字" in page and "第二位的文字" in page
    # the refused save is the filer's (and their administrator's), nobody else's
    assert client_for(world.other_applicant).get(body["conflict_url"]).status_code == 404
    response = second_browser.post(body["conflict_url"], {"keep": "mine"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.data["summary"] == "第二位的文字"


def test_the_live_self_score_changes_as_figures_are_typed(world, call, client_for):
    app = start(world.applicant_admin, call)
    client = client_for(world.applicant_admin)
    url = reverse("applicant-score", args=[app.pk])
    base = {f"inputs.{k}": v for k, v in RUBRIC_EXTRA.items()}
    figures = {f"figures.2030.{k}": v for k, v in complete_data()["figures"]["2030"].items()}

    def total(**changes):
        html = client.post(url, {**base, **figures, **changes}, **EN).content.decode()
        return re.search(r'id="self-score-total" data-total="([0-9.]+)"', html).group(1), html

    low, html = total(**{"figures.2030.rd_expenditure": "200"})
    high, _html = total(**{"figures.2030.rd_expenditure": "600"})
    assert float(high) > float(low)
    assert "What would raise the score" in html
    app.refresh_from_db()
    assert app.version == 1  # nothing saved by scoring


def test_submit_page_lists_the_problems_then_submits_and_shows_the_receipt(world, call, media, client_for,
                                                                            time_machine):
    time_machine.move_to(DEADLINE - dt.timedelta(hours=1), tick=False)
    app = start(world.applicant_admin, call)
    client = client_for(world.applicant_admin)
    url = reverse("applicant-submit", args=[app.pk])
    page = client.post(url, **EN).content.decode()
    assert "items to settle" in page and "Material not uploaded: 申报材料" in page
    assert f'{reverse("applicant-application-edit", args=[app.pk])}?check=1#m-application-material' in page
    app.refresh_from_db()
    assert app.status == Status.DRAFT and not Receipt.objects.exists()
    fill(world.applicant_admin, app)
    attach(world.applicant_admin, app)
    response = client.post(url)
    receipt = Receipt.objects.get()
    assert response["Location"] == reverse("applicant-receipt", args=[app.pk, receipt.pk])
    page = client.get(response["Location"], **EN).content.decode()
    assert receipt.number in page and receipt.fingerprint in page and "matches the fingerprint" in page
    detail = client.get(reverse("applicant-application", args=[app.pk]), **EN).content.decode()
    assert "Submit" in detail and receipt.number in detail and 'id="withdraw"' in detail
    # a filer sees the receipt but cannot withdraw
    from django.test import Client

    filer = Client()
    filer.force_login(world.applicant_filer)
    assert filer.get(response["Location"]).status_code == 200
    filer.post(reverse("applicant-withdraw", args=[app.pk]))
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    client.post(reverse("applicant-withdraw", args=[app.pk]), {"reason": "重新准备"})
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN


def _many(world, n, prefix=""):
    program = ProgramTypeFactory(code="bulk", applicant_kinds=["enterprise"])
    for i in range(n):
        c = CallFactory(code=f"bulk-{prefix}{i}", province=world.jx, program=program, status=CallStatus.PUBLISHED)
        StageFactory(call=c, level=StageLevel.APPLICANT, deadline_kind=DeadlineKind.ABSOLUTE, deadline_at=DEADLINE)
        StageFactory(call=c, order=2, level=StageLevel.COUNTY, deadline_kind=DeadlineKind.ABSOLUTE,
                     deadline_at=DEADLINE)
        app = application_for(world.ent_zg, c, created_by=world.applicant_admin)
        if i % 2:
            Application.objects.filter(pk=app.pk).update(status=Status.SUBMITTED, level="county", number=f"N{i}",
                                                         last_action="submit")


@pytest.mark.parametrize("n", [5, 50])
def test_my_applications_costs_the_same_queries_for_5_and_50_rows(world, client_for, django_assert_max_num_queries,
                                                                   n):
    _many(world, n)
    client = client_for(world.applicant_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("applicant-applications"))
    assert response.content.decode().count("<tr data-app=") == n
    with django_assert_max_num_queries(14):
        home = client.get(reverse("home"))
    assert home.status_code == 200


def test_query_count_does_not_grow_with_rows(world, client_for):
    client = client_for(world.applicant_admin)
    _many(world, 5, prefix="a")
    client.get(reverse("applicant-applications"))  # warm-up (per-process caches)
    with CaptureQueriesContext(connection) as five:
        client.get(reverse("applicant-applications"))
    _many(world, 45, prefix="b")
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(reverse("applicant-applications"))
    assert response.content.decode().count("<tr data-app=") == 50
    assert len(five) == len(fifty)


def test_the_timeline_shows_every_action(world, call, media, client_for):
    app = ready(world.applicant_admin, call)
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    page = client_for(world.applicant_admin).get(reverse("applicant-application", args=[app.pk]), **EN)
    timeline = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', page.content.decode(), re.S).group(1)
    assert "Application opened" in timeline and "Material uploaded" in timeline and "Submit" in timeline
    assert timeline.index("Application opened") < timeline.index("Submit")


@pytest.fixture
def victim(world, call, media):
    app = ready(world.applicant_admin, call)
    return app


def _urls(app):
    att = app.attachments.get()
    material = att.material
    return {
        "get": [reverse("applicant-application", args=[app.pk]), reverse("applicant-application-edit", args=[app.pk]),
                reverse("applicant-submit", args=[app.pk]), reverse("application-file", args=[app.pk, att.pk])],
        "post": [reverse("applicant-autosave", args=[app.pk]), reverse("applicant-score", args=[app.pk]),
                 reverse("applicant-application-edit", args=[app.pk]), reverse("applicant-submit", args=[app.pk]),
                 reverse("applicant-withdraw", args=[app.pk]),
                 reverse("applicant-upload", args=[app.pk, material.pk]),
                 reverse("applicant-attachment-remove", args=[app.pk, att.pk]),
                 reverse("applicant-member-invite", args=[app.pk])],
    }


@pytest.mark.parametrize("intruder", ["other_applicant", "county_reviewer", "neighbour_reviewer",
                                      "other_province_officer"])
def test_another_organization_cannot_see_or_change_an_application_through_pages(world, victim, client_for, intruder):
    client = client_for(getattr(world, intruder))
    before = (victim.data, victim.version, victim.status, victim.attachments.filter(is_current=True).count())
    for url in _urls(victim)["get"]:
        assert client.get(url).status_code in (403, 404), url
    for url in _urls(victim)["post"]:
        assert client.post(url, {"version": victim.version, "summary": "入侵"}).status_code in (403, 404), url
    victim.refresh_from_db()
    assert (victim.data, victim.version, victim.status, victim.attachments.filter(is_current=True).count()) == before
    if intruder == "other_applicant":
        listing = client.get(reverse("applicant-applications")).content.decode()
        assert victim.call.title not in listing


def test_receipts_of_another_applicant_are_refused(world, victim, client_for):
    receipt = services.application_submit(actor=actor(world.applicant_admin), application=victim, now=DEADLINE)
    url = reverse("applicant-receipt", args=[victim.pk, receipt.pk])
    assert client_for(world.other_applicant).get(url).status_code == 404
    assert client_for(world.county_reviewer).get(url).status_code == 403  # not an applicant page
    assert client_for(world.applicant_filer).get(url).status_code == 200


def test_a_member_unit_reads_but_cannot_submit_through_pages(world, media, client_for):
    alliance = make_call(world.jx, code="jx-2031-alliance", multi=True, rubric_code="", program_code="alliance-t")
    app = start(world.applicant_admin, alliance)
    nk_admin = UserFactory()
    MembershipFactory(user=nk_admin, organization=world.ent_nk, role=Role.APPLICANT_ADMIN)
    services.member_invite(actor=actor(world.applicant_admin), application=app, name=world.ent_nk.name,
                           credit_code=world.ent_nk.credit_code)
    fill(world.applicant_admin, app)
    attach(world.applicant_admin, app)
    client = client_for(nk_admin)
    assert world.ent_zg.name in client.get(reverse("applicant-applications"), **EN).content.decode()
    page = client.get(reverse("applicant-application", args=[app.pk]), **EN).content.decode()
    assert "member unit of this application" in page
    assert client.get(reverse("applicant-application-edit", args=[app.pk])).status_code == 200  # read-only view
    assert client.post(reverse("applicant-autosave", args=[app.pk]),
                       {"version": app.version, "summary": "成员改"}).status_code == 403
    client.post(reverse("applicant-submit", args=[app.pk]))
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.data["summary"] != "成员改"


def test_the_form_of_every_seed_call_renders(seeded, world, client_for):
    """Every seed call (application, evaluation, pilot, certification, catalogue) gets a form."""
    from programs.models import Call

    client = client_for(world.applicant_admin)
    for call in Call.objects.all():
        app = application_for(world.ent_zg, call, created_by=world.applicant_admin)
        response = client.get(reverse("applicant-application-edit", args=[app.pk]), **EN)
        assert response.status_code == 200, call.code
        page = response.content.decode()
        if call.kind == "evaluation":
            assert 'name="sections.1-1"' in page and 'id="targets-table"' in page, call.code
        if call.code == "jx-2024-mic-evaluation":
            assert "（二）研发主要方向进展。" in page and "进度差距" in page
        if call.code == "jx-2024-iti-evaluation":
            assert "（七）产业战略研究情况。" in page and "完成进度" in page
        if call.code == "gs-2022-etc":
            assert 'name="inputs.senior_or_phd"' in page and 'name="figures.2021.rd_expenditure"' in page
        assert client.post(reverse("applicant-score", args=[app.pk]), {}).status_code == 200, call.code
        assert client.get(reverse("applicant-submit", args=[app.pk]), **EN).status_code == 200, call.code


def test_my_policies_costs_the_same_queries_for_few_and_many_calls(world, client_for):
    client = client_for(world.applicant_admin)
    for i in range(3):
        make_call(world.jx, code=f"few-{i}", program_code=f"p-few-{i}")
    client.get(reverse("applicant-policies"))  # warm-up (per-process caches)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("applicant-policies"))
    for i in range(20):
        make_call(world.jx, code=f"many-{i}", program_code=f"p-many-{i}")
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("applicant-policies")).content.decode()
    assert html.count("data-call=") == 23
    assert len(few) == len(many)
