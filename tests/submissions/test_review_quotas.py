"""Quotas: checked when a bureau recommends and when its head signs off; the Ganzhou conditional
rule; a city's quota counts the recommendations of all its counties at the city stage; exceptions
granted by a provincial officer; bulk recommendations within quota."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from portal.access import actor_for
from portal.models import AuditEntry
from programs.constants import QuotaScope
from programs.models import Quota
from submissions.constants import Level, Status
from submissions.models import QuotaCounter, Recommendation
from submissions.quotas import QuotaExceeded, quota_status
from submissions.review import services as review
from tests.submissions.test_review_support import at_city, county_staff, enterprise, review_call, submitted

pytestmark = pytest.mark.django_db


def recommend(user, app, opinion="同意推荐"):
    return review.application_recommend(actor=actor_for(user), application=app, opinion=opinion)


def test_ganzhou_rule_a_county_without_a_city_etc_program_recommends_at_most_two(world):
    call = review_call(world, code="q-gz", limit=2, conditional=True)
    reviewer, _head = county_staff(world, world.nankang)
    apps = [submitted(enterprise(world.nankang), call) for _ in range(3)]
    recommend(reviewer, apps[0])
    recommend(reviewer, apps[1])
    with translation.override("en"), pytest.raises(QuotaExceeded) as refused:
        recommend(reviewer, apps[2])
    message = refused.value.messages[0]
    with translation.override("en"):
        rule = str(call.quotas.get().describe())
    assert message.startswith("Quota reached") and rule in message and "南康区" in message and "2 of 2" in message
    apps[2].refresh_from_db()
    assert apps[2].status == Status.SUBMITTED
    assert Recommendation.objects.filter(quota_region=world.nankang).count() == 2
    assert QuotaCounter.objects.get(call=call, region=world.nankang, level=Level.COUNTY).used == 2


def test_ganzhou_rule_a_county_with_a_city_etc_program_is_not_limited(world):
    call = review_call(world, code="q-zg", limit=2, conditional=True)
    for org in (world.ent_zg, world.ent_zg2, enterprise(world.zhanggong)):
        recommend(world.county_reviewer, submitted(org, call))
    status = quota_status(call=call, region=world.zhanggong, level=Level.COUNTY)
    assert status.unlimited and status.used == 3 and status.remaining is None


def test_a_citys_quota_counts_the_recommendations_of_all_its_counties(world):
    call = review_call(world, code="q-city", limit=2, scope=QuotaScope.PER_CITY)
    apps = [at_city(world, org, call) for org in (world.ent_zg, world.ent_nk, world.ent_kfq)]
    assert all(a.level == Level.CITY for a in apps)  # no county quota: all three reach the city
    recommend(world.city_reviewer, apps[0])
    recommend(world.city_reviewer, apps[1])
    with pytest.raises(QuotaExceeded) as refused:
        recommend(world.city_reviewer, apps[2])
    assert "赣州市" in refused.value.messages[0]
    status = quota_status(call=call, region=world.ganzhou, level=Level.CITY)
    assert (status.used, status.limit, status.remaining) == (2, 2, 0)
    # 南昌 has its own places
    other = at_city(world, world.ent_nc, call)
    recommend(world.other_city_reviewer, other)


def test_a_provincial_exception_adds_places_and_is_audited(world):
    call = review_call(world, code="q-exc", limit=1)
    a, b = submitted(world.ent_zg, call), submitted(world.ent_zg2, call)
    recommend(world.county_reviewer, a)
    with pytest.raises(QuotaExceeded):
        recommend(world.county_reviewer, b)
    for intruder in ("county_head", "city_head", "other_province_officer", "operator", "applicant_admin"):
        with pytest.raises(PermissionDenied):
            review.quota_exception_grant(actor=actor_for(getattr(world, intruder)), call=call,
                                         region=world.zhanggong, extra=1, reason="x")
    with pytest.raises(ValidationError):
        review.quota_exception_grant(actor=actor_for(world.province_officer), call=call, region=world.zhanggong,
                                     extra=1, reason="")
    with pytest.raises(ValidationError):  # a region of another province
        review.quota_exception_grant(actor=actor_for(world.province_officer), call=call, region=world.chengguan,
                                     extra=1, reason="x")
    review.quota_exception_grant(actor=actor_for(world.province_officer), call=call, region=world.zhanggong,
                                 extra=1, reason="重点产业链企业")
    entry = AuditEntry.objects.get(action="quota.exception")
    assert entry.actor == world.province_officer and entry.comment == "重点产业链企业" and entry.data["extra"] == 1
    recommend(world.county_reviewer, b)
    status = quota_status(call=call, region=world.zhanggong, level=Level.COUNTY)
    assert (status.used, status.limit, status.extra) == (2, 2, 1)


def test_the_head_sign_off_checks_the_quota_again(world):
    call = review_call(world, code="q-sign", limit=2)
    apps = [submitted(org, call) for org in (world.ent_zg, world.ent_zg2)]
    for app in apps:
        recommend(world.county_reviewer, app)
    Quota.objects.filter(call=call).update(limit=1)  # the province lowered the quota meanwhile
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        review.sign_off_batch(actor=actor_for(world.county_head), call=call)
    assert "2 recommendations for 1 places" in refused.value.messages[0]
    for app in apps:
        app.refresh_from_db()
        assert app.status == Status.RECOMMENDED  # nothing signed off
    review.quota_exception_grant(actor=actor_for(world.province_officer), call=call, region=world.zhanggong,
                                 extra=1, reason="保留已推荐名额")
    review.sign_off_batch(actor=actor_for(world.county_head), call=call)
    apps[0].refresh_from_db()
    assert apps[0].level == Level.CITY


def test_bulk_recommendation_is_all_or_nothing_within_the_quota(world):
    call = review_call(world, code="q-bulk", limit=2)
    apps = [submitted(org, call) for org in (world.ent_zg, world.ent_zg2, enterprise(world.zhanggong))]
    with translation.override("en"), pytest.raises(QuotaExceeded) as refused:
        review.applications_recommend(actor=actor_for(world.county_reviewer), applications=apps, opinion="同意")
    assert "3 recommendations do not fit in the 2 remaining" in refused.value.messages[0]
    assert not Recommendation.objects.exists()
    outcome = review.applications_recommend(actor=actor_for(world.county_reviewer), applications=apps[:2],
                                            opinion="同意")
    assert len(outcome.done) == 2
    assert QuotaCounter.objects.get(call=call, region=world.zhanggong).used == 2


def test_bulk_selection_outside_the_scope_is_refused(world):
    call = review_call(world, code="q-bulk-scope")
    mine, theirs = submitted(world.ent_zg, call), submitted(world.ent_nk, call)
    with pytest.raises(PermissionDenied):
        review.applications_recommend(actor=actor_for(world.county_reviewer), applications=[mine, theirs],
                                      opinion="同意")
    mine.refresh_from_db()
    assert mine.status == Status.SUBMITTED
