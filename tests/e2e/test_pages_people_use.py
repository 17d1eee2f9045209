"""In headless Chromium at 1366×768 on the demo data, with axe-core asserted on every page: the
progress of an application (办件进度) and the public look-up; 我的政策 with the own province first, the
others behind a filter and the check's result in place of the empty-data hint; tables without
one-character columns, the action bar in view on a long page, the home page's counts that add up; a
date picker where dates are entered."""

import pytest

from portal.models import Organization
from submissions.constants import Status
from submissions.models import Application
from tests.e2e.journeys import run_axe, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_progress_steps_and_the_public_look_up(demo, laptop, live_server, artifacts_dir):
    app = Application.objects.get(organization__name="赣州虔东稀土新材料有限公司（演示）")
    page = laptop()
    sign_in(page, live_server.url, "qiandong_filer")
    page.goto(f"{live_server.url}/my/applications/{app.pk}/")
    steps = page.locator("#progress li")
    assert steps.count() == 7
    assert [t.strip().split()[0] for t in steps.all_inner_texts()] == ["填报", "提交", "县级审核", "市级审核",
                                                                         "省级评审", "公示", "结果"]
    current = page.locator("#progress li[aria-current=step]")
    assert current.count() == 1 and "县级审核" in current.inner_text()
    assert page.locator("#progress li[data-step=submit] time").count() == 1
    assert run_axe(page) == []
    page.screenshot(path=f"{artifacts_dir}/progress-01-steps.png")

    anyone = laptop()
    anyone.goto(f"{live_server.url}/progress/")
    assert run_axe(anyone) == []
    anyone.fill("#id_number", app.receipts.get().number)
    anyone.fill("#id_credit_code", app.organization.credit_code)
    with anyone.expect_navigation():
        anyone.click("#progress-form button[type=submit]")
    assert "县级审核" in anyone.locator("#progress-now").inner_text()
    body = anyone.locator("main").inner_text()
    assert app.organization.name not in body and app.call.title not in body
    assert run_axe(anyone) == []
    other = Organization.objects.filter(kind="enterprise").exclude(pk=app.organization_id).first()
    anyone.fill("#id_credit_code", other.credit_code)
    with anyone.expect_navigation():
        anyone.click("#progress-form button[type=submit]")
    assert anyone.locator("#progress-now").count() == 0
    assert anyone.evaluate("document.activeElement.id") == "error-summary"
    anyone.screenshot(path=f"{artifacts_dir}/progress-02-look-up.png")


def test_my_policies_own_province_first_and_the_check_result(demo, laptop, live_server, artifacts_dir):
    page = laptop()
    sign_in(page, live_server.url, "nankang_admin")
    page.goto(f"{live_server.url}/my/policies/")
    own = page.locator("table.policies tbody tr[data-call]").count()
    assert own >= 1
    assert "甘肃" not in page.locator("table.policies tbody").inner_text()
    # the apply button stays on one line
    for box in [b.bounding_box() for b in page.locator("table.policies a.button").all()]:
        assert box["height"] < 48 and box["width"] > box["height"], box
    assert run_axe(page) == []
    field = page.locator("#figures-check input[name^=fig-]").first
    field.fill("1234")
    page.check("#show-others")
    with page.expect_navigation():
        page.click("#figures-check button[type=submit]")
    assert page.locator("table.policies tbody tr[data-call]").count() > own
    basis = page.locator("#figures-basis").inner_text()
    assert "页面上填写的数据" in basis and "尚未填报" not in basis
    assert run_axe(page) == []
    page.screenshot(path=f"{artifacts_dir}/policies-01-checked.png", full_page=True)


def test_layout_at_1366_tables_sticky_actions_and_counts(demo, laptop, live_server, artifacts_dir):
    page = laptop()
    sign_in(page, live_server.url, "zhanggong_head")
    page.goto(f"{live_server.url}/")
    pending = int(page.get_attribute("[data-pending]", "data-pending"))
    listed = [int(n) for n in page.locator(".status-counts .n").all_inner_texts()]
    assert pending == sum(listed) and pending >= 1
    page.goto(f"{live_server.url}/review/")
    narrow = page.evaluate("""() => [...document.querySelectorAll('table.grid th')].filter(th => {
        const text = th.innerText.trim();
        const size = parseFloat(getComputedStyle(th).fontSize);
        return text.length >= 2 && th.getBoundingClientRect().width < 2 * size;
    }).map(th => th.innerText.trim())""")
    assert narrow == []
    # nothing sticks over the list: the middle of each row, scrolled into view, is the row itself
    for row in page.locator("table.grid.queue tbody tr").all():
        row.evaluate("r => r.scrollIntoView({block: 'center'})")
        assert row.evaluate("""r => { const b = r.getBoundingClientRect();
            const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
            return !!hit && r.contains(hit); }""")
    assert run_axe(page) == []
    page.screenshot(path=f"{artifacts_dir}/layout-01-queue.png", full_page=True)

    clerk = laptop()
    sign_in(clerk, live_server.url, "nankang_admin")
    draft = Application.objects.get(organization__name="南康家居智造有限公司（演示）", status=Status.DRAFT)
    clerk.goto(f"{live_server.url}/my/applications/{draft.pk}/edit/")
    assert clerk.evaluate("document.documentElement.scrollHeight") > 3 * 768  # a long page
    clerk.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 3)")
    box = clerk.locator(".submit-bar").bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 768 + 1  # the actions stay in view
    assert clerk.locator("#check-and-submit").is_visible()
    clerk.screenshot(path=f"{artifacts_dir}/layout-02-sticky-actions.png")


def test_a_date_picker_where_dates_are_entered(demo, laptop, live_server, artifacts_dir):
    app = Application.objects.filter(status=Status.SUBMITTED, region__code="360702").order_by("pk").last()
    page = laptop()
    sign_in(page, live_server.url, "zhanggong_reviewer")
    page.goto(f"{live_server.url}/review/applications/{app.pk}/")
    page.wait_for_function("() => document.querySelector('#rt-deadline') && document.querySelector('#rt-deadline')._flatpickr")
    assert page.get_attribute("#rt-deadline", "type") == "text"
    page.click("#rt-deadline")
    calendar = page.locator(".flatpickr-calendar.open")
    assert calendar.is_visible() and "周一" in calendar.inner_text()  # in the page's language
    page.locator(".flatpickr-calendar.open .flatpickr-day:not(.flatpickr-disabled)").last.click()
    assert len(page.input_value("#rt-deadline")) == 10  # YYYY-MM-DD, as the server reads it
    assert run_axe(page) == []
    page.screenshot(path=f"{artifacts_dir}/dates-01-picker.png")
