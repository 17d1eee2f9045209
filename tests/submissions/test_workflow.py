"""The declared transition table: who may move an application where, with an audit entry each."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from portal.access import actor_for
from portal.models import AuditEntry
from submissions.constants import Status
from submissions.workflow import TRANSITIONS, available, fire
from tests.factories import CallFactory, application_for, fire_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(world):
    call = CallFactory(code="wf", province=world.jx)
    world.ent_zg.contact_email = "ent@example.com"
    world.ent_zg.save()
    return application_for(world.ent_zg, call, created_by=world.applicant_admin)


def test_submit_moves_to_the_county_and_leaves_an_audit_entry_and_mails(
    world, app, django_capture_on_commit_callbacks, eager_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        fire_as(world.applicant_admin, app, "submit", comment="首次提交")
    app.refresh_from_db()
    assert (app.status, app.level) == (Status.SUBMITTED, "county")
    entry = AuditEntry.objects.get(action="application.submit")
    assert (entry.from_state, entry.to_state, entry.actor) == ("draft", "submitted@county", world.applicant_admin)
    assert entry.organization == world.ent_zg and entry.region == world.zhanggong
    assert any("ent@example.com" in m.to for m in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_fire_outside_a_transaction_is_a_programming_error(world, app):
    with pytest.raises(RuntimeError):
        fire(actor=actor_for(world.applicant_admin), application=app, name="submit")


@pytest.mark.parametrize("user", ["applicant_filer", "other_applicant", "county_reviewer", "province_officer"])
def test_only_the_applicant_admin_submits(world, app, user):
    with pytest.raises(PermissionDenied):
        fire_as(getattr(world, user), app, "submit")
    app.refresh_from_db()
    assert app.status == Status.DRAFT
    assert not AuditEntry.objects.exists()


def test_the_chain_county_city_province(world, app):
    fire_as(world.applicant_admin, app, "submit")
    with pytest.raises(PermissionDenied):
        fire_as(world.neighbour_reviewer, app, "recommend")  # neighbouring county
    with pytest.raises(PermissionDenied):
        fire_as(world.city_reviewer, app, "recommend")  # not yet at the city
    fire_as(world.county_reviewer, app, "recommend")
    with pytest.raises(PermissionDenied):
        fire_as(world.county_reviewer, app, "sign_off")  # a reviewer is not the head
    fire_as(world.county_head, app, "sign_off")
    app.refresh_from_db()
    assert (app.status, app.level) == (Status.SUBMITTED, "city")
    fire_as(world.city_reviewer, app, "recommend")
    fire_as(world.city_head, app, "sign_off")
    app.refresh_from_db()
    assert app.level == "province"
    with pytest.raises(PermissionDenied):
        fire_as(world.other_province_officer, app, "approve")
    fire_as(world.province_officer, app, "approve")
    app.refresh_from_db()
    assert app.status == Status.APPROVED
    assert AuditEntry.objects.filter(object_id=str(app.pk)).count() == 6


def test_wrong_state_is_refused_with_a_reason(world, app):
    with pytest.raises(ValidationError):  # a draft cannot be withdrawn
        fire_as(world.applicant_admin, app, "withdraw")
    fire_as(world.applicant_admin, app, "submit")
    fire_as(world.county_reviewer, app, "start_review")
    with pytest.raises(ValidationError):  # review started: too late to withdraw
        fire_as(world.applicant_admin, app, "withdraw")


def test_available_transitions_for_buttons(world, app):
    names = {t.name for t in available(actor_for(world.applicant_admin), app)}
    assert names == {"submit"}
    fire_as(world.applicant_admin, app, "submit")
    assert {t.name for t in available(actor_for(world.county_reviewer), app)} == {
        "start_review", "return", "reject", "recommend"}
    assert available(actor_for(world.neighbour_reviewer), app) == []
    assert set(TRANSITIONS) >= {"submit", "withdraw", "resubmit", "return", "recommend", "sign_off", "approve"}
