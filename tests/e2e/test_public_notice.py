"""In headless Chromium: an anonymous visitor reads a call's public notice of results and files an
objection with its evidence; the provincial officer finds it and answers it."""

import datetime as dt

import pytest

from portal.access import actor_for
from submissions.models import Objection
from submissions.review import services as review
from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.submissions.test_applicant_support import pdf_bytes
from tests.submissions.test_result_embargo import at_province, decide
from tests.submissions.test_review_support import review_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_anonymous_visitor_objects_and_the_province_answers(world, laptop, live_server, artifacts_dir, tmp_path):
    call = review_call(world, code="e2e-notice")
    decide(world, at_province(world, world.ent_zg, call), "approve")
    review.results_publish(actor=actor_for(world.province_officer), call=call, note="现予公示。",
                           publicity_working_days=5)
    page = laptop()
    page.goto(f"{live_server.url}/public/results/{call.code}/")
    assert "章贡甲企业" in page.locator("#recognized").inner_text()
    assert page.locator("#publicity-period").inner_text()
    evidence = tmp_path / "证明材料.pdf"
    evidence.write_bytes(pdf_bytes())
    page.fill("#o-name", "李四")
    page.fill("#o-contact", "lisi@example.com")
    page.fill("#o-text", "该企业研发人员数据与社保记录不符。")
    page.set_input_files("#o-file", str(evidence))
    page.screenshot(path=f"{artifacts_dir}/public-notice-1366x768.png", full_page=True)
    page.click("#objection-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".messages").count() == 1
    objection = Objection.objects.get()
    assert objection.original_name == "证明材料.pdf" and objection.contact == "lisi@example.com"

    officer = laptop()
    login(officer, live_server, "province_officer", PASSWORD)
    officer.goto(f"{live_server.url}/review/objections/")
    card = officer.locator(f'[data-objection="{objection.pk}"]')
    assert "社保记录不符" in card.inner_text()
    card.locator("textarea[name=answer]").fill("经核查，人员数据以社保记录为准，已要求企业说明。")
    card.locator("form[action$='/answer/'] button").click()
    officer.wait_for_load_state("networkidle")
    officer.screenshot(path=f"{artifacts_dir}/objections-answered-1366x768.png", full_page=True)
    objection.refresh_from_db()
    assert objection.status == "answered" and objection.answered_at is not None
    assert objection.answered_at - objection.filed_at < dt.timedelta(hours=1)
