"""A document job survives its worker: the whole worker (and its children: the pool process,
LibreOffice) is killed mid-build, a new worker starts, and the job is done within 60 s without a
hand on it, built once (one stored file, its checksum unchanged afterwards)."""

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from portal.project.celery import app as celery_app
from submissions.constants import DocumentStatus
from submissions.documents import packet as packets
from submissions.documents.tasks import build_document
from submissions.filing import services
from submissions.models import DocumentJob
from tests.conftest import needs_worker
from tests.submissions.test_applicant_support import DEADLINE, actor, attach, make_call, media, ready  # noqa: F401
from tests.submissions.test_packet_office import docx_bytes
from tests.submissions.test_packets import read

pytestmark = [pytest.mark.worker]


def start_worker_process(media_root) -> tuple[subprocess.Popen, str]:
    db = connection.settings_dict
    name = f"kill-{uuid.uuid4().hex[:8]}@localhost"
    env = {**os.environ, "MEDIA_ROOT": str(media_root),
           "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                           f"{db['NAME']}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal.project", "worker", "--pool", "prefork", "--concurrency", "1",
         "--without-mingle", "--without-gossip", "-n", name, "--loglevel", "WARNING"],
        cwd=settings.BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if celery_app.control.ping(destination=[name], timeout=0.5):
            return process, name
        assert process.poll() is None, "the worker exited"
    raise AssertionError("the worker did not start within 60 s")


def kill_group(process) -> None:
    pgid = os.getpgid(process.pid)
    os.killpg(pgid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the children (pool, LibreOffice) die with it
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError("a child of the killed worker is still alive")


def wait_for(job, statuses, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} is {job.status} after {seconds} s")


@needs_worker
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_is_killed_is_done_within_60_s_after_a_new_worker_starts(world, media, time_machine):
    time_machine.move_to(DEADLINE - dt.timedelta(hours=1))
    call = make_call(world.jx, code="jx-2031-kill")
    call.materials.filter(code="evidence").update(allowed_types=["docx"])
    app = ready(world.applicant_admin, call)
    attach(world.applicant_admin, app, "evidence", docx_bytes("KILLMARK", 20), "报告.docx")  # LibreOffice: seconds
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    # the worker processes run on the real clock; the waits below count on the monotonic clock

    first, _name = start_worker_process(media)
    second = None
    try:
        job = packets.packet_request(actor=actor(world.applicant_admin), application=app)  # dispatched on commit
        wait_for(job, {DocumentStatus.RUNNING}, 60)
        kill_group(first)  # mid-build: LibreOffice converting the docx
        job.refresh_from_db()
        assert job.status == DocumentStatus.RUNNING and not job.file

        second, _name = start_worker_process(media)
        started = time.monotonic()
        wait_for(job, {DocumentStatus.DONE, DocumentStatus.FAILED}, 60)
        assert job.status == DocumentStatus.DONE, job.error
        assert time.monotonic() - started <= 60
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                kill_group(process)

    # built once: one stored file, its checksum that of the file, unchanged by another delivery
    files = [p for p in (media / "documents").rglob("*") if p.is_file()]
    assert len(files) == 1 and job.attempts == 2
    data = read(job)
    assert hashlib.sha256(data).hexdigest() == job.sha256
    name, digest = job.file.name, job.sha256
    assert build_document(job.pk) == DocumentStatus.DONE
    job.refresh_from_db()
    assert (job.file.name, job.sha256) == (name, digest)
    assert DocumentJob.objects.count() == 1
    assert "KILLMARK-P20" in "".join(p.extract_text() or "" for p in __import__("pypdf").PdfReader(job.file.path).pages)
