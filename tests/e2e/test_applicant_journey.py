"""In headless Chromium: a Ganzhou enterprise registers, the 章贡区 bureau approves the account
(Jiangxi set to require approval, as Guizhou does), the enterprise finds the open call in 我的政策,
accepts the commitment letter, fills the form while the self-score follows its figures, uploads its
materials (a disguised program is refused), submits, reads its receipt and finds the application in
我的业务. A second browser saving the same draft is warned. Screenshots under test-artifacts/."""

import datetime as dt
import os
import re

import pytest
from django.utils import timezone

from portal.creditcode import make_credit_code
from portal.models import Organization
from submissions.constants import Status
from submissions.models import Application, Receipt
from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.submissions.test_applicant_support import RUBRIC_EXTRA, make_call, pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = make_credit_code("91360702MA7654321")
PASSWORD_NEW = "Ganzhou-portal-2026!"


def shot(page, artifacts_dir, name):
    path = os.path.join(artifacts_dir, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 10_000
    return path


@pytest.fixture
def open_call(world):
    year = timezone.localdate().year
    return make_call(world.jx, code=f"jx-{year}-etc-open", year=year,
                     deadline=timezone.now() + dt.timedelta(days=30))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def total(page) -> str:
    return page.inner_text("#self-score-total")


def test_a_ganzhou_enterprise_from_registration_to_my_applications(world, open_call, media, page, browser,
                                                                    live_server, artifacts_dir):
    world.jx.attributes = {**world.jx.attributes, "requires_account_approval": True}
    world.jx.save(update_fields=["attributes"])
    latest = str(open_call.year - 1)

    # --- registration --------------------------------------------------------------------
    page.goto(f"{live_server.url}/register/")
    page.fill("#id_name", "赣州精工机械有限公司")
    page.fill("#id_credit_code", CODE[:-1] + ("0" if CODE[-1] != "0" else "1"))  # a typing error first
    page.select_option("#id_kind", "enterprise")
    page.select_option("#id_region", "360702")
    page.fill("#id_contact_name", "陈工")
    page.fill("#id_contact_phone", "0797-8123456")
    page.fill("#id_contact_email", "chen@example.com")
    page.fill("#id_password1", PASSWORD_NEW)
    page.fill("#id_password2", PASSWORD_NEW)
    page.click("#register-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#field-credit_code .error").count() == 1  # the check character is wrong
    shot(page, artifacts_dir, "10-register-credit-code-error")
    page.fill("#id_credit_code", CODE)
    page.fill("#id_password1", PASSWORD_NEW)
    page.fill("#id_password2", PASSWORD_NEW)
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("#registration-done")
    shot(page, artifacts_dir, "11-registered-awaiting-approval")
    org = Organization.objects.get(credit_code=CODE)
    assert not org.is_approved and org.region == world.zhanggong

    # --- the county bureau approves ----------------------------------------------------
    bureau = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    county = bureau.new_page()
    login(county, live_server, "county_reviewer", PASSWORD)
    county.goto(f"{live_server.url}/registrations/")
    row = county.locator(f"#registrations tr[data-org='{org.pk}']")
    assert "赣州精工机械有限公司" in row.inner_text()
    shot(county, artifacts_dir, "12-county-approval-queue")
    row.locator("button[value=approve]").click()
    county.wait_for_load_state("networkidle")
    org.refresh_from_db()
    assert org.is_approved

    # --- 我的政策 ----------------------------------------------------------------------------
    login(page, live_server, CODE, PASSWORD_NEW)
    assert "赣州精工机械有限公司" in page.inner_text("header")
    page.click("#applicant-home a[href='/my/policies/']")
    page.wait_for_load_state("networkidle")
    policy = page.locator(f"table.policies tr[data-call='{open_call.code}']")
    assert policy.get_attribute("class") == "ok"
    shot(page, artifacts_dir, "13-my-policies")

    # --- the commitment letter ----------------------------------------------------------
    policy.locator("a.primary").click()
    page.wait_for_selector("#commitment")
    assert "告知承诺书" in page.inner_text("#commitment")
    page.check("#id_accept")
    shot(page, artifacts_dir, "14-commitment-letter")
    page.click("#commitment button[type=submit]")
    page.wait_for_selector("#application-form")
    app = Application.objects.get(organization=org)

    # --- the form: the self-score follows the figures ----------------------------------------
    before = total(page)
    page.fill('[name="profile.industry"]', "装备制造")
    page.fill('[name="profile.main_business"]', "数控机床及关键零部件")
    page.fill('[name="summary"]', "企业技术中心成立于2016年，研发人员30人，拥有省级工程研究中心1个。")
    for key, value in {"main_revenue": "10000", "profit": "900", "total_staff": "200", "rd_staff": "30",
                       "new_product_revenue": "4000"}.items():
        page.fill(f'[name="figures.{latest}.{key}"]', value)
    for key, value in RUBRIC_EXTRA.items():
        page.fill(f'[name="inputs.{key}"]', value)
    page.fill(f'[name="figures.{latest}.rd_expenditure"]', "300")
    page.wait_for_function("([id, old]) => document.getElementById(id) && document.getElementById(id).textContent !== old",
                           arg=["self-score-total", before])
    page.wait_for_function("() => !document.querySelector('#score-body .notice-warn')")  # nothing missing any more
    with_300 = total(page)
    page.fill(f'[name="figures.{latest}.rd_expenditure"]', "800")
    page.wait_for_function("([id, old]) => document.getElementById(id).textContent !== old",
                           arg=["self-score-total", with_300])
    with_800 = total(page)
    assert float(with_800) > float(with_300) > float(before or 0)
    page.check('[name="declarations.no-serious-violations"][type=checkbox]')
    page.wait_for_selector("#save-state.saved")
    shot(page, artifacts_dir, "15-form-live-self-score")
    app.refresh_from_db()
    assert app.data["figures"][latest]["rd_expenditure"] == "800" and app.data["declarations"]["no-serious-violations"]

    # --- a second browser saving the same draft is warned; nothing is lost ---------------------
    second = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    other = second.new_page()
    login(other, live_server, CODE, PASSWORD_NEW)
    other.goto(f"{live_server.url}/my/applications/{app.pk}/edit/")
    page.fill('[name="profile.address"]', "章贡区长征大道1号")
    page.wait_for_selector("#save-state.saved")
    other.fill('[name="profile.address"]', "章贡区红旗大道2号")
    other.wait_for_selector("#save-state.conflict")
    conflict_link = other.locator("#save-state a").get_attribute("href")
    shot(other, artifacts_dir, "16-second-browser-warned")
    other.goto(live_server.url + conflict_link)
    text = other.inner_text("table.conflict")
    assert "章贡区长征大道1号" in text and "章贡区红旗大道2号" in text
    shot(other, artifacts_dir, "17-two-versions")
    second.close()
    app.refresh_from_db()
    assert app.data["profile"]["address"] == "章贡区长征大道1号"

    # --- uploads (with a progress bar); a disguised program is refused --------------------------
    exe = media / "申报材料.pdf"
    exe.write_bytes(b"MZ\x90\x00" + b"\x00" * 4000)
    slot = page.locator("#m-application-material")
    slot.locator("input[type=file]").set_input_files(str(exe))
    slot.locator("button[type=submit]").click()
    slot.locator(".upload-error").filter(has_text=re.compile(".+")).wait_for()
    assert "申报材料.pdf" in slot.locator(".upload-error").inner_text()
    good = media / "good" / "申报材料.pdf"
    good.parent.mkdir()
    good.write_bytes(pdf_bytes(5))
    slot.locator("input[type=file]").set_input_files(str(good))
    slot.locator("button[type=submit]").click()
    slot.locator("[data-current] a").wait_for()
    assert slot.locator("progress").evaluate("p => p.value") == 100
    shot(page, artifacts_dir, "18-materials-uploaded")
    assert app.attachments.filter(is_current=True).count() == 1

    # --- submission and receipt -------------------------------------------------------------
    page.wait_for_selector("#save-state.saved")
    page.click("#check-and-submit")
    page.wait_for_selector("#all-clear")
    page.click("#submit-button")
    page.wait_for_selector("#receipt")
    receipt = Receipt.objects.get(application=app)
    assert page.inner_text("#receipt-number") == receipt.number
    assert re.fullmatch(r"[0-9a-f]{64}", page.inner_text("#receipt-fingerprint").strip())
    shot(page, artifacts_dir, "19-receipt")

    # --- 我的业务 ----------------------------------------------------------------------------------
    page.goto(f"{live_server.url}/my/applications/")
    row = page.locator(f"table.applications tr[data-app='{app.pk}']")
    assert receipt.number in row.inner_text()
    assert row.locator(".badge.status-submitted").count() == 1
    shot(page, artifacts_dir, "20-my-applications")
    page.goto(f"{live_server.url}/my/applications/{app.pk}/")
    assert page.locator("#timeline li").count() >= 3
    shot(page, artifacts_dir, "21-application-timeline")
    app.refresh_from_db()
    assert (app.status, app.level) == (Status.SUBMITTED, "county")
    bureau.close()
