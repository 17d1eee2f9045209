"""Backup and restore of the whole portal: the database's rows and the uploaded files, in one archive.

The archive (a .tar.gz) holds ``manifest.json`` (when, which Django apps, row counts, the SHA-256 of
every media file), ``data.json`` (``dumpdata`` with natural foreign keys, primary keys kept: every
application, attachment and audit entry comes back with its id) and ``media/`` (MEDIA_ROOT as it
was). Restoring needs a migrated, empty database (``migrate`` on a new database) and an empty media
root; it checks every file against the manifest before loading anything, then loads the rows in one
transaction. The audit table stays append-only: a restore only inserts.

For large PostgreSQL deployments the database can also be saved with ``pg_dump -Fc`` (README).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

FORMAT = 1
DATA_FORMAT = "portal-backup-json"  # Django's JSON with exact times (backup_format)
serializers.register_serializer(DATA_FORMAT, "portal.project.backup_format")
# Rebuilt by `migrate` (content types, permissions) or not worth keeping (sessions, sign-in attempts).
EXCLUDE = ["contenttypes", "auth.permission", "sessions", "axes", "admin.logentry"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def backup(output: Path) -> dict:
    """Write the archive to `output`; returns its manifest."""
    output = Path(output)
    media = _media_root()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.json"
        with transaction.atomic():  # one consistent read on PostgreSQL (repeatable within the dump)
            call_command("dumpdata", format=DATA_FORMAT, natural_foreign=True, exclude=EXCLUDE, output=str(data),
                         verbosity=0)
        rows = json.loads(data.read_text(encoding="utf-8"))
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["model"]] = counts.get(row["model"], 0) + 1
        files = {}
        if media.is_dir():
            for path in sorted(p for p in media.rglob("*") if p.is_file()):
                files[path.relative_to(media).as_posix()] = _sha256(path)
        manifest = {"format": FORMAT, "created_at": timezone.now().isoformat(), "database": connection.vendor,
                    "rows": counts, "files": files}
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            blob = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
            tar.add(data, arcname="data.json")
            for name in files:
                tar.add(media / name, arcname=f"media/{name}")
        partial.replace(output)  # a half-written archive never carries the final name
    return manifest


def _empty_database() -> bool:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    audit = apps.get_model("portal", "AuditEntry")
    return not user_model.objects.exists() and not audit.objects.exists()


def restore(archive: Path) -> dict:
    """Load the archive into an empty, migrated database and an empty media root; returns the manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise CommandError(f"No such archive: {archive}")
    if not _empty_database():
        raise CommandError("The database is not empty: restore into a new database (createdb, then migrate).")
    media = _media_root()
    if media.exists() and any(p.is_file() for p in media.rglob("*")):
        raise CommandError(f"The media root {media} is not empty: restore into an empty directory.")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")  # no absolute paths, no links out, no devices
        manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise CommandError(f"Unknown archive format {manifest.get('format')!r}.")
        for name, digest in manifest["files"].items():
            path = work / "media" / name
            if not path.is_file() or _sha256(path) != digest:
                raise CommandError(f"The archive is damaged: media file {name} is missing or changed.")
        with transaction.atomic():
            call_command("loaddata", str(work / "data.json"), format=DATA_FORMAT, verbosity=0)
        media.mkdir(parents=True, exist_ok=True)
        for name in manifest["files"]:
            target = media / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / "media" / name, target)
    return manifest
