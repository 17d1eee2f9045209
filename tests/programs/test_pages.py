"""The call catalogue and the call page, as a user sees them."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from portal.models import Region
from programs.workdays import end_of_day
from tests.factories import CallFactory, ProgramTypeFactory, StageFactory

pytestmark = pytest.mark.django_db


def page(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content.decode()


def test_ganzhou_batch_27_page_shows_acceptance_and_upload_dates(seeded, client):
    html = page(client, reverse("call-detail", args=["jx-2024-etc-batch27"]))
    assert "2024-04-22 23:59" in html
    assert "2024-04-26 23:59" in html
    assert html.index("2024-04-22 23:59") < html.index("2024-04-26 23:59")  # stages in order
    assert "顾宏诚" in html and "0797-8991169" in html  # contact
    assert "不超过" in html or "2" in html
    # the countdown carries the exact instant in Beijing time
    assert 'data-deadline="2024-04-22T23:59:59+08:00"' in html


def test_gansu_etc_page_shows_quota_of_five_per_city_and_conditions(seeded, client):
    html = page(client, reverse("call-detail", args=["gs-2022-etc"]))
    assert re.search(r"每个市（州）.{0,10}5", html), "quota of 5 per city missing"
    assert "各市州推荐名额不超过5个" in html  # the notice's own words
    assert "200" in html and "2%" in html
    assert "2022-04-30 23:59" in html and "2022-04-20 23:59" in html


def test_ganzhou_quota_depends_on_the_county(seeded, client_for, world):
    # world's 章贡区 runs a city-level ETC program (attribute set), 南康区 does not
    zg = client_for(world.county_reviewer)
    html = page(zg, reverse("call-detail", args=["jx-2024-etc-batch27"]))
    assert "您所在地区：不限" in html
    nk = client_for(world.neighbour_reviewer)
    html = page(nk, reverse("call-detail", args=["jx-2024-etc-batch27"]))
    assert "您所在地区：最多 2" in html


def test_guizhou_relative_deadline_is_shown_as_pending(seeded, client):
    html = page(client, reverse("call-detail", args=["gz-2022-mic-pilot"]))
    assert "2022-07-29 23:59" in html
    assert "申报专题培训" in html and "10" in html


def test_catalogue_filters(seeded, client):
    all_calls = page(client, reverse("call-list"))
    assert "江西" in all_calls and "甘肃" in all_calls
    gansu = Region.objects.get(code="620000")
    html = page(client, reverse("call-list"), province=gansu.pk)
    assert "甘肃" in html and "赣州" not in html
    closed = page(client, reverse("call-list"), state="closed")
    assert "gs-2022-etc" in closed  # 2022 deadlines have passed
    opened = page(client, reverse("call-list"), state="open")
    assert "gs-2022-etc" not in opened
    assert "jx-2024-mic-application" in opened  # rolling: always open while published
    before = page(client, reverse("call-list"), deadline_before="2022-05-01")
    assert "gs-2022-etc" in before and "jx-2024-etc-batch27" not in before
    bad = client.get(reverse("call-list"), {"deadline_before": "not-a-date"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 200 and "有效" in bad.content.decode()


def test_open_call_with_future_deadline_is_open_and_counts_down(world, client):
    program = ProgramTypeFactory(code="etc", name="省级企业技术中心")
    call = CallFactory(code="future", province=world.jx, program=program, title="未来的通知")
    StageFactory(call=call, deadline_at=end_of_day(dt.date(2030, 1, 10)))
    html = page(client, reverse("call-list"), state="open")
    assert "未来的通知" in html
    detail = page(client, reverse("call-detail", args=["future"]))
    assert 'class="countdown" data-deadline="2030-01-10T23:59:59+08:00"' in detail


@pytest.mark.parametrize("rows", [5, 50])
def test_catalogue_query_count_does_not_grow_with_rows(world, client, rows, django_assert_max_num_queries):
    program = ProgramTypeFactory(code="etc", name="省级企业技术中心")
    for i in range(rows):
        call = CallFactory(code=f"c{i}", province=world.jx, program=program)
        StageFactory(call=call, deadline_at=end_of_day(dt.date(2030, 1, 10)))
    with django_assert_max_num_queries(8):
        client.get(reverse("call-list"))


def test_english_is_available(seeded, client):
    response = client.get(reverse("call-detail", args=["gs-2022-etc"]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Stages and deadlines" in html and "Recommendation quota" in html


HOME_EXPECTATIONS = {
    "applicant_admin": "您所在省份正在受理的申报",
    "county_reviewer": "本级环节的截止时间",
    "city_reviewer": "本级环节的截止时间",
    "province_officer": "待发布的申报通知",
    "operator": "平台运维",
}


@pytest.mark.parametrize("role,expected", HOME_EXPECTATIONS.items())
def test_home_page_tells_each_role_what_to_do(world, client_for, role, expected):
    html = page(client_for(getattr(world, role)), reverse("home"))
    assert expected in html


def test_bureau_home_lists_only_its_provinces_stage_deadlines(world, client_for):
    program = ProgramTypeFactory(code="etc", name="省级企业技术中心")
    jx = CallFactory(code="jx-future", province=world.jx, program=program, title="江西未来通知")
    gs = CallFactory(code="gs-future", province=world.gs, program=program, title="甘肃未来通知")
    for call in (jx, gs):
        StageFactory(call=call, level="county", name="县级审核推荐", deadline_at=end_of_day(dt.date(2030, 1, 10)))
    lanzhou_only = StageFactory(call=jx, level="county", name="只给兰州的环节", region=world.lanzhou,
                                deadline_at=end_of_day(dt.date(2030, 1, 11)))
    html = page(client_for(world.county_reviewer), reverse("home"))
    assert "江西未来通知" in html and "甘肃未来通知" not in html
    assert lanzhou_only.name not in html
