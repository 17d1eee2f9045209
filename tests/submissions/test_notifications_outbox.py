"""Notifications that send once: every e-mail is an outbox row per (audit entry, address, kind),
composed with the entry from its target state and sent once, whatever runs twice, fails half-way
or races; a decision waits for the call's result list."""

import threading
from collections import Counter
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections, transaction
from django.utils import timezone, translation

from portal import outbox
from portal.access import actor_for
from portal.models import AuditEntry, OutboxMessage
from portal.tasks import outbox_deliver
from submissions import notifications
from submissions.review import services as review
from submissions.tasks import notify_results, notify_transition
from tests.conftest import needs_postgres, needs_worker
from tests.factories import UserFactory, application_for, fire_as
from tests.submissions.test_result_embargo import at_province
from tests.submissions.test_review_support import review_call

pytestmark = pytest.mark.django_db

ENT = "ent@example.com"
ADMIN = "admin@zg.example"
FILER = "filer@zg.example"
VIEWER = "viewer@zg.example"
APPLICANT = {ENT, ADMIN, FILER, VIEWER}
COUNTY = "reviewer@zg.example"
COMMENT = "研发投入强度突出，予以认定"
FAR_FUTURE = timezone.now() + outbox.SWEEP_AFTER + outbox.RETRY_AFTER + timezone.timedelta(days=1)


@pytest.fixture
def addresses(world):
    world.ent_zg.contact_email = ENT
    world.ent_zg.save(update_fields=["contact_email"])
    for user, address in ((world.applicant_admin, ADMIN), (world.applicant_filer, FILER),
                          (world.applicant_viewer, VIEWER), (world.county_reviewer, COUNTY)):
        user.email = address
        user.save(update_fields=["email"])
    return world


@pytest.fixture
def call(addresses):
    return review_call(addresses, code="outbox")


@pytest.fixture
def draft(world, call):
    return application_for(world.ent_zg, call, created_by=world.applicant_admin)


def sent_to() -> Counter:
    return Counter(address for m in mail.outbox for address in m.to)


def entry_of(app, name) -> AuditEntry:
    return AuditEntry.objects.filter(object_type="submissions.application", object_id=str(app.pk),
                                     action=f"application.{name}").latest("id")


def submit_without_sending(world, app, django_capture_on_commit_callbacks) -> AuditEntry:
    """Submit and commit, without running the dispatch queued for after the commit."""
    with django_capture_on_commit_callbacks(execute=False):
        fire_as(world.applicant_admin, app, "submit")
    return entry_of(app, "submit")


class FailOnce:
    """The mail backend raises on the n-th message it is given (once), and delivers the others."""

    def __init__(self, n: int):
        self.n, self.calls = n, 0
        self.real = EmailBackend.send_messages

    def __call__(self, backend, messages):
        self.calls += 1
        if self.calls == self.n:
            raise OSError("421 service not available")
        return self.real(backend, messages)


# --- once ------------------------------------------------------------------------------------------


def test_the_task_run_twice_for_one_audit_entry_sends_each_mail_once(
    world, draft, django_capture_on_commit_callbacks, eager_tasks
):
    entry = submit_without_sending(world, draft, django_capture_on_commit_callbacks)
    rows = OutboxMessage.objects.filter(audit_entry=entry)
    assert {(r.recipient, r.kind) for r in rows} == {(a, "applicant") for a in APPLICANT} | {(COUNTY, "bureau")}
    assert mail.outbox == []  # nothing goes before the task runs

    assert outbox_deliver.delay(entry.pk).get() == 5
    assert outbox_deliver.delay(entry.pk).get() == 0
    assert notify_transition.delay(entry.pk, True, True).get() == 0  # the pre-outbox task: nothing again
    assert outbox.sweep(now=FAR_FUTURE).sent == 0
    assert sent_to() == Counter({a: 1 for a in APPLICANT | {COUNTY}})
    assert len(mail.outbox) == 5 and all(len(m.to) == 1 for m in mail.outbox)
    assert not rows.filter(sent_at__isnull=True).exists()
    # composing again from the same entry adds nothing (the unique key)
    with transaction.atomic():
        notifications.transition_enqueue(entry=entry, application=draft, notify_applicant=True, notify_bureau=True)
    assert rows.count() == 5 and outbox_deliver.delay(entry.pk).get() == 0


def test_the_dispatch_after_the_commit_sends_and_a_second_commit_of_the_same_entry_does_not(
    world, draft, django_capture_on_commit_callbacks, eager_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        fire_as(world.applicant_admin, draft, "submit")
    assert len(mail.outbox) == 5
    entry = entry_of(draft, "submit")
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            notifications.transition_enqueue(entry=entry, application=draft, notify_applicant=True,
                                             notify_bureau=True)
    assert len(mail.outbox) == 5


def test_a_send_that_fails_half_way_then_retried_sends_the_rest_once(
    world, draft, django_capture_on_commit_callbacks, eager_tasks
):
    entry = submit_without_sending(world, draft, django_capture_on_commit_callbacks)
    with mock.patch.object(EmailBackend, "send_messages", autospec=True, side_effect=FailOnce(2)):
        first = outbox.deliver(entry_ids=[entry.pk])
    assert (first.sent, first.failed) == (4, 1) and isinstance(first.error, OSError)
    failed = OutboxMessage.objects.get(audit_entry=entry, sent_at__isnull=True)
    assert failed.attempts == 1 and "421" in failed.last_error
    assert len(mail.outbox) == 4 and failed.recipient not in sent_to()

    assert outbox_deliver.delay(entry.pk).get() == 1  # the retry: the rest, and only the rest
    assert outbox_deliver.delay(entry.pk).get() == 0
    assert sent_to() == Counter({a: 1 for a in APPLICANT | {COUNTY}})
    failed.refresh_from_db()
    assert failed.sent_at and failed.attempts == 2 and failed.last_error == ""


def test_the_task_retries_a_failed_message_itself_without_resending_the_others(
    world, draft, django_capture_on_commit_callbacks, eager_tasks
):
    entry = submit_without_sending(world, draft, django_capture_on_commit_callbacks)
    with mock.patch.object(EmailBackend, "send_messages", autospec=True, side_effect=FailOnce(2)):
        # fails on the 2nd message: the task raises, Celery retries it (in-process here)
        result = outbox_deliver.apply(args=[entry.pk], throw=False)
    assert result.get() == 1  # the retry sent the one left
    assert sent_to() == Counter({a: 1 for a in APPLICANT | {COUNTY}})
    assert sorted(OutboxMessage.objects.filter(audit_entry=entry).values_list("attempts", flat=True)) == [1, 1, 1, 1, 2]


def test_what_the_dispatch_lost_the_sweep_sends_once(world, draft, django_capture_on_commit_callbacks, eager_tasks):
    entry = submit_without_sending(world, draft, django_capture_on_commit_callbacks)  # as if the broker was down
    assert outbox.sweep().sent == 0  # fresh rows are left to the dispatched task
    assert outbox.sweep(now=FAR_FUTURE).sent == 5
    assert outbox.sweep(now=FAR_FUTURE).sent == 0
    assert outbox_deliver.delay(entry.pk).get() == 0
    assert len(mail.outbox) == 5


def test_a_broker_down_at_commit_loses_no_mail_and_does_not_fail_the_request(
    world, draft, django_capture_on_commit_callbacks
):
    with mock.patch.object(outbox_deliver, "delay", side_effect=ConnectionError("broker down")):
        with django_capture_on_commit_callbacks(execute=True):
            fire_as(world.applicant_admin, draft, "submit")
    assert mail.outbox == []
    assert outbox.sweep(now=FAR_FUTURE).sent == 5


# --- what the mail says ------------------------------------------------------------------------------


def test_the_mail_names_the_state_of_its_audit_entry_not_a_later_status(
    world, draft, django_capture_on_commit_callbacks, eager_tasks
):
    first = submit_without_sending(world, draft, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        review.review_start(actor=actor_for(world.county_reviewer), application=draft)
    second = entry_of(draft, "start_review")
    draft.refresh_from_db()
    assert draft.status == "under_review"

    outbox_deliver.delay(second.pk).get()
    mail.outbox.clear()
    outbox_deliver.delay(first.pk).get()  # the first entry's task runs last
    told = [m for m in mail.outbox if ADMIN in m.to]
    assert len(told) == 1
    assert "已提交，待审核" in told[0].subject and "已提交，待审核" in told[0].body
    assert "审核中" not in told[0].subject + told[0].body


def test_a_late_task_composes_from_the_entry_not_from_the_current_status(
    world, draft, django_capture_on_commit_callbacks, eager_tasks
):
    """A task queued before the outbox existed (its entry has no rows): composed from the entry."""
    first = submit_without_sending(world, draft, django_capture_on_commit_callbacks)
    OutboxMessage.objects.filter(audit_entry=first).delete()
    with django_capture_on_commit_callbacks(execute=False):
        review.review_start(actor=actor_for(world.county_reviewer), application=draft)
    assert notify_transition.delay(first.pk, True, True).get() == 5
    body = next(m.body for m in mail.outbox if ADMIN in m.to)
    assert "已提交，待审核" in body and "审核中" not in body
    assert notify_transition.delay(first.pk, True, True).get() == 0


def test_mails_are_composed_in_chinese_whatever_the_request_language(
    world, draft, django_capture_on_commit_callbacks
):
    with translation.override("en"):
        entry = submit_without_sending(world, draft, django_capture_on_commit_callbacks)
    subjects = set(OutboxMessage.objects.filter(audit_entry=entry).values_list("subject", flat=True))
    assert subjects and all("Innovation platform" not in s for s in subjects)


# --- decisions wait for the result list ---------------------------------------------------------------


def test_a_decision_mail_waits_for_the_result_list_then_goes_once(
    world, call, django_capture_on_commit_callbacks, eager_tasks
):
    app = at_province(world, world.ent_zg, call)
    outbox.sweep(now=FAR_FUTURE)  # the mails of the way to the province
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review.application_decide(actor=actor_for(world.province_officer), application=app, decision="approve",
                                  comment=COMMENT)
    entry = entry_of(app, "approve")
    held = OutboxMessage.objects.filter(audit_entry=entry)
    assert set(held.values_list("recipient", flat=True)) == APPLICANT
    assert set(held.values_list("kind", "hold").distinct()) == {("decision", "result_embargo")}
    assert "已认定" in held.first().subject and COMMENT in held.first().body  # composed from the entry

    assert outbox_deliver.delay(entry.pk).get() == 0  # running the task sends nothing
    assert notify_transition.delay(entry.pk, False, False).get() == 0
    assert outbox.sweep(now=FAR_FUTURE).sent == 0
    # even a row released by mistake goes only when the embargo rule says the decision is public
    held.update(released_at=timezone.now())
    assert outbox_deliver.delay(entry.pk).get() == 0
    assert not [m for m in mail.outbox if COMMENT in m.body]
    held.update(released_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        publication = review.results_publish(actor=actor_for(world.province_officer), call=call)
    decision_mails = [m for m in mail.outbox if COMMENT in m.body]
    assert Counter(a for m in decision_mails for a in m.to) == Counter({a: 1 for a in APPLICANT})
    assert all("已认定" in m.subject for m in decision_mails)

    mail.outbox.clear()
    assert outbox_deliver.delay(entry.pk).get() == 0
    assert notify_results.delay(publication.pk).get() == 0
    assert outbox.sweep(now=FAR_FUTURE).sent == 0
    with django_capture_on_commit_callbacks(execute=True):
        review.results_publish(actor=actor_for(world.province_officer), call=call)
    assert mail.outbox == []


def test_a_decision_changed_before_the_list_is_told_once_with_the_last_decision(
    world, call, django_capture_on_commit_callbacks, eager_tasks
):
    app = at_province(world, world.ent_zg, call)
    officer = actor_for(world.province_officer)
    with django_capture_on_commit_callbacks(execute=True):
        review.application_decide(actor=officer, application=app, decision="pilot", comment="先行试点")
    app.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        review.application_decide(actor=officer, application=app, decision="approve", comment=COMMENT)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review.results_publish(actor=officer, call=call)
    assert sent_to() == Counter({a: 1 for a in APPLICANT})
    assert all("已认定" in m.subject and COMMENT in m.body and "先行试点" not in m.body for m in mail.outbox)
    pilot = OutboxMessage.objects.filter(audit_entry=entry_of(app, "pilot"))
    assert pilot.exists() and not pilot.filter(dropped_at__isnull=True).exists()  # superseded, never sent


# --- the other mails take the same way -----------------------------------------------------------------


def test_registration_and_invitation_mails_are_outbox_rows_sent_once(world, django_capture_on_commit_callbacks,
                                                                      eager_tasks):
    from portal.registration import colleague_invite

    with django_capture_on_commit_callbacks(execute=True):
        colleague_invite(actor=actor_for(world.applicant_admin), organization=world.ent_zg,
                         email="Li@Example.com", role="applicant_viewer", base_url="http://portal.test")
    entry = AuditEntry.objects.get(action="membership.invite")
    row = OutboxMessage.objects.get(audit_entry=entry)
    assert (row.recipient, row.kind) == ("li@example.com", "invitation") and row.sent_at
    assert [m.to for m in mail.outbox] == [["li@example.com"]]
    assert "邀请" in mail.outbox[0].subject
    assert outbox_deliver.delay(entry.pk).get() == 0 and len(mail.outbox) == 1


def test_a_registration_tells_the_county_bureau_and_its_approval_the_organization(
    addresses, django_capture_on_commit_callbacks, eager_tasks
):
    from portal.creditcode import make_credit_code
    from portal.registration import registration_approve, registration_submit

    world = addresses
    world.neighbour_reviewer.email = "reviewer@nk.example"
    world.neighbour_reviewer.save(update_fields=["email"])
    world.jx.attributes = {**world.jx.attributes, "requires_account_approval": True}
    world.jx.save(update_fields=["attributes"])
    with django_capture_on_commit_callbacks(execute=True):
        done = registration_submit(name="赣州新材料有限公司", credit_code=make_credit_code("91360702MA7654321"),
                                   kind="enterprise", region=world.zhanggong, contact_name="李四",
                                   contact_phone="0797-8888888", contact_email="li@example.com", password="x-Pw-2031!")
    register = AuditEntry.objects.get(action="organization.register")
    assert list(OutboxMessage.objects.filter(audit_entry=register).values_list("recipient", "kind")) == [
        (COUNTY, "registration")]  # the bureau of the county, not the neighbour's
    assert [m.to for m in mail.outbox] == [[COUNTY]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registration_approve(actor=actor_for(world.county_reviewer), organization=done.organization)
    assert [m.to for m in mail.outbox] == [["li@example.com"]]  # contact and administrator: one address
    assert outbox.sweep(now=FAR_FUTURE).sent == 0


def test_a_member_unit_invitation_goes_through_the_outbox(world, django_capture_on_commit_callbacks, eager_tasks):
    from portal.creditcode import make_credit_code
    from submissions.filing.services import member_invite
    from tests.submissions.test_applicant_support import make_call, start

    alliance = make_call(world.jx, code="outbox-alliance", multi=True, rubric_code="", program_code="outbox-alliance",
                         applicant_kinds=("enterprise", "institute"))
    app = start(world.applicant_admin, alliance)
    code = make_credit_code("12360700MB0000009")
    with django_capture_on_commit_callbacks(execute=True):
        member_invite(actor=actor_for(world.applicant_admin), application=app, name="赣州研究院", credit_code=code,
                      email="Lab@Example.com", base_url="http://portal.test")
    entry = AuditEntry.objects.get(action="application.member_invite")
    assert list(OutboxMessage.objects.filter(audit_entry=entry).values_list("recipient", "kind")) == [
        ("lab@example.com", "member_invitation")]
    assert [m.to for m in mail.outbox] == [["lab@example.com"]] and code in mail.outbox[0].body
    assert outbox_deliver.delay(entry.pk).get() == 0 and len(mail.outbox) == 1


# --- two senders at once (PostgreSQL, real transactions) -------------------------------------------------


def _race_once(entry_id: int, rounds_barrier_timeout: float = 30) -> tuple[Counter, list]:
    """Two senders deliver the same entry's rows from two connections. Each one's first mail waits
    until the other sender is handing over a mail too, so both are inside the send path together."""
    start = threading.Barrier(2, timeout=rounds_barrier_timeout)
    both_sending = threading.Barrier(2, timeout=rounds_barrier_timeout)
    sent: list[str] = []
    first_of = set()
    lock = threading.Lock()
    errors: list = []

    def record(backend, messages):
        name = threading.current_thread().name
        if name not in first_of:
            first_of.add(name)
            both_sending.wait()  # a sender that locked rows and waits for the other would deadlock here
        with lock:
            sent.extend(address for m in messages for address in m.to)
        return len(messages)

    def sender():
        try:
            start.wait()
            outcome = outbox.deliver(entry_ids=[entry_id])
            if outcome.error is not None:
                errors.append(outcome.error)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    with mock.patch.object(EmailBackend, "send_messages", autospec=True, side_effect=record):
        threads = [threading.Thread(target=sender, name=f"sender-{i}") for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    return Counter(sent), errors


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_racing_on_the_same_rows_send_each_mail_once(world):
    assert connection.vendor == "postgresql"
    for round_no in range(5):
        user = UserFactory()
        with transaction.atomic():
            entry = AuditEntry.objects.create(action="test.race", object_type="portal.user", object_id=str(user.pk))
            addresses = [f"r{round_no}-{i}@example.com" for i in range(12)]
            outbox.enqueue(entry, outbox.mails_to(addresses, kind="test", subject="s", body="b"), dispatch=False)
        counts, errors = _race_once(entry.pk)
        assert errors == [], errors
        assert counts == Counter({a: 1 for a in addresses}), f"round {round_no}"
        assert not OutboxMessage.objects.filter(audit_entry=entry, sent_at__isnull=True).exists()
    for alias in connections:
        connections[alias].close()


@needs_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_committed_rows_once(world):
    from celery.contrib.testing.worker import start_worker

    from portal.project.celery import app

    world.ent_zg.contact_email = ENT
    world.ent_zg.save(update_fields=["contact_email"])
    draft = application_for(world.ent_zg, review_call(world, code="outbox-worker"))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        with transaction.atomic():
            fire_as(world.applicant_admin, draft, "submit")  # dispatches outbox_deliver after the commit
        entry = entry_of(draft, "submit")
        # the worker takes the tasks in order: the dispatched one sends, this one finds nothing left
        assert outbox_deliver.delay(entry.pk).get(timeout=60) == 0
    assert sent_to() == Counter({ENT: 1})
    assert OutboxMessage.objects.get(audit_entry=entry).sent_at is not None


def test_operators_read_the_outbox_in_the_admin_and_cannot_change_it(
    world, draft, client_for, django_capture_on_commit_callbacks
):
    entry = submit_without_sending(world, draft, django_capture_on_commit_callbacks)
    row = OutboxMessage.objects.filter(audit_entry=entry).order_by("pk").first()
    operator = client_for(world.operator)
    listing = operator.get("/admin/portal/outboxmessage/")
    assert listing.status_code == 200 and row.recipient in listing.content.decode()
    assert "待发送" in listing.content.decode()
    page = operator.get(f"/admin/portal/outboxmessage/{row.pk}/change/")
    assert page.status_code == 200 and row.recipient in page.content.decode()
    assert operator.post(f"/admin/portal/outboxmessage/{row.pk}/change/", {"recipient": "x@example.com"}).status_code == 403
    assert operator.get("/admin/portal/outboxmessage/add/").status_code == 403
    assert operator.post(f"/admin/portal/outboxmessage/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.recipient != "x@example.com"
    assert client_for(world.applicant_admin).get("/admin/portal/outboxmessage/").status_code == 403
