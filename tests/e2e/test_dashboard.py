"""In headless Chromium: the dashboard draws its charts (ECharts, served by the portal, as SVG with
the figures), with no script error; a click on a bar opens the queue filtered to that figure."""

import pytest

from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.submissions.test_dashboard import _fill
from tests.submissions.test_review_support import review_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_charts_are_drawn_with_the_figures_and_a_bar_opens_the_queue(world, laptop, live_server, artifacts_dir):
    call = review_call(world, code="e2e-dash", limit=2)
    _fill(world, call, 2)
    page = laptop()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, live_server, "city_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector('[data-chart="regions"][data-drawn="1"] svg')
    for name in ("regions", "statuses", "industries", "deadlines"):
        assert page.locator(f'[data-chart="{name}"] svg').count() == 1, name
    # the bars of the regions chart carry the figures: 章贡区 2 submitted, 南康区 2
    bars = page.locator('[data-chart="regions"] svg path').count()
    assert bars > 4
    svg_text = page.locator('[data-chart="regions"] svg').inner_html()
    assert "章贡区" in svg_text and "南康区" in svg_text
    funnel = page.locator('[data-chart="statuses"] svg').inner_html()
    assert "3" in funnel  # 3 submitted and waiting (one of 4 recommended)
    page.screenshot(path=f"{artifacts_dir}/dashboard-city-1366x768.png", full_page=True)
    assert errors == []

    # a click on the first figure of the table (the same link the chart uses) opens the filtered queue
    page.click('#card-regions a[data-figure="submitted"] >> nth=0')
    page.wait_for_load_state("networkidle")
    assert "/review/" in page.url and "county=" in page.url
    assert page.locator("table.queue tbody tr[data-app]").count() == 2
