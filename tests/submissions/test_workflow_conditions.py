"""The workflow is the only guard: a transition refused for its state, the actor's role, a passed
deadline or a full quota gives its reason through `check`, `fire` refuses with the same reason
(changing nothing), `available` leaves the button out and `blocked` says why when the reason is
a deadline or the quota."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation

from portal.access import actor_for
from portal.models import AuditEntry
from programs.constants import DeadlineKind, StageLevel
from submissions import workflow
from submissions.constants import Status
from submissions.models import Application, Recommendation
from submissions.quotas import QuotaExceeded
from submissions.review import services as review
from tests.factories import CallFactory, StageFactory, application_for, fire_as
from tests.submissions.test_review_support import review_call, submitted

pytestmark = pytest.mark.django_db

ONE_SECOND = dt.timedelta(seconds=1)


def names(user, app) -> set[str]:
    return {t.name for t in workflow.available(actor_for(user), app)}


def fire(user, app, name, **kwargs):
    with transaction.atomic():
        return workflow.fire(actor=actor_for(user), application=app, name=name, **kwargs)


def unchanged(app, status, entries_before):
    app.refresh_from_db()
    assert app.status == status
    assert AuditEntry.objects.count() == entries_before


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_a_passed_stage_deadline_refuses_with_its_reason(world):
    deadline = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    app = submitted(world.ent_zg, review_call(world, code="wfc-deadline", county_deadline=deadline))
    reviewer = actor_for(world.county_reviewer)
    with time_machine.travel(deadline, tick=False):  # at the deadline: on time
        assert workflow.check(reviewer, app, "recommend")
        assert {"recommend", "return", "reject", "start_review"} <= names(world.county_reviewer, app)
    before = AuditEntry.objects.count()
    with time_machine.travel(deadline + ONE_SECOND, tick=False):
        decision = workflow.check(reviewer, app, "recommend")
        assert not decision and "县级审核推荐" in decision.reason and "passed" in decision.reason
        assert workflow.refusal(reviewer, app, "recommend").code == "deadline"
        assert names(world.county_reviewer, app) == set()  # every bureau move of the stage is closed
        assert decision.reason in [r.reason for _t, r in workflow.blocked(reviewer, app)]
        assert not workflow.check(reviewer, app, "review")  # nor may the file be worked on
        with pytest.raises(ValidationError) as refused:
            fire(world.county_reviewer, app, "recommend")
        assert refused.value.messages == [decision.reason] and refused.value.code == "deadline_passed"
        with pytest.raises(ValidationError) as refused:  # the service asks the same question
            review.application_reject(actor=reviewer, application=app, reason="逾期")
        assert refused.value.messages == [decision.reason]
    unchanged(app, Status.SUBMITTED, before)


@time_machine.travel(dt.datetime(2031, 3, 1, 9, 30, tzinfo=dt.timezone.utc), tick=False)
def test_a_passed_filing_deadline_refuses_the_submission_with_its_reason(world):
    call = CallFactory(code="wfc-filing", province=world.jx)
    StageFactory(call=call, level=StageLevel.APPLICANT, deadline_kind=DeadlineKind.ABSOLUTE,
                 deadline_at=timezone.now() - dt.timedelta(days=1))
    app = application_for(world.ent_zg, call, created_by=world.applicant_admin)
    admin = actor_for(world.applicant_admin)
    decision = workflow.check(admin, app, "submit")
    assert not decision and "filing deadline" in decision.reason
    assert workflow.check(admin, app, "submit", now=timezone.now() - dt.timedelta(days=2))  # before it: allowed
    assert "submit" not in names(world.applicant_admin, app)
    assert [r.reason for _t, r in workflow.blocked(admin, app)] == [decision.reason]
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        fire(world.applicant_admin, app, "submit")
    same = decision.reason.split(" It is now")[0]  # the same text; only the time it quotes moved on
    assert refused.value.messages[0].startswith(same) and refused.value.code == "deadline"
    unchanged(app, Status.DRAFT, before)


def test_a_full_quota_refuses_the_recommendation_with_its_reason(world):
    call = review_call(world, code="wfc-quota", limit=1)
    first, second = submitted(world.ent_zg, call), submitted(world.ent_zg2, call)
    reviewer = actor_for(world.county_reviewer)
    assert workflow.check(reviewer, second, "recommend")
    review.application_recommend(actor=reviewer, application=first, opinion="同意")
    decision = workflow.check(reviewer, second, "recommend")
    assert not decision and decision.reason.startswith("Quota reached") and "1 of 1" in decision.reason
    assert workflow.refusal(reviewer, second, "recommend").code == "quota"
    assert names(world.county_reviewer, second) == {"start_review", "return", "reject"}
    assert [r.reason for _t, r in workflow.blocked(reviewer, second)] == [decision.reason]
    before = AuditEntry.objects.count()
    with pytest.raises(QuotaExceeded) as refused:
        fire(world.county_reviewer, second, "recommend")
    assert refused.value.messages == [decision.reason]
    unchanged(second, Status.SUBMITTED, before)
    assert Recommendation.objects.count() == 1
    # the place comes back when the first recommendation is withdrawn
    review.application_withdraw_recommendation(actor=reviewer, application=first, reason="误点")
    assert workflow.check(reviewer, second, "recommend")


def test_a_wrong_state_refuses_with_its_reason(world):
    call = review_call(world, code="wfc-state")
    app = submitted(world.ent_zg, call)
    fire_as(world.county_reviewer, app, "return", changes={"revision_deadline": timezone.now() + dt.timedelta(days=5)})
    app.refresh_from_db()
    reviewer = actor_for(world.county_reviewer)
    decision = workflow.check(reviewer, app, "recommend")
    assert not decision and decision.reason == "This cannot be done while the application is “Returned for revision”."
    assert workflow.refusal(reviewer, app, "recommend").code == "state"
    assert names(world.county_reviewer, app) == set()
    assert workflow.blocked(reviewer, app) == []  # the state explains itself: no button, no notice
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        fire(world.county_reviewer, app, "recommend")
    assert refused.value.messages == [decision.reason] and refused.value.code == "wrong_state"
    with pytest.raises(ValidationError) as refused:  # and the service answers the same
        review.application_recommend(actor=reviewer, application=app, opinion="同意")
    assert refused.value.messages == [decision.reason]
    unchanged(app, Status.RETURNED, before)
    assert names(world.applicant_admin, app) == {"resubmit"}


def test_a_role_that_may_not_refuses_with_its_reason(world):
    call = review_call(world, code="wfc-role")
    app = submitted(world.ent_zg, call)
    review.application_recommend(actor=actor_for(world.county_reviewer), application=app, opinion="同意")
    app.refresh_from_db()
    reviewer = actor_for(world.county_reviewer)
    decision = workflow.check(reviewer, app, "sign_off")
    assert not decision and decision.reason == "Only the head of the bureau signs off its recommendations."
    assert workflow.refusal(reviewer, app, "sign_off").code == "access"
    assert "sign_off" not in names(world.county_reviewer, app)
    assert "sign_off" in names(world.county_head, app)
    assert workflow.blocked(reviewer, app) == []
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied) as refused:
        fire(world.county_reviewer, app, "sign_off")
    assert str(refused.value) == decision.reason
    with pytest.raises(PermissionDenied) as refused:  # the batch asks each application the same
        review.sign_off_batch(actor=reviewer, call=call)
    assert decision.reason in str(refused.value)
    unchanged(app, Status.RECOMMENDED, before)
    # a stranger is refused by who it is before anything about the state is said
    stranger = workflow.check(actor_for(world.neighbour_reviewer), app, "recommend")
    assert stranger.reason == "This application is outside your region."


def test_the_audit_entry_of_a_recommendation_records_the_quota_it_used(world):
    call = review_call(world, code="wfc-facts", limit=2)
    app = submitted(world.ent_zg2, call)
    review.application_recommend(actor=actor_for(world.county_reviewer), application=app, opinion="同意")
    entry = AuditEntry.objects.get(action="application.recommend")
    assert entry.data["quota"] == {"region": world.zhanggong.code, "limit": 2, "used_before": 0}
    assert Application.objects.get(pk=app.pk).status == Status.RECOMMENDED
