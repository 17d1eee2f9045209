"""Two reviewers clicking at once can never exceed a quota: 20 simultaneous recommendations from
20 connections at a quota of 5, exactly 5 succeed; 20 rounds (PostgreSQL, real transactions)."""

import threading
from unittest import mock

import pytest
from django.db import connection, connections

from portal.access import actor_for
from submissions.constants import Level, Status
from submissions.models import Application, QuotaCounter, Recommendation
from submissions.quotas import QuotaExceeded
from submissions.review import services as review
from tests.conftest import needs_postgres
from tests.submissions.test_review_support import enterprise, review_call, submitted

THREADS = 20
ROUNDS = 20
QUOTA = 5


def _race(app_ids, user) -> tuple[int, int, list]:
    barrier = threading.Barrier(len(app_ids))
    results = []
    lock = threading.Lock()

    def worker(pk):
        outcome = None
        try:
            actor = actor_for(user)  # each thread: its own connection
            app = Application.objects.get(pk=pk)
            barrier.wait(timeout=60)
            try:
                review.application_recommend(actor=actor, application=app, opinion="同意推荐")
                outcome = "ok"
            except QuotaExceeded:
                outcome = "quota"
        except Exception as exc:  # noqa: BLE001 - reported below
            outcome = exc
        finally:
            connection.close()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=worker, args=(pk,)) for pk in app_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    errors = [r for r in results if r not in ("ok", "quota")]
    return results.count("ok"), results.count("quota"), errors


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_recommendations_at_a_quota_of_five(world):
    assert connection.vendor == "postgresql"
    orgs = [enterprise(world.nankang) for _ in range(THREADS)]
    from tests.submissions.test_review_support import county_staff

    reviewer, _head = county_staff(world, world.nankang)
    with mock.patch("portal.tasks.outbox_deliver.delay"):  # no e-mails queued to the broker
        for round_no in range(ROUNDS):
            call = review_call(world, code=f"race-{round_no}", limit=QUOTA)
            ids = [submitted(org, call).pk for org in orgs]
            ok, refused, errors = _race(ids, reviewer)
            assert errors == [], errors
            assert (ok, refused) == (QUOTA, THREADS - QUOTA), f"round {round_no}"
            assert Recommendation.objects.filter(application__call=call).count() == QUOTA
            assert Application.objects.filter(call=call, status=Status.RECOMMENDED).count() == QUOTA
            assert QuotaCounter.objects.get(call=call, region=world.nankang, level=Level.COUNTY).used == QUOTA
    for alias in connections:
        connections[alias].close()


@pytest.mark.django_db
def test_the_counter_follows_the_recommendations(world):
    """The same path without threads (runs on SQLite too): the counter row holds the count."""
    call = review_call(world, code="race-seq", limit=2)
    apps = [submitted(org, call) for org in (world.ent_zg, world.ent_zg2)]
    for app in apps:
        review.application_recommend(actor=actor_for(world.county_reviewer), application=app, opinion="同意")
    assert QuotaCounter.objects.get(call=call, region=world.zhanggong, level=Level.COUNTY).used == 2
