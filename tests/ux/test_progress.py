"""办件进度: the steps of an application derived from its route, its state and the audit entries the
applicant may read (the result embargo applies), and the public look-up by receipt number plus credit
code, which shows the current step and nothing else, and is limited per address."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from portal.access import actor_for
from submissions.progress import LOOKUPS_PER_WINDOW, application_progress, current_step
from submissions.review import services as review
from tests.factories import fire_as
from tests.submissions.test_review_support import at_city, review_call, submitted

pytestmark = pytest.mark.django_db


def with_receipt(app):
    """The receipt the filing service gives on submission (the support helper fires the transition only)."""
    from django.utils import timezone

    from submissions.models import Receipt

    return Receipt.objects.create(application=app, number=f"360000-20261201-{app.pk:06d}-01",
                                  submitted_at=timezone.now(), fingerprint="0" * 64, snapshot={}).number


def states(app):
    return {s.key: s.state for s in application_progress(app)}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_submitted_application_is_at_the_county_with_its_dates(world):
    call = review_call(world, code="progress-a")
    app = submitted(world.ent_zg, call)
    steps = application_progress(app)
    assert [s.key for s in steps] == ["fill", "submit", "county", "city", "province", "publicity", "result"]
    assert [str(s.label) for s in steps] == ["填报", "提交", "县级审核", "市级审核", "省级评审", "公示", "结果"]
    assert states(app) == {"fill": "done", "submit": "done", "county": "current", "city": "todo",
                           "province": "todo", "publicity": "todo", "result": "todo"}
    by_key = {s.key: s for s in steps}
    assert by_key["submit"].at is not None and by_key["county"].at == by_key["submit"].at
    assert current_step(steps).key == "county"


def test_signed_off_by_the_county_it_is_at_the_city_and_returned_shows_its_note(world):
    call = review_call(world, code="progress-b")
    app = at_city(world, world.ent_zg, call)
    assert states(app)["county"] == "done" and states(app)["city"] == "current"
    fire_as(world.city_reviewer, app, "return", changes={"return_reasons": ["补充材料"]})
    app.refresh_from_db()
    city = {s.key: s for s in application_progress(app)}["city"]
    assert city.state == "current" and str(city.note) == "退回修改"


def test_the_province_decision_shows_only_once_the_result_list_is_published(world):
    call = review_call(world, code="progress-c")
    app = at_city(world, world.ent_zg, call)
    review.application_recommend(actor=actor_for(world.city_reviewer), application=app, opinion="市级推荐")
    review.sign_off_batch(actor=actor_for(world.city_head), call=call, applications=[app.pk])
    app.refresh_from_db()
    assert states(app)["province"] == "current"
    fire_as(world.province_officer, app, "approve")
    app.refresh_from_db()
    assert states(app)["province"] == "current" and states(app)["result"] == "todo"  # embargoed
    review.results_publish(actor=actor_for(world.province_officer), call=call)
    steps = {s.key: s for s in application_progress(app)}
    assert steps["province"].state == steps["publicity"].state == steps["result"].state == "done"
    assert str(steps["result"].note) == "已认定" and steps["publicity"].at is not None


def test_not_recommended_by_the_county_ends_there(world):
    call = review_call(world, code="progress-d")
    app = submitted(world.ent_zg, call)
    fire_as(world.county_reviewer, app, "reject", comment="不符合条件")
    app.refresh_from_db()
    s = states(app)
    assert s["county"] == "done" and s["city"] == "skipped" and s["province"] == "skipped"
    assert s["publicity"] == "skipped" and s["result"] == "done"


def test_the_applicants_page_shows_the_steps_with_the_current_one(world, client_for):
    call = review_call(world, code="progress-e")
    app = submitted(world.ent_zg, call)
    html = client_for(world.applicant_admin).get(reverse("applicant-application", args=[app.pk])).content.decode()
    assert 'data-step="county" aria-current="step"' in html
    assert html.count("class=\"step step-") == 7


def test_the_public_look_up_needs_both_and_shows_the_current_step_only(world, client):
    call = review_call(world, code="progress-f")
    app = submitted(world.ent_zg, call)
    number = with_receipt(app)
    url = reverse("progress-lookup")
    found = client.get(url, {"number": number, "credit_code": world.ent_zg.credit_code}).content.decode()
    assert 'id="progress-now"' in found and "县级审核" in found
    assert world.ent_zg.name not in found and call.title not in found and "章贡" not in found
    wrong_code = client.get(url, {"number": number, "credit_code": world.ent_zg2.credit_code}).content.decode()
    no_receipt = client.get(url, {"number": number + "9", "credit_code": world.ent_zg.credit_code}).content.decode()
    assert 'id="progress-now"' not in wrong_code and 'id="progress-now"' not in no_receipt
    message = "没有与该回执编号和统一社会信用代码相符的申报。"
    assert message in wrong_code and message in no_receipt  # the same answer: nothing to tell them apart


def test_the_public_look_up_is_limited_per_address(world, client):
    call = review_call(world, code="progress-g")
    app = submitted(world.ent_zg, call)
    number = with_receipt(app)
    url = reverse("progress-lookup")
    for i in range(LOOKUPS_PER_WINDOW):
        assert client.get(url, {"number": f"guess-{i}", "credit_code": "X"}).status_code == 200
    refused = client.get(url, {"number": number, "credit_code": world.ent_zg.credit_code})
    assert refused.status_code == 429 and 'id="progress-now"' not in refused.content.decode()
    other = client.get(url, {"number": number, "credit_code": world.ent_zg.credit_code},
                       REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200 and 'id="progress-now"' in other.content.decode()
