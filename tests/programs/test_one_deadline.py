"""One deadline everywhere (issue 8, acceptance 1).

One call of 江西, as organizations in three regions: 章贡区 (Ganzhou), whose city has a stage of its
own; 东湖区 (Nanchang), whose city the province extended; 浔阳区 (Jiujiang), plain. Every page and
API field that shows a filing deadline shows, for each of them, the same moment, and it is the one
the test's own data says (not asked of the resolver); the checks that refuse a late start or
submission refuse one second after that moment and not at it.

A second test does the same for the bureaus: the county stage's deadline and its extension, as the
review queue, the review page, the home page, the deadlines page and the APIs show them, and as
the check that refuses late actions enforces them.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.access import actor_for
from portal.constants import OrgKind, RegionLevel
from programs.constants import StageLevel
from programs.models import StageExtension
from submissions.deadlines import check_bureau_deadline
from submissions.filing import services
from submissions.policy import can_start_application
from submissions.review import services as review
from tests.factories import OrganizationFactory, RegionFactory, StageFactory
from tests.submissions.test_applicant_support import make_call, start
from tests.submissions.test_review_support import admin_of, review_call, submitted

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ONE_SECOND = dt.timedelta(seconds=1)


def end_of(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=SH)


NOW = dt.datetime(2031, 3, 2, 10, 0, tzinfo=SH)
GENERAL = end_of(2031, 4, 30)  # the province's filing stage, for everybody
GANZHOU = end_of(2031, 4, 20)  # the filing stage of Ganzhou's relay notice (its counties file earlier)
NANKANG_EXTENSION = end_of(2031, 6, 1)  # Ganzhou's stage extended for 南康区 only: not for 章贡区
NANCHANG_FIRST_EXTENSION = end_of(2031, 5, 10)  # the general stage extended for 南昌市 (covers 东湖区) ...
NANCHANG_EXTENSION = end_of(2031, 5, 15)  # ... and extended again, later: the latest binds


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def call(world, frozen):
    call = make_call(world.jx, code="one-deadline", deadline=GENERAL)
    general = call.stages.get()
    ganzhou = StageFactory(call=call, order=2, level=StageLevel.APPLICANT, region=world.ganzhou,
                           name="企业申报（赣州市）", deadline_at=GANZHOU)
    StageExtension.objects.create(stage=ganzhou, region=world.nankang, new_deadline=NANKANG_EXTENSION,
                                  reason="南康区系统故障", granted_at=NOW - dt.timedelta(days=3))
    StageExtension.objects.create(stage=general, region=world.nanchang, new_deadline=NANCHANG_FIRST_EXTENSION,
                                  reason="南昌市延期", granted_at=NOW - dt.timedelta(days=2))
    StageExtension.objects.create(stage=general, region=world.nanchang, new_deadline=NANCHANG_EXTENSION,
                                  reason="南昌市再次延期", granted_at=NOW - dt.timedelta(days=1))
    return call


@pytest.fixture
def applicants(world):
    """(organization, its administrator, the moment that binds it) for the three regions."""
    jiujiang = RegionFactory(code="360400", name="九江市", level=RegionLevel.CITY, parent=world.jx)
    xunyang = RegionFactory(code="360403", name="浔阳区", level=RegionLevel.COUNTY, parent=jiujiang)
    plain = OrganizationFactory(name="浔阳企业", kind=OrgKind.ENTERPRISE, region=xunyang)
    return [
        ("region-specific stage (章贡区 under 赣州市)", world.ent_zg, world.applicant_admin, GANZHOU),
        ("extension (东湖区 under 南昌市)", world.ent_nc, admin_of(world.ent_nc), NANCHANG_EXTENSION),
        ("plain (浔阳区 under 九江市)", plain, admin_of(plain), GENERAL),
    ]


# --- reading moments off pages ---------------------------------------------------------------------

ISO = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)"
SHOWN = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?"


def machine_moments(fragment: str) -> set[dt.datetime]:
    """The moments in `datetime="…"` and `data-deadline="…"` attributes."""
    return {dt.datetime.fromisoformat(m) for m in re.findall(rf'(?:datetime|data-deadline)="({ISO})"', fragment)}


def shown_moments(fragment: str) -> set[dt.datetime]:
    """The moments written out for people (Y-m-d H:i[:s], Beijing time), to the minute."""
    out = set()
    for text in re.findall(SHOWN, re.sub(r'"[^"]*"', "", fragment)):  # not inside attributes
        out.add(dt.datetime.fromisoformat(text[:16]).replace(tzinfo=SH))
    return out


def to_minute(at: dt.datetime) -> dt.datetime:
    return at.astimezone(SH).replace(second=0, microsecond=0)


def rows(html: str, marker: str) -> list[str]:
    """The table rows of `html` that hold `marker`."""
    return [part.split("</tr>")[0] for part in re.split(r"<tr[\s>]", html)[1:] if marker in part.split("</tr>")[0]]


def block(html: str, start: str, end: str) -> str:
    match = re.search(re.escape(start) + r"(.*?)" + re.escape(end), html, re.S)
    assert match, f"{start!r} not found"
    return match.group(1)


def row_moments(html: str, marker: str) -> set[dt.datetime]:
    found = rows(html, marker)
    assert found, f"no row with {marker!r}"
    return set().union(*(machine_moments(r) for r in found))


def api_moment(value) -> set[dt.datetime]:
    return {dt.datetime.fromisoformat(value)} if value else set()


def walk_applicant(client, api, call, app) -> dict[str, set[dt.datetime]]:
    """Every place an applicant sees its filing deadline for `call` (with its draft `app`)."""
    seen: dict[str, set[dt.datetime]] = {}
    call_url = reverse("call-detail", args=[call.code])
    edit_url = reverse("applicant-application-edit", args=[app.pk])

    home = client.get(reverse("home"), **EN).content.decode()
    seen["home: calls open in your province"] = row_moments(home, f'href="{call_url}"')
    seen["home: your drafts"] = row_moments(home, f'href="{edit_url}"')

    listing = client.get(reverse("call-list"), **EN).content.decode()
    seen["call list"] = row_moments(listing, f'href="{call_url}"')
    opened = client.get(reverse("call-list"), {"state": "open"}, **EN).content.decode()
    seen["call list, open only"] = row_moments(opened, f'href="{call_url}"')

    detail = client.get(call_url, **EN).content.decode()
    seen["call detail: filing deadline"] = machine_moments(block(detail, '<dd class="filing-deadline">', "</dd>"))

    calls = api.get("/api/calls/").json()["results"]
    item = next(c for c in calls if c["code"] == call.code)
    seen["/api/calls/ filing_deadline"] = api_moment(item["filing_deadline"])
    seen["/api/calls/ your_deadline"] = api_moment(item["your_deadline"])
    one = api.get(f"/api/calls/{call.code}/").json()
    seen["/api/calls/<code>/ filing_deadline"] = api_moment(one["filing_deadline"])
    seen["/api/calls/<code>/ your_deadline"] = api_moment(one["your_deadline"])

    policies = client.get(reverse("applicant-policies"), **EN).content.decode()
    seen["我的政策"] = row_moments(policies, f'data-call="{call.code}"')

    form = client.get(edit_url, **EN).content.decode()
    seen["draft page"] = machine_moments(block(form, '<p class="meta">', "</p>"))
    page = client.get(reverse("applicant-application", args=[app.pk]), **EN).content.decode()
    seen["application page"] = machine_moments(block(page, "Filing deadline", "</p>"))
    submit = client.get(reverse("applicant-submit", args=[app.pk]), **EN).content.decode()
    seen["submit page"] = machine_moments(block(submit, "Filing deadline", "</p>"))

    mine = client.get(reverse("applicant-applications"), **EN).content.decode()
    seen["我的业务"] = row_moments(mine, f'data-app="{app.pk}"')

    apps = api.get("/api/applications/").json()["results"]
    seen["/api/applications/ next_deadline"] = api_moment(
        next(a for a in apps if a["id"] == app.pk)["next_deadline"]["at"])
    seen["/api/applications/<id>/ next_deadline"] = api_moment(
        api.get(f"/api/applications/{app.pk}/").json()["next_deadline"]["at"])
    return seen


def test_every_page_and_field_shows_each_organization_the_deadline_that_binds_it(
        world, call, applicants, frozen, client, api_for):
    report = []
    drafts = {}
    for label, org, user, expected in applicants:
        actor = actor_for(user)
        assert actor.organization == org
        client.force_login(user)
        apply_page = client.get(reverse("applicant-apply", args=[call.code]), **EN).content.decode()
        assert can_start_application(actor, call)
        app = start(user, call)
        drafts[org.pk] = app
        seen = {"apply page": machine_moments(block(apply_page, "Filing deadline", "</dd>")),
                **walk_applicant(client, api_for(user), call, app)}
        for where, moments in seen.items():
            if moments != {expected}:
                report.append(f"{label}: {where} shows {sorted(m.isoformat() for m in moments)}, "
                              f"expected {expected.isoformat()}")
    assert not report, "\n".join(report)

    # The checks enforce the same moment: at it, one may still start and submit; a second later not.
    for label, org, user, expected in applicants:
        actor, app = actor_for(user), drafts[org.pk]
        frozen.move_to(expected)
        assert can_start_application(actor, call, existing=False), label
        assert "deadline" not in {p.code for p in services.submission_problems(app)}, label
        frozen.move_to(expected + ONE_SECOND)
        refused = can_start_application(actor, call, existing=False)
        assert not refused and expected.strftime("%Y-%m-%d %H:%M:%S") in refused.reason, label
        assert "deadline" in {p.code for p in services.submission_problems(app)}, label
        assert api_for(user).get(f"/api/calls/{call.code}/").json()["is_open"] is False, label
        others_open = [o for _l, o, _u, e in applicants if e > expected + ONE_SECOND]
        for other in others_open:  # the call is still open where the deadline is later
            other_user = next(u for _l, o, u, _e in applicants if o == other)
            assert api_for(other_user).get(f"/api/calls/{call.code}/").json()["is_open"] is True, label


COUNTY = end_of(2031, 5, 10)
ZHANGGONG_EXTENSION = end_of(2031, 5, 20)


@pytest.fixture
def bureau_call(world, frozen):
    call = review_call(world, code="one-bureau-deadline", county_deadline=COUNTY)
    county = call.stages.get(level=StageLevel.COUNTY)
    StageExtension.objects.create(stage=county, region=world.zhanggong, new_deadline=ZHANGGONG_EXTENSION,
                                  reason="章贡区系统故障", granted_at=NOW - dt.timedelta(days=1))
    return call


def walk_bureau(client, api, call, app) -> dict[str, set[dt.datetime]]:
    """Every place a county bureau sees the deadline of its stage for `app` (to the minute for
    pages that write it out only)."""
    seen: dict[str, set[dt.datetime]] = {}
    detail_url = reverse("review-detail", args=[app.pk])
    queue = client.get(reverse("review-queue"), **EN).content.decode()
    (row,) = rows(queue, f'href="{detail_url}"')
    seen["review queue (to the minute)"] = shown_moments(row.split("<td")[-1])
    page = client.get(detail_url, **EN).content.decode()
    seen["review page: deadline of this stage (to the minute)"] = shown_moments(
        block(page, "Deadline of this stage</dt><dd>", "</dd>"))
    seen["review page: routing, current level (to the minute)"] = shown_moments(
        block(page, '<li class="current">', "</li>"))
    seen["/api/review/applications/<id>/ deadline"] = api_moment(
        api.get(f"/api/review/applications/{app.pk}/").json()["deadline"])
    seen["/api/calls/<code>/ your_deadline"] = api_moment(api.get(f"/api/calls/{call.code}/").json()["your_deadline"])
    home = client.get(reverse("home"), **EN).content.decode()
    seen["home: pending work, next deadlines"] = row_moments(block(home, "review-home", "</section>"), call.title)
    seen["home: your coming stage deadlines"] = row_moments(home.split("Your coming stage deadlines")[1],
                                                           f'href="{reverse("call-detail", args=[call.code])}"')
    deadlines = client.get(reverse("review-deadlines"), **EN).content.decode()
    county_stage = call.stages.get(level=StageLevel.COUNTY)
    (stage_row,) = rows(deadlines, f'data-stage="{county_stage.pk}"')
    seen["deadlines page: your deadline (to the minute)"] = shown_moments(stage_row.split("<td")[4])
    return seen


def test_a_bureaus_stage_deadline_and_extension_agree_between_its_pages_and_the_check(
        world, bureau_call, frozen, client, api_for):
    call = bureau_call
    cases = [
        ("章贡区 (extended)", submitted(world.ent_zg, call), world.county_reviewer, ZHANGGONG_EXTENSION),
        ("南康区 (not extended)", submitted(world.ent_nk, call), world.neighbour_reviewer, COUNTY),
    ]
    report = []
    for label, app, reviewer, expected in cases:
        client.force_login(reviewer)
        for where, moments in walk_bureau(client, api_for(reviewer), call, app).items():
            wanted = {to_minute(expected)} if "to the minute" in where else {expected}
            if moments != wanted:
                report.append(f"{label}: {where} shows {sorted(m.isoformat() for m in moments)}, "
                              f"expected {sorted(m.isoformat() for m in wanted)}")
    assert not report, "\n".join(report)

    for label, app, reviewer, expected in cases:
        frozen.move_to(expected)
        assert check_bureau_deadline(application=app), label
        frozen.move_to(expected + ONE_SECOND)
        refused = check_bureau_deadline(application=app)
        assert not refused and expected.strftime("%Y-%m-%d %H:%M:%S") in refused.reason, label
        with pytest.raises(ValidationError) as late:
            review.application_recommend(actor=actor_for(reviewer), application=app, opinion="同意")
        assert late.value.code == "deadline_passed", label
    frozen.move_to(COUNTY + ONE_SECOND)  # past the general stage, before 章贡区's extension
    zhanggong = cases[0][1]
    review.application_recommend(actor=actor_for(world.county_reviewer), application=zhanggong, opinion="同意")
