"""A bureau takes back a recommendation before its head signs it off: the application is under
review again, its quota place is free, the reason is on record; after the sign-off it cannot."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal.access import actor_for
from portal.models import AuditEntry
from submissions.constants import Level, Status
from submissions.models import QuotaCounter, Recommendation
from submissions.quotas import QuotaExceeded, quota_status
from submissions.review import services as review
from tests.submissions.test_review_support import county_staff, enterprise, review_call, submitted

pytestmark = pytest.mark.django_db


def recommend(user, app):
    return review.application_recommend(actor=actor_for(user), application=app, opinion="同意推荐")


def withdraw(user, app, reason="材料存疑，撤回推荐"):
    return review.application_withdraw_recommendation(actor=actor_for(user), application=app, reason=reason)


@pytest.fixture
def full_quota(world):
    """南康区 under the Ganzhou rule (at most 2), with both places used."""
    call = review_call(world, code="wd-gz", limit=2, conditional=True)
    reviewer, head = county_staff(world, world.nankang)
    apps = [submitted(enterprise(world.nankang), call) for _ in range(3)]
    recommend(reviewer, apps[0])
    recommend(reviewer, apps[1])
    return call, reviewer, head, apps


def test_withdrawing_frees_the_place_and_keeps_the_reason(world, full_quota):
    call, reviewer, _head, apps = full_quota
    with pytest.raises(QuotaExceeded):
        recommend(reviewer, apps[2])
    withdraw(reviewer, apps[0])
    apps[0].refresh_from_db()
    assert (apps[0].status, apps[0].level) == (Status.UNDER_REVIEW, Level.COUNTY)
    assert quota_status(call=call, region=world.nankang, level=Level.COUNTY).used == 1
    assert QuotaCounter.objects.get(call=call, region=world.nankang, level=Level.COUNTY).used == 1
    entry = AuditEntry.objects.get(action="application.withdraw_recommendation", object_id=str(apps[0].pk))
    assert entry.comment == "材料存疑，撤回推荐" and entry.from_state.startswith("recommended")
    recommend(reviewer, apps[2])  # the freed place is used by another
    assert Recommendation.objects.filter(quota_region=world.nankang, is_active=True).count() == 2


def test_a_reason_is_required_and_nothing_changes_without_it(world, full_quota):
    _call, reviewer, _head, apps = full_quota
    with pytest.raises(ValidationError):
        withdraw(reviewer, apps[0], reason="  ")
    apps[0].refresh_from_db()
    assert apps[0].status == Status.RECOMMENDED
    assert Recommendation.objects.filter(application=apps[0], is_active=True).count() == 1


def test_after_the_sign_off_it_cannot_be_withdrawn(world, full_quota):
    call, reviewer, head, apps = full_quota
    review.sign_off_batch(actor=actor_for(head), call=call, applications=[apps[0].pk])
    with pytest.raises(PermissionDenied):  # it is with the city now
        withdraw(reviewer, apps[0])
    apps[0].refresh_from_db()
    assert apps[0].level == Level.CITY and apps[0].status == Status.SUBMITTED


def test_another_county_or_the_applicant_cannot_withdraw(world, full_quota, client_for, api_for):
    _call, _reviewer, _head, apps = full_quota
    for intruder in (world.county_reviewer, world.other_city_reviewer):
        with pytest.raises(PermissionDenied):
            withdraw(intruder, apps[0])
    url = reverse("review-withdraw-recommendation", args=[apps[0].pk])
    assert client_for(world.county_reviewer).post(url, {"reason": "x"}).status_code in (403, 404)
    assert api_for(world.lanzhou_reviewer).post(
        f"/api/review/applications/{apps[0].pk}/withdraw-recommendation/", {"reason": "x"},
        format="json").status_code in (403, 404)
    apps[0].refresh_from_db()
    assert apps[0].status == Status.RECOMMENDED


def test_through_the_page_and_the_api(world, full_quota, client_for, api_for):
    _call, reviewer, _head, apps = full_quota
    detail = client_for(reviewer).get(reverse("review-detail", args=[apps[0].pk])).content.decode()
    assert 'id="withdraw-recommendation-form"' in detail
    assert 'id="withdraw-recommendation-form"' not in client_for(reviewer).get(
        reverse("review-detail", args=[apps[2].pk])).content.decode()  # not recommended: nothing to withdraw
    page = client_for(reviewer).post(reverse("review-withdraw-recommendation", args=[apps[0].pk]),
                                     {"reason": "企业申请撤回"})
    assert page.status_code == 302
    apps[0].refresh_from_db()
    assert apps[0].status == Status.UNDER_REVIEW
    r = api_for(reviewer).post(f"/api/review/applications/{apps[1].pk}/withdraw-recommendation/",
                               {"reason": "重新核查"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == Status.UNDER_REVIEW
