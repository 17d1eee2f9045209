"""In headless Chromium at 1366×768: registration reads the county from the credit code into a
searchable picker grouped by province and city; after a wrong check character the form keeps what
was typed (passwords excepted), shows the error summary and the message beside the field, and the
focus lands on the field in error. axe-core finds no serious or critical violation on the way."""

import pytest

from portal.creditcode import make_credit_code
from portal.models import Organization
from tests.e2e.journeys import run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GOOD = make_credit_code("91620102MA71X5D3R")
WRONG = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")


def fill_registration(page, code):
    page.fill("#id_name", "兰州测试装备有限公司")
    page.fill("#id_credit_code", code)
    page.fill("#id_contact_name", "王工")
    page.fill("#id_contact_phone", "0931-8123456")
    page.fill("#id_contact_email", "wang@example.com")
    page.fill("#id_password1", "Lz-secret-2026!")
    page.fill("#id_password2", "Lz-secret-2026!")


def test_region_from_credit_code_and_focus_on_the_field_in_error(seeded, laptop, live_server, artifacts_dir):
    page = laptop()
    page.goto(f"{live_server.url}/register/")
    assert run_axe(page) == []
    # the picker: Tom Select over the native select, grouped by province · city, in code order
    groups = page.eval_on_selector_all("#id_region optgroup", "gs => gs.map(g => g.label)")
    assert groups.index("江苏省 · 南京市") < groups.index("江苏省 · 无锡市") < groups.index("江苏省 · 南通市")
    assert "甘肃省 · 兰州市" in groups
    assert page.locator(".ts-wrapper").count() == 1

    fill_registration(page, WRONG)
    page.wait_for_function("() => document.querySelector('#id_region').value === '620102'")
    assert "城关区" in page.locator(".ts-wrapper .item").inner_text()
    page.screenshot(path=f"{artifacts_dir}/register-01-region-from-code.png")
    with page.expect_navigation():
        page.click("#register-form button[type=submit]")
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'id_credit_code'")
    # what was typed is kept, passwords excepted; the region chosen from the code is kept too
    assert page.input_value("#id_credit_code") == WRONG
    assert page.input_value("#id_name") == "兰州测试装备有限公司"
    assert page.input_value("#id_contact_phone") == "0931-8123456"
    assert page.input_value("#id_region") == "620102"
    assert page.input_value("#id_password1") == "" and page.input_value("#id_password2") == ""
    # the summary at the top links to the field; the same message stands beside it
    summary = page.locator("#error-summary")
    assert summary.is_visible() and summary.locator("a[href='#id_credit_code']").count() == 1
    message = page.locator("#id_credit_code_error").inner_text().strip()
    assert "校验" in message and message in summary.inner_text()
    assert "id_credit_code_error" in page.get_attribute("#id_credit_code", "aria-describedby")
    assert page.get_attribute("#id_credit_code", "aria-invalid") == "true"
    assert run_axe(page) == []
    page.screenshot(path=f"{artifacts_dir}/register-02-wrong-check-character.png")

    # the summary's link moves the focus to the field
    page.focus("#id_name")
    summary.locator("a").first.click()
    assert page.evaluate("document.activeElement.id") == "id_credit_code"

    page.fill("#id_credit_code", GOOD)
    page.fill("#id_password1", "Lz-secret-2026!")
    page.fill("#id_password2", "Lz-secret-2026!")
    with page.expect_navigation():
        page.click("#register-form button[type=submit]")
    org = Organization.objects.get(credit_code=GOOD)
    assert org.region.code == "620102" and org.contact_phone == "0931-8123456"


def test_several_errors_focus_the_summary_whose_links_focus_each_field(seeded, laptop, live_server):
    page = laptop()
    page.goto(f"{live_server.url}/register/")
    page.fill("#id_credit_code", WRONG)
    page.fill("#id_password1", "Lz-secret-2026!")
    page.fill("#id_password2", "something-else-2026")
    with page.expect_navigation():
        page.click("#register-form button[type=submit]")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'error-summary'")
    links = page.locator("#error-summary a[data-field]")
    assert links.count() >= 4
    targets = [links.nth(i).get_attribute("data-field") for i in range(links.count())]
    assert {"id_name", "id_credit_code", "id_password2"} <= set(targets)
    page.locator("#error-summary a[data-field='id_password2']").click()
    assert page.evaluate("document.activeElement.id") == "id_password2"
    assert page.locator("#id_password2_error").inner_text().strip() in page.locator("#error-summary").inner_text()
    assert run_axe(page) == []


def test_a_refused_submission_focuses_the_summary_whose_links_focus_each_field(demo, laptop, live_server,
                                                                               artifacts_dir):
    from submissions.constants import Status
    from submissions.models import Application
    from tests.e2e.journeys import sign_in

    app = Application.objects.get(organization__name="南康家居智造有限公司（演示）", status=Status.DRAFT)
    page = laptop()
    sign_in(page, live_server.url, "nankang_admin")
    page.goto(f"{live_server.url}/my/applications/{app.pk}/submit/")
    button = page.locator("#submit-button")
    if button.is_enabled():
        with page.expect_navigation():
            button.click()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'error-summary'")
    assert run_axe(page) == []
    page.screenshot(path=f"{artifacts_dir}/submit-01-summary.png")
    links = page.locator("#error-summary a[data-field]")
    assert links.count() >= 1
    first = links.first
    anchor, message = first.get_attribute("data-field"), first.inner_text().strip()
    with page.expect_navigation():
        first.click()
    page.wait_for_load_state("load")
    page.wait_for_function("(a) => document.activeElement && document.activeElement.closest('#' + a)", arg=anchor)
    focused = page.evaluate("document.activeElement.id") or "focused"
    page.evaluate("(id) => { if (!document.activeElement.id) document.activeElement.id = id; }", focused)
    assert page.evaluate("(a) => !!document.activeElement.closest('#' + a)", anchor)
    beside = page.locator(f"#err-{anchor}").inner_text().strip()
    assert beside and beside in message
    assert f"err-{anchor}" in page.get_attribute(f"#{focused}", "aria-describedby")
    assert page.get_attribute(f"#{focused}", "aria-invalid") == "true"
    # the same items stand in a summary at the top of the form
    assert message in page.locator("#error-summary").inner_text()
    assert run_axe(page) == []
    page.screenshot(path=f"{artifacts_dir}/submit-02-field-focused.png")
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_a_refused_review_form_puts_its_message_in_focus_at_the_top(demo, laptop, live_server):
    from submissions.constants import Status
    from submissions.models import Application
    from tests.e2e.journeys import sign_in

    app = Application.objects.filter(status=Status.SUBMITTED, region__code="360702").order_by("pk").first()
    page = laptop()
    sign_in(page, live_server.url, "zhanggong_reviewer")
    page.goto(f"{live_server.url}/review/applications/{app.pk}/")
    page.evaluate("document.querySelectorAll('#return-form [required]').forEach(e => e.removeAttribute('required'))")
    with page.expect_navigation():
        page.click("#return-form button[type=submit]")
    page.wait_for_function("() => document.activeElement && document.activeElement.classList.contains('messages')")
    assert page.locator(".messages .msg-error").count() >= 1
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    assert run_axe(page) == []
