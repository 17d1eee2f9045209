"""In headless Chromium: the review queue's filter form updates the table in place (htmx: hx-get,
the table partial, the URL pushed so it can be bookmarked and the back button works), the counts per
status follow; without JavaScript the same form loads the whole page with the same result."""

import pytest

from tests.e2e.conftest import login, mark_page, page_was_reloaded
from tests.factories import PASSWORD
from tests.submissions.test_review_support import enterprise, review_call, submitted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(world):
    call = review_call(world, code="e2e-queue")
    return call, [submitted(world.ent_zg, call), submitted(world.ent_zg2, call),
                  submitted(enterprise(world.zhanggong, "章贡丙材料企业"), call)]


def rows(page) -> list[str]:
    return page.locator("table.queue tbody tr[data-app]").evaluate_all("trs => trs.map(tr => tr.dataset.app)")


def test_the_filter_form_updates_the_table_and_the_url_without_a_reload(world, queue, laptop, live_server,
                                                                          artifacts_dir):
    call, apps = queue
    page = laptop()
    login(page, live_server, "county_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/review/")
    assert len(rows(page)) == 3
    mark_page(page)
    partials = []
    page.on("request", lambda r: partials.append(r) if "/review/?" in r.url and r.headers.get("hx-request") else None)

    # a name typed and Enter: the table alone is replaced, the URL says what is shown
    page.fill("#f-q", "章贡乙")
    page.press("#f-q", "Enter")
    page.wait_for_function("() => document.querySelectorAll('table.queue tbody tr[data-app]').length === 1")
    assert rows(page) == [str(apps[1].pk)]
    assert "q=%E7%AB%A0%E8%B4%A1%E4%B9%99" in page.url  # 章贡乙
    assert page.locator("#status-counts .n").first.inner_text() == "1"  # the counts follow (out of band)
    assert not page_was_reloaded(page) and partials
    page.evaluate("() => document.getElementById('queue-filters').scrollIntoView()")  # the form and the table
    page.screenshot(path=f"{artifacts_dir}/htmx-04-queue-filtered-1366x768.png")

    # a select applies at once
    page.fill("#f-q", "")
    page.select_option("#f-sort", "name")
    page.wait_for_function("() => document.querySelectorAll('table.queue tbody tr[data-app]').length === 3")
    assert "sort=name" in page.url and not page_was_reloaded(page)

    # the bookmarked URL gives the same table as a page
    page.goto(f"{live_server.url}/review/?q=章贡乙")
    assert rows(page) == [str(apps[1].pk)] and page.input_value("#f-q") == "章贡乙"

    # the "select all" box (a static script, no inline handler) ticks and clears every row
    page.check("table.queue thead input[data-select-all]")
    assert page.locator("#bulk-form input[name=selected]:checked").count() == 1
    page.uncheck("table.queue thead input[data-select-all]")
    assert page.locator("#bulk-form input[name=selected]:checked").count() == 0

    # back: the previous state, fetched again as a whole page (no copy of the page kept in the browser)
    page.go_back()
    page.wait_for_function("() => document.querySelectorAll('table.queue tbody tr[data-app]').length === 3")
    assert "sort=name" in page.url
    assert page.evaluate("() => localStorage.getItem('htmx-history-cache')") is None


def test_the_filter_form_works_without_javascript(world, queue, laptop, live_server, artifacts_dir):
    call, apps = queue
    page = laptop(java_script_enabled=False)
    page.goto(f"{live_server.url}/accounts/login/?next=/review/")
    page.fill("#id_username", "county_reviewer")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")  # (without JavaScript the language form's button shows first)
    assert len(rows(page)) == 3
    page.fill("#f-q", "章贡乙")
    with page.expect_navigation():
        page.click("#queue-filters button[type=submit]")
    assert "q=" in page.url and rows(page) == [str(apps[1].pk)]
    assert not page.locator("#queue-loading").is_visible()
    page.evaluate("() => document.getElementById('queue-filters').scrollIntoView()")
    page.screenshot(path=f"{artifacts_dir}/htmx-05-queue-filtered-without-js-1366x768.png")
