"""Materials: checked by their content, refused with their reason and nothing stored, stored under a
name the portal chooses with their SHA-256, served only to whoever may read the application."""

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from submissions.filing import services
from submissions.filing.uploads import UploadRefused
from submissions.models import Attachment
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    DEADLINE,
    actor,
    attach,
    image_bytes,
    make_call,
    media,
    pdf_bytes,
    ready,
    start,
    stored_files,
    uploaded,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(world, media):
    return start(world.applicant_admin, make_call(world.jx))


def _refused(world, app, content, name, code="application-material", filename=None):
    from django.utils import translation

    material = app.call.materials.get(code=code)
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        services.attachment_upload(actor=actor(world.applicant_admin), application=app, material=material,
                                   file=uploaded(content, "upload.bin"), filename=filename or name)
    return refused.value


def _encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode"


@pytest.mark.parametrize("case,content,name,code,reason,fragment", [
    ("exe renamed pdf", EXE, "申报材料.pdf", "application-material", "program", "is a program"),
    ("truncated pdf", pdf_bytes(3)[: len(pdf_bytes(3)) // 2], "申报材料.pdf", "application-material", "damaged",
     "incomplete"),
    ("pdf that does not open", b"%PDF-1.7\n1 0 obj\n<< garbage >>\nendobj\n%%EOF\n", "x.pdf", "application-material",
     "damaged", "cannot be opened"),
    ("oversized", b"%PDF-1.4\n" + b"0" * (1024 * 1024), "scan.pdf", "evidence", "size", "up to 1 MB"),
    ("name with ../", pdf_bytes(), "../../etc/申报材料.pdf", "application-material", "name", "../"),
    ("name with a backslash", pdf_bytes(), "..\\windows\\a.pdf", "application-material", "name", "path"),
    ("png in a pdf slot", image_bytes("PNG"), "申报材料.pdf", "application-material", "type", "PNG image"),
    ("empty file", b"", "empty.pdf", "application-material", "empty", "empty"),
    ("password-protected pdf", _encrypted_pdf(), "locked.pdf", "application-material", "encrypted", "password"),
    ("html disguised as png", b"<html><script>alert(1)</script></html>", "x.png", "evidence", "type",
     "unknown kind"),
])
def test_refused_files_say_why_and_store_nothing(world, app, media, case, content, name, code, reason, fragment):
    refused = _refused(world, app, content, name, code)
    assert refused.reason == reason, case
    assert fragment in refused.messages[0], refused.messages[0]
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("content,name,ctype", [
    (pdf_bytes(2), "申报材料.pdf", "application/pdf"),
    (image_bytes("PNG"), "营业执照.png", "image/png"),
    (image_bytes("JPEG"), "现场照片.jpg", "image/jpeg"),
    (image_bytes("JPEG"), "named-wrong.pdf", "image/jpeg"),  # content decides, not the name
])
def test_accepted_files_are_stored_under_a_portal_chosen_name_with_their_sha256(world, app, media, content, name, ctype):
    att = attach(world.applicant_admin, app, code="evidence", content=content, name=name)
    assert (att.original_name, att.content_type, att.size) == (name, ctype, len(content))
    assert att.sha256 == hashlib.sha256(content).hexdigest()
    assert att.file.name.startswith(f"attachments/{app.pk}/")
    stored = att.file.name.rsplit("/", 1)[1]
    assert len(stored) == 32 and name not in att.file.name
    assert [p.read_bytes() for p in stored_files(media)] == [content]


def test_a_new_file_replaces_the_current_one_and_the_old_one_stays_on_record(world, app, media):
    first = attach(world.applicant_admin, app, content=pdf_bytes(1), name="v1.pdf")
    second = attach(world.applicant_admin, app, content=pdf_bytes(2), name="v2.pdf")
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    assert len(stored_files(media)) == 2


def test_strangers_and_read_only_states_cannot_upload(world, app, media):
    material = app.call.materials.get(code="application-material")
    for user in (world.other_applicant, world.county_reviewer):
        with pytest.raises(PermissionDenied):
            services.attachment_upload(actor=actor(user), application=app, material=material,
                                       file=uploaded(pdf_bytes(), "a.pdf"), filename="a.pdf")
    assert stored_files(media) == []


def test_files_are_served_only_through_the_access_checked_view(world, media, client_for, client):
    call = make_call(world.jx)
    app = ready(world.applicant_admin, call)
    att = app.attachments.get()
    url = reverse("application-file", args=[app.pk, att.pk])
    assert client.get(url).status_code == 302  # anonymous: sign in first
    for stranger in (world.other_applicant, world.county_reviewer, world.neighbour_reviewer, world.other_province_officer):
        response = client_for(stranger).get(url)
        assert response.status_code == 404, stranger.username
    response = client_for(world.applicant_filer).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    # the wrong application id in the URL does not reach the file
    other = start(world.other_applicant, make_call(world.jx, code="other-call", program_code="other"))
    assert client_for(world.other_applicant).get(reverse("application-file", args=[other.pk, att.pk])).status_code == 404
    # the county bureau reads it once submitted; the neighbouring county still does not
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    assert client_for(world.county_reviewer).get(url).status_code == 200
    inline = client_for(world.county_reviewer).get(url + "?inline=1")
    assert inline["Content-Disposition"].startswith("inline;")
    assert client_for(world.neighbour_reviewer).get(url).status_code == 404
    assert not settings_media_url_serves(client, att)


def settings_media_url_serves(client, att) -> bool:
    """The stored path is never reachable as a URL."""
    from django.conf import settings

    return client.get(settings.MEDIA_URL + att.file.name).status_code == 200


def test_the_upload_page_answers_json_with_the_reason(world, app, media, client_for):
    client = client_for(world.applicant_admin)
    material = app.call.materials.get(code="application-material")
    url = reverse("applicant-upload", args=[app.pk, material.pk])
    response = client.post(url, {"file": uploaded(EXE, "setup.pdf"), "filename": "setup.pdf"},
                           HTTP_X_REQUESTED_WITH="XMLHttpRequest", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["reason"] == "program" and "is a program" in response.json()["detail"]
    response = client.post(url, {"file": uploaded(pdf_bytes(), "ok.pdf"), "filename": "../ok.pdf"},
                           HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 400 and response.json()["reason"] == "name"
    assert stored_files(media) == []
    response = client.post(url, {"file": uploaded(pdf_bytes(), "ok.pdf"), "filename": "ok.pdf"},
                           HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 201
    body = response.json()
    assert body["sha256"] == hashlib.sha256(pdf_bytes()).hexdigest() and body["url"].endswith(f"/{body['id']}/")
    # another applicant cannot upload into this application
    response = client_for(world.other_applicant).post(url, {"file": uploaded(pdf_bytes(), "x.pdf")},
                                                      HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 404
    assert Attachment.objects.count() == 1
