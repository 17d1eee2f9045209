"""`backup` writes one archive; `restore` loads it into an empty database and media root, and every
application, attachment (with its file's checksum) and audit row comes back identical."""

import hashlib
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict

from portal.models import AuditEntry, Organization, User
from submissions.models import Application, Attachment, DraftVersion
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    attach,
    complete_data,
    fill,
    image_bytes,
    make_call,
    media,
    pdf_bytes,
    start,
)

pytestmark = pytest.mark.django_db(transaction=True)  # a real empty database: flushed, then restored


def _rows(model):
    return {obj.pk: {k: (str(v) if k == "file" else v) for k, v in model_to_dict(obj).items()}
            for obj in model.objects.order_by("pk")}


def _snapshot(media_root: Path):
    files = {p.relative_to(media_root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(media_root.rglob("*")) if p.is_file()}
    return {
        "applications": _rows(Application),
        "attachments": _rows(Attachment),
        "attachment checksums": {a.pk: hashlib.sha256(a.file.open("rb").read()).hexdigest()
                                 for a in Attachment.objects.all()},
        "audit": {e.pk: (e.at, e.actor_id, e.action, e.object_type, e.object_id, e.from_state, e.to_state,
                         e.comment, e.data) for e in AuditEntry.objects.order_by("pk")},
        "versions": _rows(DraftVersion),
        "users": {u.pk: (u.username, u.password, u.email) for u in User.objects.order_by("pk")},
        "organizations": _rows(Organization),
        "files": files,
    }


def test_backup_then_restore_into_an_empty_database_gives_everything_back(world, media, tmp_path):
    for user, org_call in ((world.applicant_admin, "bk-a"), (world.other_applicant, "bk-b")):
        app = start(user, make_call(world.jx, code=org_call, program_code=f"p-{org_call}"))
        fill(user, app, data=complete_data())
        attach(user, app, content=pdf_bytes(2), name="申报材料.pdf")
        attach(user, app, code="evidence", content=image_bytes("PNG"), name="证书.png")
    before = _snapshot(media)
    assert len(before["applications"]) == 2 and len(before["attachments"]) == 4
    assert len(before["audit"]) >= 6 and len(before["files"]) == 4

    archive = tmp_path / "backups" / "portal.tar.gz"
    call_command("backup", output=str(archive), verbosity=0)
    assert archive.is_file()

    # an empty database (schema only) and an empty media root
    call_command("flush", interactive=False, verbosity=0)
    for p in sorted(media.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    assert not Application.objects.exists() and not AuditEntry.objects.exists() and not User.objects.exists()

    call_command("restore", str(archive), verbosity=0)
    after = _snapshot(media)
    for key in before:
        assert after[key] == before[key], (key, _diff(before[key], after[key]) if key in ("applications", "attachments", "versions", "organizations") else "")


def test_restore_refuses_a_database_that_is_not_empty(world, media, tmp_path):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", output=str(archive), verbosity=0)
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), verbosity=0)


def test_restore_refuses_a_damaged_archive(world, media, tmp_path):
    import io
    import json
    import tarfile

    app = start(world.applicant_admin, make_call(world.jx))
    attach(world.applicant_admin, app, content=pdf_bytes(), name="a.pdf")
    archive = tmp_path / "b.tar.gz"
    call_command("backup", output=str(archive), verbosity=0)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("media/"):
                data = data[:-10] + b"0" * 10
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
        manifest = json.loads(src.extractfile("manifest.json").read())
    assert manifest["files"]
    call_command("flush", interactive=False, verbosity=0)
    for p in sorted(media.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(damaged), verbosity=0)
    assert not User.objects.exists()


def _diff(a, b):
    out = []
    for pk in a:
        for k in a[pk]:
            if a[pk][k] != b.get(pk, {}).get(k):
                out.append((pk, k, a[pk][k], b.get(pk, {}).get(k)))
    return out
