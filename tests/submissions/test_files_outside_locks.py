"""No file is written to storage while a database row is locked.

Uploads (attachments), site-visit photos and built documents are written first, under their final
unguessable names; the row update takes its lock afterwards, for the database work only. When the
database part fails, the written file is deleted: no orphan on disk, no lock held during slow I/O.

The check wraps the storage's ``save``: when a file is written, the connection must not be inside a
transaction (``connection.in_atomic_block``; these tests commit for real, so nothing else opens
one), and on PostgreSQL a second connection must be able to lock the row at once (``FOR UPDATE
NOWAIT``), which fails for as long as the service holds its ``select_for_update``."""

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, connection, connections
from django.utils import timezone

from portal.access import actor_for, deny
from submissions.constants import DocumentKind, DocumentStatus
from submissions.documents import tasks as tasks_packets
from submissions.filing import services
from submissions.models import Attachment, DocumentJob, SiteVisit, SiteVisitPhoto
from submissions.review import services as review
from tests.conftest import USING_POSTGRES
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    actor,
    make_call,
    media,
    pdf_bytes,
    start,
    stored_files,
    uploaded,
)
from tests.submissions.test_review_support import PNG_1PX, review_call, submitted

pytestmark = pytest.mark.django_db(transaction=True)


def _row_lockable(table: str, pk: int) -> bool:
    """Whether another connection can lock the row right now (PostgreSQL)."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [pk])  # noqa: S608
        return True
    except DatabaseError:  # LockNotAvailable
        return False
    finally:
        other.close()


class Writes(list):
    def watch(self, table: str, pk: int) -> None:
        self.watched.append((table, pk))


@pytest.fixture
def writes(monkeypatch):
    """Every file written to storage, with whether a transaction (or, on PostgreSQL, a row lock
    on the watched rows) was open at that moment."""
    seen = Writes()
    seen.watched = watched = []  # (table, pk) of the rows whose lock would block
    original = FileSystemStorage.save

    def save(self, name, content, max_length=None):
        locked = [row for row in watched if USING_POSTGRES and not _row_lockable(*row)]
        seen.append({"name": name, "in_transaction": connection.in_atomic_block, "locked": locked})
        return original(self, name, content, max_length=max_length)

    monkeypatch.setattr(FileSystemStorage, "save", save)
    return seen


def _assert_outside(writes, n):
    assert len(writes) == n
    problems = [f"{w['name']} was written inside a transaction" for w in writes if w["in_transaction"]] + [
        f"{w['name']} was written while {w['locked']} was locked" for w in writes if w["locked"]]
    assert not problems, problems


# --- attachments ----------------------------------------------------------------------------------


def test_an_upload_writes_its_file_before_taking_the_lock(world, media, writes):
    app = start(world.applicant_admin, make_call(world.jx))
    writes.watch("submissions_application", app.pk)
    material = app.call.materials.get(code="application-material")
    attachment = services.attachment_upload(actor=actor(world.applicant_admin), application=app, material=material,
                                            file=uploaded(pdf_bytes(), "申报材料.pdf"), filename="申报材料.pdf")
    _assert_outside(writes, 1)
    assert attachment.file.name == writes[0]["name"] and attachment.file.name.startswith(f"attachments/{app.pk}/")
    assert [p.name for p in stored_files(media)] == [attachment.file.name.rsplit("/", 1)[-1]]


def test_an_upload_whose_database_step_fails_leaves_no_file(world, media, writes, monkeypatch):
    app = start(world.applicant_admin, make_call(world.jx))
    material = app.call.materials.get(code="application-material")

    def broken_audit(**kwargs):
        raise IntegrityError("the audit log refused the entry")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(IntegrityError):
        services.attachment_upload(actor=actor(world.applicant_admin), application=app, material=material,
                                   file=uploaded(pdf_bytes(), "申报材料.pdf"), filename="申报材料.pdf")
    assert len(writes) == 1  # it was written, then taken back
    assert stored_files(media) == []
    assert not Attachment.objects.exists()


def test_an_upload_refused_under_the_lock_leaves_no_file(world, media, writes, monkeypatch):
    """The rule is asked again under the lock (the draft may have been submitted meanwhile)."""
    app = start(world.applicant_admin, make_call(world.jx))
    material = app.call.materials.get(code="application-material")
    answers = iter([True, False])
    original = services.can_upload_attachment

    def second_time_no(actor_, app_, material_):
        decision = original(actor_, app_, material_)
        return decision if next(answers) else deny("submitted meanwhile")

    monkeypatch.setattr(services, "can_upload_attachment", second_time_no)
    with pytest.raises(services.PermissionDenied):
        services.attachment_upload(actor=actor(world.applicant_admin), application=app, material=material,
                                   file=uploaded(pdf_bytes(), "申报材料.pdf"), filename="申报材料.pdf")
    assert len(writes) == 1 and stored_files(media) == [] and not Attachment.objects.exists()


# --- site-visit photos ------------------------------------------------------------------------------


def _photos():
    return [SimpleUploadedFile("现场1.png", PNG_1PX, content_type="image/png"),
            SimpleUploadedFile("现场2.png", PNG_1PX, content_type="image/png")]


def test_site_visit_photos_are_written_before_the_review_takes_its_lock(world, media, writes):
    app = submitted(world.ent_zg, review_call(world, code="locks-photo"))  # submitted: the visit starts the review
    writes.watch("submissions_application", app.pk)
    visit = review.site_visit_record(actor=actor_for(world.county_reviewer), application=app,
                                     visit_date=timezone.localdate(), people="张三", findings="属实", photos=_photos())
    _assert_outside(writes, 2)
    assert sorted(p.file.name for p in visit.photos.all()) == sorted(w["name"] for w in writes)
    assert all(w["name"].startswith(f"site-visits/{app.pk}/") for w in writes)
    assert len(stored_files(media)) == 2


def test_site_visit_photos_are_taken_back_when_the_record_fails(world, media, writes, monkeypatch):
    app = submitted(world.ent_zg, review_call(world, code="locks-photo-fail"))
    original = SiteVisitPhoto.save
    calls = []

    def second_fails(self, *args, **kwargs):
        calls.append(self.file.name)
        if len(calls) == 2:
            raise IntegrityError("refused")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SiteVisitPhoto, "save", second_fails)
    with pytest.raises(IntegrityError):
        review.site_visit_record(actor=actor_for(world.county_reviewer), application=app,
                                 visit_date=timezone.localdate(), people="张三", findings="属实", photos=_photos())
    _assert_outside(writes, 2)
    assert stored_files(media) == []
    assert not SiteVisit.objects.exists() and not SiteVisitPhoto.objects.exists()


def test_site_visit_photos_of_a_refused_reviewer_are_never_written(world, media, writes):
    app = submitted(world.ent_zg, review_call(world, code="locks-photo-refused"))
    with pytest.raises(services.PermissionDenied):
        review.site_visit_record(actor=actor_for(world.other_applicant), application=app,
                                 visit_date=timezone.localdate(), people="张三", findings="属实", photos=_photos())
    assert writes == [] and stored_files(media) == []


# --- built documents ---------------------------------------------------------------------------------


@pytest.fixture
def job(world, media, monkeypatch):
    app = submitted(world.ent_zg, review_call(world, code="locks-doc"))
    monkeypatch.setattr(tasks_packets, "_build", lambda job, target: target.write_bytes(b"%PDF-1.7 built") and 1)
    monkeypatch.setattr(tasks_packets, "_signed", lambda job, path: path)  # signing is tested apart
    return DocumentJob.objects.create(kind=DocumentKind.PACKET, application=app, call=app.call, region=app.region,
                                      province=app.province, input_hash="locks", requested_by=world.applicant_admin)


def test_a_built_document_is_written_outside_the_jobs_lock(job, writes):
    writes.watch("submissions_documentjob", job.pk)
    assert tasks_packets.build_document(job.pk) == DocumentStatus.DONE
    _assert_outside(writes, 1)
    job.refresh_from_db()
    assert job.file.name == writes[0]["name"] and job.file.read() == b"%PDF-1.7 built"


def test_a_built_document_whose_database_step_fails_leaves_no_file(job, media, writes, monkeypatch):
    original = DocumentJob.save

    def refuse_done(self, *args, **kwargs):
        if self.status == DocumentStatus.DONE:
            raise IntegrityError("refused")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DocumentJob, "save", refuse_done)
    with pytest.raises(IntegrityError):
        tasks_packets.build_document(job.pk)
    assert len(writes) == 1 and stored_files(media) == []
    job.refresh_from_db()
    assert job.status == DocumentStatus.RUNNING and not job.file  # the sweeper sends it again
