"""Quotas anyone can read: per region the rule, the limit, the use, what remains and why a region
is unlimited; the recommend controls disabled with the reason when no place remains; a quota panel
at each level (the city's row counting all its counties); the county's score and the deadline in
the city's queue."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from portal.access import actor_for
from programs.constants import QuotaScope
from submissions.constants import Level, Status
from submissions.models import Recommendation, Review
from submissions.quotas import quota_status
from submissions.review import services as review
from tests.submissions.test_review_support import at_city, county_staff, enterprise, review_call, submitted

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def row_of(html: str, region_code: str) -> str:
    found = re.search(rf'<tr data-call="\d+" data-region="{region_code}"[^>]*>.*?</tr>', html, re.S)
    assert found, f"no quota row for {region_code}"
    return found.group(0)


def recommend(user, app):
    return review.application_recommend(actor=actor_for(user), application=app, opinion="同意推荐")


def test_an_unlimited_county_says_why(world, client_for):
    call = review_call(world, code="qp-zg", limit=2, conditional=True)
    submitted(world.ent_zg, call)
    status = quota_status(call=call, region=world.zhanggong, level=Level.COUNTY)
    assert status.unlimited and "章贡区" in status.unlimited_reason
    html = client_for(world.county_reviewer).get(reverse("review-queue"), **ZH).content.decode()
    row = row_of(html, world.zhanggong.code)
    assert "已开展市级企业技术中心建设" in row  # the reason, beside 不限
    assert "不超过" in row or "至多" in row or "2" in row  # the rule itself is shown too
    assert 'class="remaining">不限' in row.replace("\n", "")


def test_a_full_quota_disables_recommendation_with_the_reason(world, client_for):
    call = review_call(world, code="qp-nk", limit=2, conditional=True)
    reviewer, _head = county_staff(world, world.nankang)
    apps = [submitted(enterprise(world.nankang), call, self_score=Decimal(70)) for _ in range(3)]
    client = client_for(reviewer)

    # with room: the controls are live, the panel counts 2 remaining of a limit of 2
    html = client.get(reverse("review-queue"), **ZH).content.decode()
    row = row_of(html, world.nankang.code)
    assert '<td class="num limit">2</td>' in row and '<td class="num used">0</td>' in row
    assert 'id="recommend-refused"' not in html
    assert 'value="recommend" class="primary">' in html
    assert 'id="recommend-form"' in client.get(reverse("review-detail", args=[apps[2].pk])).content.decode()

    recommend(reviewer, apps[0])
    recommend(reviewer, apps[1])
    html = client.get(reverse("review-queue"), **ZH).content.decode()
    row = row_of(html, world.nankang.code)
    assert '<td class="num used">2</td>' in row and ">0 <span" in row  # no place left, and it says so
    assert re.search(r'value="recommend" class="primary" disabled', html)
    refused = re.search(r'<p class="notice-warn small" id="recommend-refused">(.*?)</p>', html, re.S).group(1)
    assert "南康区" in refused and "2" in refused
    page = client.get(reverse("review-detail", args=[apps[2].pk]), **ZH).content.decode()
    assert 'id="recommend-form"' not in page  # no live form ...
    assert 'id="recommend-disabled"' in page and "disabled" in page  # ... a disabled one with the reason
    assert "南康区" in re.search(r'id="recommend-refused">(.*?)</p>', page, re.S).group(1)
    # and the refusal holds when forced
    response = client.post(reverse("review-recommend", args=[apps[2].pk]), {"opinion": "x", "score": "70"})
    assert response.status_code in (302, 200)
    apps[2].refresh_from_db()
    assert apps[2].status == Status.SUBMITTED
    assert Recommendation.objects.filter(application=apps[2]).count() == 0


def test_the_city_panel_counts_all_its_counties_and_shows_the_county_score(world, client_for):
    call = review_call(world, code="qp-city", limit=2, scope=QuotaScope.PER_CITY)
    apps = [at_city(world, org, call, self_score=Decimal(66)) for org in (world.ent_zg, world.ent_nk)]
    recommend(world.city_reviewer, apps[0])  # one of 章贡区, then one of 南康区
    recommend(world.city_reviewer, apps[1])
    html = client_for(world.city_reviewer).get(reverse("review-queue") + "?stage=all", **ZH).content.decode()
    city = row_of(html, world.ganzhou.code)
    assert '<td class="num used">2</td>' in city and '<td class="num limit">2</td>' in city
    assert 'id="recommend-refused"' in html  # the city's own quota is used up
    # the county's score is shown to the city
    county = Review.objects.get(application=apps[0], level=Level.COUNTY)
    county.score = Decimal("77.50")
    county.save(update_fields=["score"])
    html = client_for(world.city_reviewer).get(reverse("review-queue") + "?stage=all", **ZH).content.decode()
    shown = re.search(rf'<tr data-app="{apps[0].pk}".*?county-score">(.*?)</div>', html, re.S).group(1)
    assert shown.startswith("县级初评") and Decimal(shown.split()[-1]) == Decimal("77.5")
    # the province's panel reads the cities' quotas
    html = client_for(world.province_officer).get(reverse("review-queue") + "?stage=all", **ZH).content.decode()
    assert '<td class="num used">2</td>' in row_of(html, world.ganzhou.code)


def test_a_stage_the_call_does_not_set_says_so_instead_of_a_dash(world, client_for):
    from programs.models import Stage

    call = review_call(world, code="qp-nodl")
    Stage.objects.filter(call=call, level="city").delete()
    at_city(world, world.ent_zg, call)
    html = client_for(world.city_reviewer).get(reverse("review-queue") + "?stage=all", **ZH).content.decode()
    assert 'class="muted no-deadline"' in html


def test_the_api_says_the_rule_the_reason_and_the_refusal(world, api_for):
    call = review_call(world, code="qp-api", limit=1, conditional=True)
    reviewer, _head = county_staff(world, world.nankang)
    app = submitted(enterprise(world.nankang), call)
    submitted(world.ent_zg, call)
    rows = api_for(world.city_reviewer).get(f"/api/review/quotas/?call={call.code}",
                                            HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    by_region = {r["region"]: r for r in rows}
    zg = by_region[world.zhanggong.code]
    assert zg["unlimited"] is True and "已开展市级企业技术中心建设" in zg["unlimited_reason"]
    assert zg["refusal"] == "" and zg["full"] is False
    recommend(reviewer, app)
    rows = api_for(world.city_reviewer).get(f"/api/review/quotas/?call={call.code}",
                                            HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    nk = {r["region"]: r for r in rows}[world.nankang.code]
    assert (nk["limit"], nk["used"], nk["remaining"], nk["full"]) == (1, 1, 0, True)
    assert "南康区" in nk["refusal"] and nk["unlimited_reason"] == ""
