"""/dashboard/: the figures equal counts taken from the database; each links to the queue
filtered to the same applications; a constant number of queries at two data sizes; XLSX exports."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from portal.access import actor_for
from programs.constants import QuotaScope
from submissions.constants import Status
from submissions.dashboard.selectors import dashboard
from submissions.models import Application, Recommendation
from submissions.review import services as review
from tests.submissions.test_review_support import county_staff, enterprise, review_call, submitted

pytestmark = pytest.mark.django_db


def _fill(world, call, n):
    """n applications in 章贡区 (industry 电子信息), n in 南康区 (装备制造), one in 南昌东湖区; one of
    章贡区's recommended by the county."""
    apps = []
    for _n in range(n):
        zg = enterprise(world.zhanggong)
        zg.industry = "电子信息"
        zg.save(update_fields=["industry"])
        nk = enterprise(world.nankang)
        nk.industry = "装备制造"
        nk.save(update_fields=["industry"])
        apps += [submitted(zg, call), submitted(nk, call)]
    apps.append(submitted(enterprise(world.donghu), call))
    reviewer, _head = county_staff(world, world.zhanggong)
    review.application_recommend(actor=actor_for(reviewer), application=apps[0], opinion="推荐")
    return apps


def _ints(text):
    return [int(x) for x in re.findall(r">(\d+)</a>", text)]


def test_the_provinces_figures_equal_the_database(world, client_for):
    call = review_call(world, code="dash", limit=2, scope=QuotaScope.PER_COUNTY)
    _fill(world, call, 3)
    board = dashboard(actor_for(world.province_officer))
    rows = {r.region.name: r for r in board.regions}
    subs = Application.objects.exclude(status=Status.DRAFT)
    assert rows["赣州市"].submitted == subs.filter(region__city=world.ganzhou).count() == 6
    assert rows["南昌市"].submitted == subs.filter(region__city=world.nanchang).count() == 1
    statuses = {s["status"]: s["count"] for s in board.statuses}
    for status in (Status.SUBMITTED, Status.RECOMMENDED):
        assert statuses[status] == subs.filter(status=status).count()
    industries = {i["industry"]: i["count"] for i in board.industries}
    assert industries["电子信息"] == subs.filter(organization__industry="电子信息").count() == 3

    # the city sees its counties: submitted, recommended (counted against the county's quota), quota
    city = {r.region.name: r for r in dashboard(actor_for(world.city_reviewer)).regions}
    assert city["章贡区"].submitted == subs.filter(region=world.zhanggong).count()
    assert city["章贡区"].recommended == Recommendation.objects.filter(
        quota_region=world.zhanggong, is_active=True).count() == 1
    assert city["章贡区"].quota == 2
    assert "南昌市" not in city and "东湖区" not in city

    # each figure's link opens the queue with exactly that many applications
    client = client_for(world.city_reviewer)
    for key in ("submitted", "recommended"):
        link = city["章贡区"].links[key]
        page = client.get(link).content.decode()
        assert page.count('data-app="') == getattr(city["章贡区"], key), (key, link)

    page = client_for(world.province_officer).get("/dashboard/").content.decode()
    assert 'id="dashboard-data"' in page and "vendor/echarts/echarts.min.js" in page
    assert "<script>" not in page.replace('<script id="dashboard-data" type="application/json">', "")


def test_a_county_sees_only_itself_and_applicants_are_refused(world, client_for):
    call = review_call(world, code="dash-scope")
    _fill(world, call, 2)
    mine = dashboard(actor_for(world.neighbour_reviewer))
    assert [r.region.name for r in mine.regions] == ["南康区"]
    assert mine.regions[0].submitted == 2
    assert sum(s["count"] for s in mine.statuses) == 2
    assert client_for(world.applicant_admin).get("/dashboard/").status_code == 403
    assert client_for(world.applicant_admin).get("/dashboard/regions.xlsx").status_code == 403


def test_the_query_count_does_not_grow_with_the_data(world, client_for, django_assert_num_queries):
    call = review_call(world, code="dash-q", limit=3)
    _fill(world, call, 1)
    client = client_for(world.province_officer)
    client.get("/dashboard/")  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get("/dashboard/").status_code == 200
    other = review_call(world, code="dash-q2", limit=1)
    _fill(world, call, 6)
    _fill(world, other, 4)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get("/dashboard/").status_code == 200


def test_what_a_chart_shows_downloads_as_xlsx(world, client_for):
    call = review_call(world, code="dash-x", limit=2)
    _fill(world, call, 2)
    response = client_for(world.city_reviewer).get(f"/dashboard/regions.xlsx?call={call.pk}")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=3, values_only=True)}
    board = dashboard(actor_for(world.city_reviewer), call_id=call.pk)
    for r in board.regions:
        assert rows[r.region.name][0] == r.submitted and rows[r.region.name][1] == r.recommended
    assert rows["章贡区"][:3] == (2, 1, 2)
    industries = load_workbook(io.BytesIO(client_for(world.city_reviewer).get(
        "/dashboard/industries.xlsx").content)).active
    assert {r[0]: r[1] for r in industries.iter_rows(min_row=3, values_only=True)} == {"电子信息": 2, "装备制造": 2}
    assert client_for(world.city_reviewer).get("/dashboard/nothing.xlsx").status_code == 404


def test_the_province_sees_the_coming_deadlines_of_every_level(world):
    call = review_call(world, code="dash-dl")
    board = dashboard(actor_for(world.province_officer))
    stages = {d["stage"] for d in board.deadlines if d["call"] == call.title}
    assert stages == {"企业申报", "县级审核推荐", "市级推荐"}
    expected = {s.name: s.deadline_at for s in call.stages.all()}
    assert all(d["at"] == expected[d["stage"]] for d in board.deadlines if d["call"] == call.title)
