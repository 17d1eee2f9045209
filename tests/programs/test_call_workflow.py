"""A call's own transition table (programs.workflow): draft → published → closed, each move audited
in the same transaction; a closed call is never published again; the call page's buttons are the
moves the workflow allows, and a draft that lacks its stages says so."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from portal.access import actor_for
from portal.models import AuditEntry
from programs import services, workflow
from programs.constants import CallStatus
from programs.workdays import SHANGHAI
from tests.factories import CallFactory, StageFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def draft(world):
    call = CallFactory(code="wf-draft", province=world.jx, status=CallStatus.DRAFT)
    StageFactory(call=call, deadline_at=dt.datetime(2031, 4, 22, 23, 59, 59, tzinfo=SHANGHAI))
    return call


def moves(user, call) -> set[str]:
    return {t.name for t in workflow.available(actor_for(user), call)}


def test_publish_then_close_each_leave_an_audit_entry(world, draft):
    officer = actor_for(world.province_officer)
    assert moves(world.province_officer, draft) == {"publish"}
    services.call_publish(actor=officer, call=draft)
    draft.refresh_from_db()
    assert draft.status == CallStatus.PUBLISHED and draft.published_at is not None
    assert moves(world.province_officer, draft) == {"close"}
    services.call_close(actor=officer, call=draft, comment="申报结束")
    draft.refresh_from_db()
    assert draft.status == CallStatus.CLOSED
    entries = list(AuditEntry.objects.filter(object_id=str(draft.pk)).order_by("id"))
    assert [(e.action, e.from_state, e.to_state, e.actor) for e in entries] == [
        ("call.publish", "draft", "published", world.province_officer),
        ("call.close", "published", "closed", world.province_officer),
    ]
    assert entries[1].comment == "申报结束" and entries[0].province == world.jx


def test_a_closed_call_cannot_be_published_again(world, draft):
    officer = actor_for(world.province_officer)
    services.call_publish(actor=officer, call=draft)
    services.call_close(actor=officer, call=draft)
    draft.refresh_from_db()
    before = AuditEntry.objects.count()
    with translation.override("en"):
        decision = workflow.check(officer, draft, "publish")
        assert not decision and decision.reason == "A call that is Closed cannot be Published."
        assert moves(world.province_officer, draft) == set() and workflow.blocked(officer, draft) == []
        with pytest.raises(ValidationError) as refused:
            with transaction.atomic():
                workflow.fire(actor=officer, call=draft, name="publish")
        assert refused.value.messages == [decision.reason]
        with pytest.raises(ValidationError):
            services.call_publish(actor=officer, call=draft)
    draft.refresh_from_db()
    assert draft.status == CallStatus.CLOSED and AuditEntry.objects.count() == before


def test_only_the_calls_province_moves_it(world, draft):
    for intruder in ("other_province_officer", "county_reviewer", "applicant_admin"):
        actor = actor_for(getattr(world, intruder))
        assert not workflow.check(actor, draft, "publish") and moves(getattr(world, intruder), draft) == set()
        with pytest.raises(PermissionDenied):
            services.call_publish(actor=actor, call=draft)
    draft.refresh_from_db()
    assert draft.status == CallStatus.DRAFT and not AuditEntry.objects.exists()


def test_the_call_page_offers_the_allowed_move_and_says_why_a_draft_cannot_be_published(world, draft, client_for):
    officer = client_for(world.province_officer)
    page = officer.get(reverse("call-detail", args=[draft.code]), **EN).content.decode()
    assert reverse("call-confirm", args=[draft.code, "publish"]) in page and 'id="call-close-link"' not in page
    bare = CallFactory(code="wf-bare", province=world.jx, status=CallStatus.DRAFT)
    page = officer.get(reverse("call-detail", args=[bare.code]), **EN).content.decode()
    assert reverse("call-confirm", args=[bare.code, "publish"]) not in page
    assert "at least one stage" in page  # the workflow's reason, where the button would be
    services.call_publish(actor=actor_for(world.province_officer), call=draft)
    page = officer.get(reverse("call-detail", args=[draft.code]), **EN).content.decode()
    assert 'id="call-close-link"' in page and reverse("call-confirm", args=[draft.code, "publish"]) not in page
