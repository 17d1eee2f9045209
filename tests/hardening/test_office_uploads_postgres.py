"""On PostgreSQL (which enforces column lengths, unlike SQLite), every type a slot allows is stored
through the upload page, in every kind of slot the seeds' calls declare."""

from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection

from programs.models import RequiredMaterial
from submissions.filing.uploads import TYPES, allowed_types
from submissions.models import Attachment
from tests.conftest import needs_postgres
from tests.hardening.files import FILES
from tests.submissions.test_applicant_support import make_call, media, start  # noqa: F401 - fixtures

pytestmark = [pytest.mark.postgres, needs_postgres, pytest.mark.django_db]


def _slot_kinds() -> list[tuple[str, ...]]:
    """Every distinct list of allowed types in the seeds' calls and the call template, plus the default."""
    found = {("pdf", "jpeg", "png")}

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("allowed_types"), list):
                found.add(tuple(node["allowed_types"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((Path(settings.BASE_DIR) / "fixtures").rglob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return sorted(found)


TRIED = Counter()


def test_every_allowed_type_is_stored_in_every_kind_of_slot(world, media, client_for):
    assert connection.vendor == "postgresql"
    kinds = _slot_kinds()
    assert {"xlsx", "docx", "mp4"} <= {t for k in kinds for t in k}, kinds
    call = make_call(world.jx)
    slots = []
    for order, types in enumerate(kinds, start=10):
        slots.append(RequiredMaterial.objects.create(call=call, order=order, code=f"slot-{order}", name=f"材料{order}",
                                                     allowed_types=list(types), max_size_mb=5, is_required=False))
    app = start(world.applicant_admin, call)
    client = client_for(world.applicant_admin)
    stored = 0
    for slot in slots:
        for kind in allowed_types(slot):
            name, build = FILES[kind]
            from django.core.files.uploadedfile import SimpleUploadedFile

            response = client.post(f"/my/applications/{app.pk}/materials/{slot.pk}/upload/",
                                   {"file": SimpleUploadedFile(name, build(), content_type="application/octet-stream")},
                                   HTTP_ACCEPT="application/json")
            assert response.status_code == 201, (slot.allowed_types, kind, response.content)
            body = response.json()
            assert body["content_type"] == TYPES[kind][0]
            row = Attachment.objects.get(pk=body["id"])
            assert row.content_type == TYPES[kind][0] and row.material_id == slot.pk
            TRIED[kind] += 1
            stored += 1
    longest = max(len(TYPES[k][0]) for k in TYPES)
    assert longest > 64  # the Word type is 71 characters
    assert stored == sum(len(allowed_types(s)) for s in slots)
    assert TRIED["xlsx"] >= 2 and TRIED["docx"] >= 2
    print("uploads per type on PostgreSQL:", dict(sorted(TRIED.items())), "slots:", [s.allowed_types for s in slots])
