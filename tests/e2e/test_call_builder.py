"""In headless Chromium: the Gansu provincial officer builds a call in forms (an enterprise filing
stage due 10 working days after a training, a county stage with a fixed deadline added with the
"add a row" button, a county quota that depends on an attribute of the county, a PDF material
slot), previews it as an enterprise of 兰州市城关区, publishes it after confirming, and a Lanzhou
enterprise finds it in 我的政策, accepts the commitment letter, uploads its PDF and submits.
The clock stands at 2026-09-01 (Beijing time) so the deadlines are fixed; screenshots under
test-artifacts/."""

import datetime as dt
import os

import pytest
import time_machine

from portal.constants import Role
from programs.constants import CallStatus, DeadlineKind
from programs.models import Call, ProgramType
from programs.workdays import SHANGHAI
from submissions.constants import Status
from submissions.models import Application, Receipt
from tests.e2e.conftest import login
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.submissions.test_applicant_support import pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = "gs-2026-etc-forms"


def shot(page, artifacts_dir, name):
    path = os.path.join(artifacts_dir, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 10_000
    return path


@pytest.fixture
def frozen(settings):
    # the browser keeps its own clock: a session cookie without an expiry date is not dropped by it
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI), tick=True):
        yield


def test_an_officer_builds_previews_and_publishes_a_call_and_an_enterprise_applies(
        world, frozen, settings, tmp_path, laptop, live_server, artifacts_dir):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    ProgramType.objects.create(code="etc-forms", name="省级企业技术中心", applicant_kinds=["enterprise"])
    page = laptop()
    login(page, live_server, "other_province_officer", PASSWORD)  # 甘肃省工信厅

    # --- the call, in forms ------------------------------------------------------------------
    page.goto(f"{live_server.url}/calls/")
    page.click("#call-build-new")
    page.wait_for_selector("#call-builder")
    page.fill("#id_call-code", CODE)
    page.select_option("#id_call-program", "etc-forms")
    page.fill("#id_call-title", "2026年甘肃省省级企业技术中心申报（表单）")
    page.fill("#id_call-issuer", "甘肃省工业和信息化厅")
    page.fill("#id_call-commitment_text", "告知承诺书：本单位承诺所报材料真实、准确。")
    # the filing stage: 10 working days after the training
    page.select_option("#id_stages-0-level", "applicant")
    page.fill("#id_stages-0-name", "企业提交纸质材料")
    page.select_option("#id_stages-0-deadline_kind", "relative")
    assert page.locator("#f-stages-0-deadline").is_hidden()  # a fixed date is not asked for
    page.fill("#id_stages-0-relative_working_days", "10")
    page.fill("#id_stages-0-event_name", "申报专题培训")
    page.fill("#id_stages-0-event_date", "2026-09-25")
    # a second stage, added with the button
    page.click("#part-stages button.builder-add")
    page.select_option("#id_stages-1-level", "county")
    page.fill("#id_stages-1-name", "县级审核推荐")
    page.select_option("#id_stages-1-deadline_kind", "absolute")
    page.fill("#id_stages-1-deadline", "2026-10-30T17:00")
    # a county quota that depends on the county
    page.select_option("#id_quotas-0-scope", "per_county")
    page.select_option("#id_quotas-0-rule", "conditional")
    page.fill("#id_quotas-0-limit", "2")
    page.select_option("#id_quotas-0-condition_attribute", "has_city_etc_program")
    # a PDF slot
    page.fill("#id_materials-0-code", "application-pdf")
    page.fill("#id_materials-0-name", "申报材料（PDF，盖章扫描件）")
    page.check("#id_materials-0-allowed_types_0")
    page.fill("#id_materials-0-max_size_mb", "20")
    page.click("#builder-save")
    page.wait_for_selector("#call-manage")
    call = Call.objects.get(code=CODE)
    assert call.status == CallStatus.DRAFT and call.province == world.gs
    filing = call.stages.get(order=1)
    assert filing.deadline_kind == DeadlineKind.RELATIVE
    # Friday 09-25 + 10 working days: 国庆 10-01..07 skipped, Saturday 10-10 worked → 10-15
    assert filing.deadline_at == dt.datetime(2026, 10, 15, 23, 59, 59, tzinfo=SHANGHAI)
    assert "2026-10-15 23:59" in page.inner_text("table.stages")
    quota = call.quotas.get()
    assert (quota.scope, quota.rule, quota.limit, quota.condition_attribute) == (
        "per_county", "conditional", 2, "has_city_etc_program")
    assert call.materials.get().allowed_types == ["pdf"]
    shot(page, artifacts_dir, "call-builder-02-draft")

    # --- preview as an enterprise of 兰州市城关区 ---------------------------------------------------
    page.click("#call-preview-link")
    page.wait_for_selector("#preview-form")
    page.click("#preview-form .ts-control")
    page.fill("#preview-form .ts-control input", "城关")
    page.click("#preview-form .ts-dropdown .option:has-text('城关区')")
    assert page.eval_on_selector("#pv-region", "e => e.value") == world.chengguan.code
    page.select_option("#pv-kind", "enterprise")
    page.click("#preview-form button[type=submit]")
    page.wait_for_selector("#applicant-preview")
    assert page.locator("#preview-may-apply").count() == 1
    assert "2026-10-15 23:59" in page.inner_text("#preview-deadline")
    assert "城关区" in page.inner_text("#preview-quotas") and "2" in page.inner_text("#preview-quotas")
    assert "PDF" in page.inner_text("#preview-materials")
    shot(page, artifacts_dir, "call-builder-03-preview-lanzhou")

    # --- publish, after confirming -----------------------------------------------------------
    page.goto(f"{live_server.url}/calls/{CODE}/")
    page.click("#call-publish-link")
    page.wait_for_selector("#call-confirm")
    call.refresh_from_db()
    assert call.status == CallStatus.DRAFT  # asking is not publishing
    shot(page, artifacts_dir, "call-builder-04-confirm")
    page.click("#confirm-publish")
    page.wait_for_selector("#call-manage")
    call.refresh_from_db()
    assert call.status == CallStatus.PUBLISHED
    assert page.locator("#call-build-link").count() == 0  # no more editing in forms

    # --- a Lanzhou enterprise applies ------------------------------------------------------------
    user = UserFactory(username="lanzhou_enterprise")
    membership = MembershipFactory(user=user, organization=world.ent_cg, role=Role.APPLICANT_ADMIN)
    user.active_membership = membership
    user.save(update_fields=["active_membership"])
    ent = laptop()
    login(ent, live_server, "lanzhou_enterprise", PASSWORD)
    ent.goto(f"{live_server.url}/my/policies/")
    policy = ent.locator(f"table.policies tr[data-call='{CODE}']")
    assert policy.get_attribute("class") == "ok"
    policy.locator("a.primary").click()
    ent.wait_for_selector("#commitment")
    assert "本单位承诺所报材料真实" in ent.inner_text("#commitment")
    ent.check("#id_accept")
    ent.click("#commitment button[type=submit]")
    ent.wait_for_selector("#application-form")
    app = Application.objects.get(organization=world.ent_cg, call=call)
    ent.fill('[name="profile.industry"]', "装备制造")
    ent.fill('[name="profile.main_business"]', "石化装备")
    ent.fill('[name="profile.address"]', "兰州市城关区")
    ent.fill('[name="profile.contact_name"]', "李工")
    ent.fill('[name="profile.contact_phone"]', "0931-8123456")
    ent.fill('[name="profile.contact_email"]', "li@example.com")
    ent.fill('[name="summary"]', "企业技术中心成立于2018年，研发人员40人。")
    for key, value in {"main_revenue": "20000", "rd_expenditure": "600", "profit": "1500", "total_staff": "300",
                       "rd_staff": "40"}.items():
        ent.fill(f'[name="figures.2025.{key}"]', value)
    ent.wait_for_selector("#save-state.saved")
    good = tmp_path / "申报材料.pdf"
    good.write_bytes(pdf_bytes(3))
    slot = ent.locator("#m-application-pdf")
    slot.locator("input[type=file]").set_input_files(str(good))
    slot.locator("button[type=submit]").click()
    slot.locator("[data-current] a").wait_for()
    ent.click("#check-and-submit")
    ent.wait_for_selector("#all-clear")
    ent.click("#submit-button")
    ent.wait_for_selector("#receipt")
    shot(ent, artifacts_dir, "call-builder-05-enterprise-receipt")
    assert Receipt.objects.filter(application=app).count() == 1
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
