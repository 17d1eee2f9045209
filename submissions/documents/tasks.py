"""Celery tasks building documents (submissions.documents.packet, submissions.documents.summary).

``build_document(job_id)`` is idempotent: a job already done is not rebuilt; a process building a
job holds a PostgreSQL advisory lock on it (``_building``, released by the server if the process
dies), so a second delivery of the same task (acks_late redelivers, a worker re-sends) leaves a job
a live process is building alone; and should two builds still race (no such lock on SQLite), the
first to finish keeps its file and the other discards its own. The file becomes visible (status done) only
once it is complete. ``requeue_pending_documents`` (beat) re-sends the jobs whose dispatch was lost
(the broker down at commit time) or whose worker died while building; a worker that starts re-sends
at once every job left running or pending (``requeue_interrupted``), so a job whose whole worker was
killed is built again as soon as a worker is back. Every PDF is signed last (``signing``), and
the task writes its progress (pages done / total) to the job as it goes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from submissions.constants import DocumentFormat, DocumentKind, DocumentStatus
from submissions.models import DocumentJob
from submissions.stored_files import written_files

logger = logging.getLogger(__name__)

STALE_PENDING = dt.timedelta(minutes=5)
STALE_RUNNING = dt.timedelta(minutes=15)  # above the task's time limit: a running job this old is dead
MAX_ATTEMPTS = 3
BUILDING_LOCKS = 0x444F43  # the advisory-lock namespace of "a process is building document job N"


@contextmanager
def _building(job_id: int):
    """Hold "this process builds job N" while the block runs: on PostgreSQL a session advisory lock
    (released by the server when the process or its connection dies, so a killed worker's job is
    free at once); yields False when another live process holds it. The embedded default (SQLite,
    one process) has no such lock: always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [BUILDING_LOCKS, job_id])
        mine = cursor.fetchone()[0]
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [BUILDING_LOCKS, job_id])


def being_built(job_ids) -> set[int]:
    """Which of these jobs a live process is building now (PostgreSQL; none in the embedded default)."""
    if connection.vendor != "postgresql":
        return set()
    busy = set()
    with connection.cursor() as cursor:
        for job_id in job_ids:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [BUILDING_LOCKS, job_id])
            if cursor.fetchone()[0]:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [BUILDING_LOCKS, job_id])
            else:
                busy.add(job_id)
    return busy


def _progress(job_id: int):
    """A callback writing the pages done to the job (at most every 5 % and at the end)."""
    last = {"done": -1}

    def report(done: int, total: int) -> None:
        step = max(1, total // 20)
        if done < total and last["done"] >= 0 and done - last["done"] < step:
            return
        last["done"] = done
        DocumentJob.objects.filter(pk=job_id, status=DocumentStatus.RUNNING).update(
            progress_done=done, progress_total=total)

    return report


def failure_message(job_id: int) -> str:
    """What a job that failed by a fault of the portal (not by its input) shows: nothing internal
    (the exception is in the log), in the portal's language as the job's other messages."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("The document could not be built because of a fault in the portal, which has been logged "
                 "(document %(n)d). Please request it again later, or tell the platform operators.") % {"n": job_id}


def _build(job, target: Path) -> int | None:
    """Build the job's document into the file `target`; returns its pages (None: not paged). The
    packet is written straight to the file (its materials streamed from storage); the others are
    small and built in memory."""
    progress = _progress(job.pk)
    if job.kind == DocumentKind.PACKET:
        from submissions.documents.packet import write_packet  # noqa: PLC0415 - packet dispatches this task

        return write_packet(job.application, job.receipt, target, progress=progress)
    if job.kind == DocumentKind.BUNDLE:
        from submissions.documents.bundle import build_bundle  # noqa: PLC0415 - bundle dispatches this task

        content, pages = build_bundle(job, progress=progress)
    elif job.kind == DocumentKind.LETTER:
        from submissions.documents.letter import build_letter  # noqa: PLC0415 - letter dispatches this task

        content, pages = build_letter(job)
    else:
        from submissions.documents.summary import build_summary  # noqa: PLC0415 - summary dispatches this task

        content, pages = build_summary(job)
    target.write_bytes(content)
    return pages


def _signed(job, path: Path) -> Path:
    """Every PDF leaves the portal signed (the signature is the last change): the signed copy of
    the file `path` (written beside it, file to file); other formats as they are."""
    if job.fmt != DocumentFormat.PDF:
        return path
    from submissions.documents.signing import sign_file  # noqa: PLC0415 - pyHanko loads only in the worker

    with translation.override(settings.LANGUAGE_CODE):
        if job.kind == DocumentKind.PACKET and job.receipt_id:
            reason = _("Application packet, receipt %(number)s") % {"number": job.receipt.number}
        else:
            reason = f"{job.get_kind_display()} · {job.region.name} · {job.call.code}"
        signed = path.with_name(f"signed-{path.name}")
        sign_file(path, signed, reason=reason, location=job.region.full_name)
        return signed


def _fingerprint(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=540, time_limit=600)
def build_document(job_id: int) -> str:
    """Build one document job, unless another live process is building it. Returns its status."""

    with _building(job_id) as mine:
        if not mine:  # another live worker is building it (a redelivery, a re-send): built once
            return "busy"
        return _build_document(job_id)


def _build_document(job_id: int) -> str:
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return "missing"
        if job.status == DocumentStatus.DONE:
            return job.status
        job.status = DocumentStatus.RUNNING
        job.started_at = timezone.now()
        job.attempts += 1
        job.error = ""
        job.save(update_fields=["status", "started_at", "attempts", "error"])
    job = DocumentJob.objects.select_related("application__call", "application__region", "application__organization",
                                             "receipt", "call__program", "region").get(pk=job_id)
    with tempfile.TemporaryDirectory(prefix="portal-document-") as workdir:
        try:
            built = Path(workdir) / f"document.{job.fmt}"
            pages = _build(job, built)
            final = _signed(job, built)
        except Exception as exc:  # noqa: BLE001 - any failure (SoftTimeLimitExceeded too) is recorded on the job
            logger.exception("document job %s failed", job_id)
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else failure_message(job_id)
            DocumentJob.objects.filter(pk=job_id).exclude(status=DocumentStatus.DONE).update(
                status=DocumentStatus.FAILED, error=message[:2000], finished_at=timezone.now())
            return DocumentStatus.FAILED
        digest, size = _fingerprint(final)
        with written_files() as written, final.open("rb") as handle:
            # the whole file is written before the job's row is locked, under its final random name;
            # if the database step fails, the file is deleted (no orphan, no lock held while writing)
            stored = job.file.storage.save(job.file.field.generate_filename(job, ""), File(handle))
            written.add(job.file.storage, stored)
            with transaction.atomic():
                current = DocumentJob.objects.select_for_update().get(pk=job_id)
                if current.status == DocumentStatus.DONE:  # another delivery finished first: keep its file
                    written.delete_all()
                    return current.status
                current.file.name = stored
                current.sha256 = digest
                current.size = size
                current.pages = pages
                current.status = DocumentStatus.DONE
                current.progress_done = current.progress_total = pages or 1
                current.finished_at = timezone.now()
                current.save(update_fields=["file", "sha256", "size", "pages", "status", "finished_at",
                                             "progress_done", "progress_total"])
    return DocumentStatus.DONE


@shared_task(acks_late=True)
def requeue_pending_documents() -> int:
    """Re-send jobs left pending (dispatch lost) or running past the time limit (worker died)."""

    now = timezone.now()
    stale = DocumentJob.objects.filter(
        Q(status=DocumentStatus.PENDING, requested_at__lt=now - STALE_PENDING)
        | Q(status=DocumentStatus.RUNNING, started_at__lt=now - STALE_RUNNING)
    ).filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)
    ids = list(stale[:200])
    busy = being_built(ids)
    ids = [pk for pk in ids if pk not in busy]
    with translation.override(settings.LANGUAGE_CODE):
        DocumentJob.objects.filter(status=DocumentStatus.RUNNING, started_at__lt=now - STALE_RUNNING,
                                   attempts__gte=MAX_ATTEMPTS).update(
            status=DocumentStatus.FAILED, finished_at=now,
            error=_("The document could not be built in %(n)d attempts.") % {"n": MAX_ATTEMPTS})
    for pk in ids:
        build_document.delay(pk)
    return len(ids)


def requeue_interrupted() -> int:
    """Re-send every job left running or pending that no live process is building: called when a
    worker starts, so the jobs of a worker that was killed (whose messages the broker holds until
    their visibility timeout) are built again at once, while a job another live worker is building
    is left to it (``being_built``); a duplicate delivery that arrives anyway finds the job taken
    and does nothing. The stored file and its checksum never change once done."""
    ids = list(DocumentJob.objects.filter(status__in=[DocumentStatus.RUNNING, DocumentStatus.PENDING],
                                          attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)[:500])
    busy = being_built(ids)
    ids = [pk for pk in ids if pk not in busy]
    for pk in ids:
        build_document.delay(pk)
    if ids:
        logger.warning("re-sent %d interrupted document jobs", len(ids))
    return len(ids)


@worker_ready.connect
def _requeue_on_worker_ready(sender=None, **kwargs) -> None:
    try:
        requeue_interrupted()
    except Exception:  # noqa: BLE001 - a worker starts even if the database is not reachable yet
        logger.exception("could not re-send interrupted document jobs")
