"""Every page of the four journeys (enterprise clerk, county reviewer, city reviewer, provincial
officer), on the demo data, in headless Chromium at 1366×768: axe-core (pinned, served by the portal)
finds 0 serious or critical violations; nothing internal reaches the screen (Django's default object
names, snake_case keys, codes with versions); a skip link is the first stop of the keyboard and leads
to the main landmark."""

import pytest

from tests.e2e.journeys import INTERNAL, JOURNEYS, prepare, sign_in, walk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_internal_patterns_catch_what_they_should():
    samples = ["CommitmentAcceptance object (5)", "研发经费支出 (rd_expenditure)", "gansu-2022-etc v1",
               "主营业务收入 figures.2025.main_revenue"]
    for sample in samples:
        assert any(p.search(sample) for p, _what in INTERNAL), sample
    assert not any(p.search("主营业务收入 2025 万元 · 第1版") for p, _what in INTERNAL)


@pytest.mark.parametrize("journey,username", JOURNEYS)
def test_every_page_of_the_journey_passes_axe_and_shows_nothing_internal(demo, laptop, live_server, journey,
                                                                         username):
    prepare(journey)
    page = laptop()
    visits = walk(page, live_server.url, username)
    assert len(visits) >= 6, [v.url for v in visits]
    if journey != "enterprise-clerk":  # every reviewer reaches an application at its level
        assert any("/review/applications/" in v.url for v in visits), [v.url for v in visits]
    problems = {v.url: {"axe": v.axe, "internal": v.internal} for v in visits if v.axe or v.internal}
    assert problems == {}


def test_the_skip_link_is_the_first_tab_stop_and_reaches_main(demo, laptop, live_server):
    page = laptop()
    sign_in(page, live_server.url, "zhanggong_reviewer")
    page.goto(f"{live_server.url}/review/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    landmarks = page.evaluate("""() => ['header', 'nav', 'main', 'footer'].map(t => document.querySelectorAll(t).length)""")
    assert landmarks[0] >= 1 and landmarks[1] >= 1 and landmarks[2] == 1 and landmarks[3] >= 1


@pytest.mark.parametrize("journey,username", [JOURNEYS[0], JOURNEYS[1]])
def test_the_journey_in_english_shows_nothing_internal_either(demo, laptop, live_server, journey, username):
    page = laptop()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    visits = walk(page, live_server.url, username)
    assert page.evaluate("document.documentElement.lang") == "en"
    problems = {v.url: {"axe": v.axe, "internal": v.internal} for v in visits if v.axe or v.internal}
    assert problems == {}
