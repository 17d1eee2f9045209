"""In headless Chromium: sign in, read the home page, filter the catalogue, read a call page,
switch language and role. Screenshots are kept under test-artifacts/."""

import os

import pytest

from portal.constants import Role
from tests.e2e.conftest import login
from tests.factories import PASSWORD, MembershipFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page, artifacts_dir, name):
    path = os.path.join(artifacts_dir, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 10_000
    return path


def test_catalogue_and_call_page_in_the_browser(seeded, world, page, live_server, artifacts_dir):
    page.goto(live_server.url + "/")
    assert "省级技术创新平台申报" in page.content()
    shot(page, artifacts_dir, "01-home-anonymous")

    login(page, live_server, "county_reviewer", PASSWORD)
    assert "本级环节的截止时间" in page.content()
    assert "章贡区工信局" in page.inner_text("header")
    shot(page, artifacts_dir, "02-home-county-reviewer")

    page.goto(live_server.url + "/calls/")
    page.select_option("#id_province", label="甘肃省")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    rows = page.inner_text("table.calls")
    assert "甘肃" in rows and "赣州" not in rows
    shot(page, artifacts_dir, "03-catalogue-gansu")

    page.goto(live_server.url + "/calls/jx-2024-etc-batch27/")
    text = page.inner_text("main")
    assert "2024-04-22 23:59" in text and "2024-04-26 23:59" in text
    assert "已截止" in page.inner_text("table.stages")  # the countdown script ran
    assert "您所在地区：不限" in text  # 章贡区 runs a city-level ETC program in this world
    shot(page, artifacts_dir, "04-call-ganzhou-batch27")

    page.goto(live_server.url + "/calls/gs-2022-etc/")
    assert "各市州推荐名额不超过5个" in page.inner_text("#quota + ul")
    shot(page, artifacts_dir, "05-call-gansu-etc")

    with page.expect_navigation():
        page.select_option("header select[name=language]", "en")
    assert "Stages and deadlines" in page.content()
    shot(page, artifacts_dir, "06-call-gansu-etc-english")


def test_role_switch_in_the_browser(world, page, live_server, artifacts_dir):
    second = MembershipFactory(user=world.county_reviewer, organization=world.bureau_gz, role=Role.BUREAU_REVIEWER)
    login(page, live_server, "county_reviewer", PASSWORD)
    with page.expect_navigation():
        page.select_option("#role-switch select", str(second.pk))
    assert "赣州市工信局" in page.inner_text("#role-switch")
    assert "您当前的身份是" in page.content()
    world.county_reviewer.refresh_from_db()
    assert world.county_reviewer.active_membership_id == second.pk
    shot(page, artifacts_dir, "07-role-switched")
