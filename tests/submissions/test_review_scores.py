"""The bureau's initial score: bounded by the call's rubric (0-100 without one), required when the
call says so, and held to the notice's conditions that bind the bureau (seed 000: 初评得分不低于60分),
on one recommendation and on a bulk one (a score per row) - through the API and the queue page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine

from portal.models import AuditEntry
from programs.models import Call
from scoring.selectors import resolve_rubric
from submissions.conditions import bureau_score_decision, score_bounds, score_required
from submissions.constants import Status
from submissions.documents.summary import summary_rows
from submissions.models import Recommendation, Review
from tests.submissions.test_review_support import enterprise, review_call, submitted

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
CONDITION = "企业技术中心初评得分不低于60分"
IN_BATCH_27 = dt.datetime.fromisoformat("2024-04-10T10:00:00+08:00")  # before the county's deadline (4月22日)


def _recommend(api, app, **body):
    return api.post(f"/api/review/applications/{app.pk}/recommend/", {"opinion": "同意推荐", **body}, format="json",
                    **EN)


def test_a_score_out_of_bounds_is_refused_without_a_rubric(world, api_for):
    call = review_call(world, code="sc-bounds")
    app = submitted(world.ent_zg, call)
    api = api_for(world.county_reviewer)
    for score in ("150", "-5", "100.01"):
        r = _recommend(api, app, score=score)
        assert r.status_code == 400, score
        assert "between 0 and 100" in r.json()[0]
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED or app.status == Status.UNDER_REVIEW
    assert not Recommendation.objects.filter(application=app).exists()
    assert not Review.objects.filter(application=app, score__isnull=False).exists()
    r = _recommend(api, app, score="100")
    assert r.status_code == 200 and r.json()["status"] == "recommended"
    assert r.json()["reviews"][0]["score"] == "100.00"


def test_the_bound_is_the_rubrics_maximum(world):
    call = review_call(world, code="sc-rubric", rubric_code="gansu-2022-etc")
    top = Decimal(resolve_rubric("gansu-2022-etc").rubric.total_max)
    assert top > 100  # the awards bonus lies outside the 100
    assert score_bounds(call) == (Decimal("0"), top)
    assert bureau_score_decision(call, top)
    assert not bureau_score_decision(call, top + Decimal("0.01"))
    assert not bureau_score_decision(call, Decimal("-0.01"))
    plain = review_call(world, code="sc-plain")
    assert score_bounds(plain) == (Decimal("0"), Decimal("100"))
    assert bureau_score_decision(plain, None)  # not required: the call does not say so


def test_a_score_is_required_when_the_call_says_so(world, api_for):
    call = review_call(world, code="sc-required")
    call.bureau_score_required = True
    call.save(update_fields=["bureau_score_required"])
    app = submitted(world.ent_zg, call)
    api = api_for(world.county_reviewer)
    r = _recommend(api, app)
    assert r.status_code == 400 and "requires the bureau's initial score" in r.json()[0]
    assert not Recommendation.objects.filter(application=app).exists()
    assert _recommend(api, app, score="70").status_code == 200


def test_the_ganzhou_condition_is_data_on_the_call(seeded):
    call = Call.objects.get(code="jx-2024-etc-batch27")
    assert call.bureau_score_required and score_required(call)
    condition = call.conditions.get(input_key="initial_score")
    assert CONDITION in condition.text and condition.threshold == 60
    gansu = Call.objects.get(code="gs-2022-etc")
    assert not gansu.bureau_score_required and not score_required(gansu)


@time_machine.travel(IN_BATCH_27, tick=True)
def test_59_is_refused_quoting_the_condition_and_75_accepted(seeded, world, api_for):
    call = Call.objects.get(code="jx-2024-etc-batch27")
    app = submitted(world.ent_zg, call)
    api = api_for(world.county_reviewer)
    r = _recommend(api, app, score="59")
    assert r.status_code == 400
    assert CONDITION in r.json()[0] and "59" in r.json()[0]
    r = api.post(f"/api/review/applications/{app.pk}/recommend/", {"opinion": "同意", "score": "59"}, format="json",
                 **ZH)
    assert r.status_code == 400 and "不满足通知的条件" in r.json()[0] and CONDITION in r.json()[0]
    r = _recommend(api, app, score=59.999)  # not rounded up to meet the condition
    assert r.status_code == 400
    r = _recommend(api, app)  # no score at all
    assert r.status_code == 400 and "requires the bureau's initial score" in r.json()[0]
    assert not AuditEntry.objects.filter(action="application.recommend").exists()
    r = _recommend(api, app, score="75")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "recommended" and r.json()["reviews"][0]["score"] == "75.00"
    entry = AuditEntry.objects.get(action="application.recommend")
    assert entry.data["score"] == "75.00"


@time_machine.travel(IN_BATCH_27, tick=True)
def test_bulk_recommend_takes_a_score_per_row_and_refuses_rows_without_one(seeded, world, api_for):
    call = Call.objects.get(code="jx-2024-etc-batch27")
    a, b = submitted(world.ent_zg, call), submitted(world.ent_zg2, call)
    c = submitted(enterprise(world.zhanggong, "章贡丙企业"), call)
    api = api_for(world.county_reviewer)
    url = "/api/review/applications/bulk-recommend/"
    r = api.post(url, {"ids": [a.pk, b.pk, c.pk], "opinion": "同意", "scores": {str(a.pk): "75"}}, format="json",
                 **EN)
    assert r.status_code == 400
    text = " ".join(r.json())
    assert "章贡乙企业" in text and "章贡丙企业" in text and "章贡甲企业" not in text  # the rows lacking a score
    assert not Recommendation.objects.exists()  # all or none
    r = api.post(url, {"ids": [a.pk, b.pk, c.pk], "opinion": "同意",
                       "scores": {str(a.pk): "75", str(b.pk): "59", str(c.pk): "88"}}, format="json", **EN)
    assert r.status_code == 400 and CONDITION in " ".join(r.json()) and "章贡乙企业" in " ".join(r.json())
    assert not Recommendation.objects.exists()
    r = api.post(url, {"ids": [a.pk, b.pk], "opinion": "同意", "scores": {str(a.pk): "150", str(b.pk): "60"}},
                 format="json", **EN)
    assert r.status_code == 400 and "章贡甲企业" in " ".join(r.json())
    r = api.post(url, {"ids": [a.pk, b.pk, c.pk], "opinion": "同意",
                       "scores": {str(a.pk): "75", str(b.pk): "60", str(c.pk): "88.5"}}, format="json", **EN)
    assert r.status_code == 200, r.content
    assert sorted(r.json()["done"]) == sorted([a.pk, b.pk, c.pk])
    # the county summary table (seed 000 附件1, 材料初评分) shows each score, highest first
    rows = summary_rows(call, world.zhanggong)
    assert [(row.name, row.score) for row in rows] == [
        ("章贡丙企业", Decimal("88.50")), ("章贡甲企业", Decimal("75.00")), ("章贡乙企业", Decimal("60.00"))]


@time_machine.travel(IN_BATCH_27, tick=True)
def test_the_queue_prefills_each_row_with_the_bureaus_score(seeded, world, client_for):
    from portal.access import actor_for
    from submissions.review import services

    call = Call.objects.get(code="jx-2024-etc-batch27")
    a, b = submitted(world.ent_zg, call), submitted(world.ent_zg2, call)
    services.review_start(actor=actor_for(world.county_reviewer), application=a)
    Review.objects.create(application=a, level=a.level, reviewer=world.county_reviewer, score=Decimal("72.50"))
    client = client_for(world.county_reviewer)
    page = client.get("/review/").content.decode()
    assert re.search(rf'name="score_{a.pk}" value="72\.50?"', page)  # prefilled with the bureau's score
    assert f'name="score_{b.pk}" value=""' in page
    r = client.post("/review/bulk/", {"action": "recommend", "selected": [a.pk, b.pk], "opinion": "同意",
                                      f"score_{a.pk}": "59.999", f"score_{b.pk}": "66"}, follow=True)
    assert "评分最多保留两位小数" in r.content.decode() and not Recommendation.objects.exists()
    # b's row left blank: refused by name, nothing recommended
    r = client.post("/review/bulk/", {"action": "recommend", "selected": [a.pk, b.pk], "opinion": "同意",
                                      f"score_{a.pk}": "72.50", f"score_{b.pk}": ""}, follow=True)
    assert "章贡乙企业" in r.content.decode()
    assert not Recommendation.objects.exists()
    r = client.post("/review/bulk/", {"action": "recommend", "selected": [a.pk, b.pk], "opinion": "同意",
                                      f"score_{a.pk}": "72.50", f"score_{b.pk}": "66"}, follow=True)
    assert Recommendation.objects.count() == 2
    assert dict(Review.objects.values_list("application_id", "score")) == {a.pk: Decimal("72.50"),
                                                                           b.pk: Decimal("66.00")}


def test_the_requirement_and_the_condition_bind_the_initial_score_the_bounds_every_bureau(world, api_for):
    from programs.constants import ConditionKind
    from programs.models import EligibilityCondition
    from tests.submissions.test_review_support import at_city

    call = review_call(world, code="sc-city")
    EligibilityCondition.objects.create(call=call, order=1, code="initial-score", kind=ConditionKind.THRESHOLD,
                                        text=CONDITION, input_key="initial_score", comparator=">=", threshold="60")
    assert score_required(call)  # a hard condition on the initial score asks for one
    app = submitted(world.ent_zg, call)
    county = api_for(world.county_reviewer)
    assert _recommend(county, app).status_code == 400
    assert CONDITION in _recommend(county, app, score="40").json()[0]
    call.conditions.all().delete()  # the county's recommendation (at_city) needs no score now
    later = at_city(world, world.ent_zg2, call)
    EligibilityCondition.objects.create(call=call, order=1, code="initial-score", kind=ConditionKind.THRESHOLD,
                                        text=CONDITION, input_key="initial_score", comparator=">=", threshold="60")
    city = api_for(world.city_reviewer)
    assert "between 0 and 100" in _recommend(city, later, score="150").json()[0]
    r = _recommend(city, later, score="40")  # the city's score is not the initial one
    assert r.status_code == 200 and r.json()["status"] == "recommended"


@time_machine.travel(IN_BATCH_27, tick=True)
def test_the_recommend_form_states_the_score_rule(seeded, world, client_for):
    call = Call.objects.get(code="jx-2024-etc-batch27")
    app = submitted(world.ent_zg, call)
    page = client_for(world.county_reviewer).get(f"/review/applications/{app.pk}/").content.decode()
    rule = re.search(r'<div class="small muted" id="r-score-rule">(.*?)</div>', page, re.S).group(1)
    assert "取值 0 至 100。" in rule and "本通知要求必填。" in rule and CONDITION in rule
    assert re.search(r'<input id="r-score"[^>]* required>', page)
