"""Acceptance, in headless Chromium (1366×768): a county reviewer returns an application naming the
申报平台概况 field and one material slot, each with its reason; the enterprise can change exactly
those two (everything else is locked) and reads each reason beside its item; it revises, uploads the
new file and resubmits; the reviewer sees what changed (the field before / after, the replaced
material) with both versions on record; the enterprise's page, the reviewer's page and the packet
cover show the new receipt number (Application.current_receipt). Screenshots: test-artifacts/."""

import io
import os
import re

import pytest
from pypdf import PdfReader

from submissions.constants import Status
from submissions.filing import services
from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    actor,
    make_call,
    media,
    pdf_bytes,
    ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SUMMARY_REASON = "请展开申报平台概况：补充研发团队、仪器设备和近三年主要成果"
MATERIAL_REASON = "申报材料缺少加盖公章的封面页，请上传盖章扫描件"
NEW_SUMMARY = "企业技术中心成立于2015年，现有研发人员30人，其中博士5人；拥有仪器设备原值2000万元；近三年获授权发明专利12件。"


def shot(page, artifacts_dir, name):
    page.screenshot(path=os.path.join(artifacts_dir, f"{name}.png"), full_page=False)


@pytest.fixture
def open_as(browser, live_server):
    contexts = []

    def sign_in(username):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1366, "height": 768})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        login(page, live_server, username, PASSWORD)
        return page

    yield sign_in
    for context in contexts:
        context.close()


def test_targeted_revision(world, media, open_as, live_server, artifacts_dir, tmp_path, eager_tasks):
    call = make_call(world.jx, rubric_code="")
    app = ready(world.applicant_admin, call)
    first = services.application_submit(actor=actor(world.applicant_admin), application=app)
    old_summary = app.data["summary"]

    # 1. the county reviewer names the 申报平台概况 field and the 申报材料 slot, each with its reason
    county = open_as("county_reviewer")
    county.goto(f"{live_server.url}/review/applications/{app.pk}/")
    assert county.inner_text("#receipt-number") == first.number
    rows = county.locator("#return-form .reason-row")
    rows.nth(0).locator("select[name=reason_target]").select_option("field:summary")
    rows.nth(0).locator("input[name=reason_text]").fill(SUMMARY_REASON)
    rows.nth(1).locator("select[name=reason_target]").select_option("material:application-material")
    rows.nth(1).locator("input[name=reason_text]").fill(MATERIAL_REASON)
    options = county.locator("#return-form .reason-row").nth(0).locator("optgroup")
    assert options.count() == 4  # the whole, sections, single fields, materials
    county.click("#return-form [data-add-reason]")  # as many items as needed; a blank row is ignored
    assert county.locator("#return-form .reason-row").count() == 4
    county.locator("#return-form").scroll_into_view_if_needed()
    shot(county, artifacts_dir, "revision-01-return-naming-a-field-and-a-material")
    with county.expect_navigation():
        county.click("#return-form button[type=submit]")
    app.refresh_from_db()
    assert app.status == Status.RETURNED
    assert [(r["target"], r["text"]) for r in app.return_reasons] == [
        ("field:summary", SUMMARY_REASON), ("material:application-material", MATERIAL_REASON)]

    # 2. the enterprise can change exactly those two, and reads each reason beside its item
    ent = open_as("applicant_admin")
    ent.goto(f"{live_server.url}/my/applications/{app.pk}/edit/")
    form = ent.locator("#application-form")
    editable = form.locator("input:not([type=hidden]):enabled, textarea:enabled, select:enabled")
    assert editable.count() == 1 and editable.first.get_attribute("name") == "summary"
    assert form.locator("input:not([type=hidden]):disabled, textarea:disabled, select:disabled").count() > 10
    assert SUMMARY_REASON in ent.inner_text("#f-summary .return-reason")
    assert MATERIAL_REASON in ent.inner_text("#m-application-material .return-reason")
    assert ent.locator("form[data-upload]").count() == 1  # one slot takes a file: the one named
    assert ent.locator("#m-application-material form[data-upload]").count() == 1
    assert ent.locator("#m-evidence form[data-upload]").count() == 0
    ent.locator("#f-summary").scroll_into_view_if_needed()
    shot(ent, artifacts_dir, "revision-02-enterprise-sees-the-reason-beside-the-field")

    ent.fill("#in-f-summary", NEW_SUMMARY)
    ent.click("#application-form button.link-button[type=submit]")  # save now
    ent.wait_for_selector("#save-state[data-state=saved] time")  # the server's answer: saved at …
    scan = tmp_path / "申报材料（盖章）.pdf"
    scan.write_bytes(pdf_bytes(pages=2))
    slot = ent.locator("#m-application-material")
    slot.locator("input[type=file]").set_input_files(str(scan))
    slot.locator("form[data-upload] button[type=submit]").click()
    ent.wait_for_function(
        "() => document.querySelector('#m-application-material [data-current] a')?.textContent.includes('盖章')")
    slot.scroll_into_view_if_needed()
    shot(ent, artifacts_dir, "revision-03-enterprise-replaced-the-material")
    app.refresh_from_db()
    assert app.data["summary"] == NEW_SUMMARY

    ent.goto(f"{live_server.url}/my/applications/{app.pk}/submit/")
    assert ent.locator("#all-clear").count() == 1
    with ent.expect_navigation():
        ent.click("#submit-button")
    app.refresh_from_db()
    second = app.current_receipt()
    assert app.status == Status.SUBMITTED and second != first and app.receipts.count() == 2
    ent.goto(f"{live_server.url}/my/applications/{app.pk}/")
    assert ent.inner_text("#receipt-number") == second.number
    shot(ent, artifacts_dir, "revision-04-enterprise-new-receipt")

    # 3. the reviewer sees the diff, the new receipt and both versions in the timeline
    county.goto(f"{live_server.url}/review/applications/{app.pk}/")
    assert county.inner_text("#receipt-number") == second.number
    diff = county.locator("#resubmission-changes")
    fields = diff.locator("table.changed-fields tbody tr")
    assert fields.count() == 1
    assert fields.first.locator("th").inner_text() == "申报平台概况"
    assert fields.first.locator("td.before").inner_text() == old_summary
    assert fields.first.locator("td.after").inner_text() == NEW_SUMMARY
    materials = diff.locator("table.replaced-materials tbody tr")
    assert materials.count() == 1
    assert [materials.first.locator(c).inner_text() for c in ("th", "td.before", "td.after")] == [
        "申报材料", "申报材料.pdf", "申报材料（盖章）.pdf"]
    versions = diff.locator("ol.versions li").all_inner_texts()
    assert [v.split(" · ")[0] for v in versions] == [first.number, second.number]
    timeline = county.inner_text(".app-timeline")
    assert first.number in timeline and second.number in timeline
    diff.scroll_into_view_if_needed()
    shot(county, artifacts_dir, "revision-05-reviewer-sees-the-diff")

    # 4. the packet cover carries the new receipt number
    county.locator("#packet-panel").scroll_into_view_if_needed()
    with county.expect_navigation():
        county.click("#packet-panel button[type=submit]")
    county.wait_for_selector("#packet-panel[data-status=done]")
    assert second.number in county.inner_text("#packet-panel")
    href = county.get_attribute("#packet-panel a.button.primary", "href")
    response = county.request.get(f"{live_server.url}{href}")
    assert response.ok and response.body()[:5] == b"%PDF-"
    cover = PdfReader(io.BytesIO(response.body())).pages[0].extract_text() or ""
    assert second.number in cover and first.number not in cover, re.sub(r"\s+", " ", cover)[:300]
