"""Acceptance, in headless Chromium: a county reviewer returns an application with reasons; the
enterprise reads them and resubmits; the county recommends two; a third under a quota of 2 cannot
be recommended (the page offers no recommendation and names the quota); the head signs off; the city recommends and signs off;
the province approves; the enterprise still sees its application under review at the province
until the province publishes the call's result list; then it sees the result (已认定) in its list
of applications.

The bureaus act through the browser. The enterprise reads the reasons and the result through its
own pages in the browser; its revision and resubmission are made through the workflow in the test
(the applicant's form asks for the full application, which this journey does not fill in).
Screenshots are kept under test-artifacts/."""

import os

import pytest
from django.utils import translation

from portal.constants import OrgKind
from programs.constants import QuotaRule, QuotaScope
from programs.models import Quota, RequiredMaterial
from submissions.constants import Status
from submissions.models import Application, ResultPublication
from tests.e2e.conftest import login
from tests.factories import PASSWORD, OrganizationFactory, fire_as
from tests.submissions.test_review_support import review_call, submitted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page, artifacts_dir, name):
    path = os.path.join(artifacts_dir, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture
def open_as(browser, live_server):
    """Sign a user in, in a browser context of their own; the contexts close before the server stops."""
    contexts = []

    def sign_in(username):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        login(page, live_server, username, PASSWORD)
        return page

    yield sign_in
    for context in contexts:
        context.close()


def test_review_journey(world, open_as, live_server, artifacts_dir):
    call = review_call(world, code="journey")
    quota = Quota.objects.create(call=call, scope=QuotaScope.PER_COUNTY, rule=QuotaRule.FIXED, limit=2,
                                 region=world.zhanggong, source_text="章贡区推荐数量不超过2家")
    RequiredMaterial.objects.create(call=call, code="application-form", name="申报书", order=1)
    third_org = OrganizationFactory(name="章贡丙企业", kind=OrgKind.ENTERPRISE, region=world.zhanggong)
    first = submitted(world.ent_zg, call)
    second = submitted(world.ent_zg2, call)
    third = submitted(third_org, call)

    # 1. the county reviewer returns the first application with reasons
    county = open_as("county_reviewer")
    county.goto(f"{live_server.url}/review/")
    assert county.locator("table.queue tbody tr[data-app]").count() == 3
    shot(county, artifacts_dir, "review-01-county-queue")
    county.click(f'tr[data-app="{first.pk}"] a')
    county.wait_for_load_state("networkidle")
    rows = county.locator("#return-form .reason-row")
    rows.nth(0).locator("input[name=reason_text]").fill("研发费用明细与审计报告不一致，请核对")
    rows.nth(1).locator("select[name=reason_target]").select_option("material:application-form")
    rows.nth(1).locator("input[name=reason_text]").fill("申报书缺少盖章页")
    shot(county, artifacts_dir, "review-02-return-form")
    with county.expect_navigation():
        county.click("#return-form button[type=submit]")
    first.refresh_from_db()
    assert first.status == Status.RETURNED and len(first.return_reasons) == 2

    # 2. the enterprise reads the reasons on its own page, revises and resubmits
    enterprise = open_as("applicant_admin")
    enterprise.goto(f"{live_server.url}/my/applications/{first.pk}/")
    text = enterprise.inner_text("main")
    assert "研发费用明细与审计报告不一致" in text and "申报书缺少盖章页" in text
    shot(enterprise, artifacts_dir, "review-03-enterprise-reads-reasons")
    first.data = {**first.data, "summary": "已补充研发费用明细并加盖公章"}
    first.save(update_fields=["data"])
    fire_as(world.applicant_admin, first, "resubmit")
    first.refresh_from_db()
    assert (first.status, first.level) == (Status.SUBMITTED, "county")

    # 3. the county recommends two; the third is refused, the message names the quota
    for app, score in ((first, "78"), (second, "72")):
        county.goto(f"{live_server.url}/review/applications/{app.pk}/")
        county.fill("#r-score", score)
        county.fill("#r-opinion", "材料真实，同意推荐")
        with county.expect_navigation():
            county.click("#recommend-form button[type=submit]")
        app.refresh_from_db()
        assert app.status == Status.RECOMMENDED
    county.goto(f"{live_server.url}/review/applications/{third.pk}/")
    assert county.get_attribute("dd.quota", "data-used") == "2"
    # the workflow offers no recommendation any more (its quota condition refuses) and says why
    assert county.locator("#recommend-form").count() == 0
    refused = county.inner_text("p.blocked")
    with translation.override("zh-hans"):
        rule = str(quota.describe())
    assert rule in refused and "章贡区" in refused, refused
    shot(county, artifacts_dir, "review-04-third-refused-quota")
    third.refresh_from_db()
    assert third.status == Status.SUBMITTED

    # 4. the county head signs off the batch
    head = open_as("county_head")
    head.goto(f"{live_server.url}/review/sign-off/")
    assert head.locator(f'form.sign-off-batch tr[data-app="{first.pk}"]').count() == 1
    head.fill("form.sign-off-batch textarea[name=opinion]", "同意推荐，请市工信局审核")
    with head.expect_navigation():
        head.click("form.sign-off-batch button[type=submit]")
    # a confirmation page lists the recommendations being signed and the opinion, then it is done
    assert head.locator(f'#confirm tr[data-app="{first.pk}"]').count() == 1
    assert "同意推荐，请市工信局审核" in head.inner_text("#confirm")
    shot(head, artifacts_dir, "review-04b-sign-off-confirm")
    with head.expect_navigation():
        head.click("#confirm-form button[type=submit]")
    first.refresh_from_db()
    assert (first.status, first.level) == (Status.SUBMITTED, "city")

    # 5. the city recommends the first and its head signs off
    city = open_as("city_reviewer")
    city.goto(f"{live_server.url}/review/")
    assert city.locator(f'tr[data-app="{first.pk}"]').count() == 1
    city.goto(f"{live_server.url}/review/applications/{first.pk}/")
    city.fill("#r-score", "80")
    city.fill("#r-opinion", "市级同意推荐")
    with city.expect_navigation():
        city.click("#recommend-form button[type=submit]")
    city_head = open_as("city_head")
    city_head.goto(f"{live_server.url}/review/sign-off/")
    city_head.fill(f'form.sign-off-batch:has(tr[data-app="{first.pk}"]) textarea[name=opinion]', "同意推荐")
    with city_head.expect_navigation():
        city_head.click(f'form.sign-off-batch:has(tr[data-app="{first.pk}"]) button[type=submit]')
    with city_head.expect_navigation():
        city_head.click("#confirm-form button[type=submit]")
    first.refresh_from_db()
    assert (first.status, first.level) == (Status.SUBMITTED, "province")

    # 6. the province approves
    province = open_as("province_officer")
    province.goto(f"{live_server.url}/review/applications/{first.pk}/")
    shot(province, artifacts_dir, "review-05-province-review-file")
    with province.expect_navigation():
        province.click('#decide-form button[value="approve"]')
    with province.expect_navigation():  # confirmed on a page of its own
        province.click("#confirm-form button[type=submit]")
    assert Application.objects.get(pk=first.pk).status == Status.APPROVED

    # 7. the decision is internal until the result list is published: the enterprise still sees it
    #    under review at the province, without the decision
    enterprise.goto(f"{live_server.url}/my/applications/")
    row = enterprise.locator(f'tr[data-app="{first.pk}"]')
    assert "status-under_review" in row.locator(".badge").get_attribute("class")
    assert "已认定" not in row.inner_text()
    enterprise.goto(f"{live_server.url}/my/applications/{first.pk}/")
    assert "已认定" not in enterprise.inner_text("main")

    # 8. the province publishes the call's result list
    province.goto(f"{live_server.url}/review/results/{call.code}/")
    assert province.locator('table.results tr[data-status="approved"]').count() == 1
    with province.expect_navigation():
        province.click("#publish-form button[type=submit]")
    assert ResultPublication.objects.filter(call=call).count() == 0  # not before it is confirmed
    with province.expect_navigation():
        province.click("#confirm-form button[type=submit]")
    assert ResultPublication.objects.filter(call=call).count() == 1

    # 9. the enterprise sees the result in its list of applications (我的业务)
    enterprise.goto(f"{live_server.url}/my/applications/")
    row = enterprise.locator(f'tr[data-app="{first.pk}"]')
    label = row.locator(".badge").inner_text().strip()
    assert label == "已认定", label  # Status.APPROVED ("Recognized") in Chinese
    assert "status-approved" in row.locator(".badge").get_attribute("class")
    enterprise.goto(f"{live_server.url}/review/applications/{first.pk}/timeline/")
    assert enterprise.get_attribute("#app-status", "data-status") == "approved"
    assert enterprise.locator('.app-timeline li[data-action="application.approve"]').count() == 1
    shot(enterprise, artifacts_dir, "review-06-enterprise-sees-result")
