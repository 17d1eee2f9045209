"""In headless Chromium, under the strict Content-Security-Policy: no page reports a violation, and
the behaviour moved out of on*="" attributes still works (select all, language switch, print)."""

import pytest

from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.submissions.test_review_support import review_call, submitted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pages_run_under_the_policy_without_violations(world, laptop, live_server, artifacts_dir):
    call = review_call(world, code="e2e-csp")
    apps = [submitted(world.ent_zg, call), submitted(world.ent_zg2, call)]
    page = laptop()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    login(page, live_server, "county_reviewer", PASSWORD)
    for path in ("/", "/review/", f"/review/applications/{apps[0].pk}/", "/accounts/", "/api/docs/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/review/")
    page.check("input[data-select-all]")
    assert page.locator("#bulk-form input[name=selected]:checked").count() == 2
    page.uncheck("input[data-select-all]")
    assert page.locator("#bulk-form input[name=selected]:checked").count() == 0
    page.screenshot(path=f"{artifacts_dir}/csp-review-queue-1366x768.png")
    # the language menu submits itself (was onchange="this.form.submit()")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=20000)
    assert violations == [], violations
