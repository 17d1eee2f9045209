"""A real Celery worker (Redis broker) executes tasks dispatched after commit."""

import datetime as dt

import pytest
from django.db import transaction

from portal.project.celery import app
from programs.workdays import end_of_day
from tests.conftest import needs_worker
from tests.factories import CallFactory, StageFactory


@needs_worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_dispatched_on_commit(world):
    from celery.contrib.testing.worker import start_worker

    from programs.tasks import warn_missing_calendar_years

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        holder = {}
        with transaction.atomic():
            call = CallFactory(code="worker-check", province=world.jx)
            StageFactory(call=call, deadline_at=end_of_day(dt.date(2031, 3, 1)))
            # the worker reads the stage: dispatch only once the row is committed
            transaction.on_commit(lambda: holder.setdefault("result", warn_missing_calendar_years.delay()))
        result = holder["result"].get(timeout=60)
    assert 2031 in result  # the worker saw the committed 2031 deadline and no calendar for that year
