"""In headless Chromium: the county ranking table of a published quarter as a county bureau reads it."""

from pathlib import Path

import pytest
from django.conf import settings

from portal.access import actor_for
from scoring.counties import services
from scoring.services import rubric_fixture_load
from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.scoring.test_county_rounds import figures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_county_reads_the_published_ranking(world, laptop, live_server, artifacts_dir):
    rubric_fixture_load(path=Path(settings.BASE_DIR) / "fixtures/rubrics/ganzhou-2023-county.yaml")
    city = actor_for(world.city_reviewer)
    round_ = services.county_round_open(actor=city, city=world.ganzhou, year=2026, quarter=4)
    for county, ind in ((world.zhanggong, "5"), (world.nankang, "6"), (world.kaifaqu, "4")):
        services.county_figures_save(actor=city, round_=round_, county=county, inputs=figures(ind=ind))
    services.county_round_publish(actor=city, round_=round_)
    page = laptop()
    login(page, live_server, "neighbour_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/evaluation/counties/")
    page.click(f'[data-round="{round_.pk}"] a')
    page.wait_for_load_state("networkidle")
    rows = page.locator('table[data-class="class1"] tbody tr')
    assert rows.count() == 3
    assert rows.first.get_attribute("data-county") == world.nankang.code
    assert page.locator("#publish-ranking").count() == 0
    page.screenshot(path=f"{artifacts_dir}/county-ranking-1366x768.png", full_page=True)
