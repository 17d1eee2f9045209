"""In headless Chromium: the rubric page of 甘肃省企业技术中心自评表 shows the table as the notice
prints it, in Chinese, and its calculator follows the figures typed. Screenshots under test-artifacts/."""

import io
import os

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_gansu_etc_rubric_page_in_the_browser(world, page, live_server, artifacts_dir):
    call_command("load_rubrics", stdout=io.StringIO())
    page.goto(f"{live_server.url}/rubrics/gansu-2022-etc/")
    table = page.inner_text("table.rubric-table >> nth=0")
    for text in ("创新投入", "创新经费", "研发人员人均研发经费支出", "低于 10 万元不得分"):
        assert text in table, text
    path = os.path.join(artifacts_dir, "30-rubric-gansu-etc.png")
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 20_000
    assert page.locator("#calc-result .calc-totals").count() == 0  # nothing typed, nothing scored
    page.fill("#in-rd_expenditure", "290")
    page.fill("#in-main_revenue", "10000")
    page.wait_for_selector("#calc-result .calc-totals")
    first = page.get_attribute("#calc-result .calc-totals", "data-base")
    page.fill("#in-rd_staff", "20")  # 290/20 = 14.5万元 per head: one more point
    page.wait_for_function(
        "b => document.querySelector('#calc-result .calc-totals').dataset.base !== b", arg=first)
    second = page.get_attribute("#calc-result .calc-totals", "data-base")
    assert float(second) > float(first)
    page.screenshot(path=os.path.join(artifacts_dir, "31-rubric-calculator.png"), full_page=True)
