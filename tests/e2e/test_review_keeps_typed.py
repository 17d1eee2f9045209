"""What a reviewer typed survives a refusal: a score out of bounds is refused, the page comes back
with the refusal, the score and the opinion typed are in their fields again, and the refusal links
to the field (the link moves the focus there). Nothing typed is kept after a success."""

import pytest
from playwright.sync_api import expect

from submissions.constants import Status
from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.submissions.test_review_support import review_call, submitted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_refused_recommendation_keeps_the_score_and_opinion_typed(world, laptop, live_server):
    app = submitted(world.ent_zg, review_call(world, code="keep-typed", limit=3))
    page = laptop()
    login(page, live_server, "county_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/review/applications/{app.pk}/")
    page.fill("#r-score", "150")
    page.fill("#r-opinion", "研发投入稳定，建议推荐。")
    page.click("#recommend-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    refusal = page.locator(".messages .msg-error")
    expect(refusal).to_be_visible()
    app.refresh_from_db()
    assert app.status != Status.RECOMMENDED  # refused: nothing changed
    assert page.input_value("#r-score") == "150"
    assert page.input_value("#r-opinion") == "研发投入稳定，建议推荐。"
    link = refusal.locator("a.kept-link")
    expect(link).to_have_text("回到您填写的内容")
    link.click()
    assert page.evaluate("() => document.activeElement.id") == "r-score"

    # corrected and sent again: recommended, and nothing typed comes back on a later visit
    page.fill("#r-score", "85")
    page.click("#recommend-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED
    page.goto(f"{live_server.url}/review/applications/{app.pk}/")
    assert page.locator("a.kept-link").count() == 0
