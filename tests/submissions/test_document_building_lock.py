"""A job a live process is building is built once: the builder holds a PostgreSQL advisory lock on
it (released by the server when that process dies); a worker that starts re-sends only the jobs no
live process holds, and a second delivery of the task leaves a held job alone. Tried with a second
connection standing in for the live builder, then closed as a killed worker's would be."""

import psycopg2
import pytest
from django.db import connection

from submissions.constants import DocumentKind, DocumentStatus
from submissions.documents import tasks
from submissions.models import DocumentJob
from tests.conftest import needs_postgres
from tests.submissions.test_applicant_support import media  # noqa: F401 - fixture
from tests.submissions.test_review_support import review_call, submitted

pytestmark = [pytest.mark.postgres, needs_postgres, pytest.mark.django_db(transaction=True)]


def _other_process():
    db = connection.settings_dict
    other = psycopg2.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                             password=db["PASSWORD"] or None, dbname=db["NAME"])
    other.autocommit = True
    return other


@pytest.fixture
def job(world, media, monkeypatch):  # noqa: F811 - the media fixture
    app = submitted(world.ent_zg, review_call(world, code="building-lock"))
    monkeypatch.setattr(tasks, "_build", lambda job, target: target.write_bytes(b"%PDF-1.7 built") and 1)
    monkeypatch.setattr(tasks, "_signed", lambda job, path: path)  # signing is tested apart
    return DocumentJob.objects.create(kind=DocumentKind.PACKET, application=app, call=app.call, region=app.region,
                                      province=app.province, input_hash="building-lock",
                                      requested_by=world.applicant_admin, status=DocumentStatus.RUNNING)


def test_a_job_a_live_process_builds_is_neither_re_sent_nor_built_again(job, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.build_document, "delay", lambda pk: sent.append(pk))
    builder = _other_process()
    with builder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [tasks.BUILDING_LOCKS, job.pk])
    try:
        assert tasks.being_built([job.pk]) == {job.pk}
        assert tasks.requeue_interrupted() == 0 and sent == []
        assert tasks.build_document(job.pk) == "busy"
        job.refresh_from_db()
        assert job.status == DocumentStatus.RUNNING and not job.file and job.attempts == 0
    finally:
        builder.close()  # the builder's process dies: the server releases its lock

    assert tasks.being_built([job.pk]) == set()
    assert tasks.requeue_interrupted() == 1 and sent == [job.pk]
    assert tasks.build_document(job.pk) == DocumentStatus.DONE
    job.refresh_from_db()
    assert job.status == DocumentStatus.DONE and job.file.read() == b"%PDF-1.7 built"
    # the lock is given back once built: the check leaves nothing held
    assert tasks.being_built([job.pk]) == set()
