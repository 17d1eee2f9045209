"""Zip bombs and PDFs with active content are refused at upload, with the reason; nothing is stored."""

import io
import time

import pytest
from django.utils import translation

from submissions.filing import services
from submissions.filing.uploads import UploadRefused, check_upload
from submissions.models import Attachment
from tests.hardening.files import docx_bytes, pdf_with, xlsx_bytes, zip_bomb
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    actor,
    make_call,
    media,
    pdf_bytes,
    start,
    stored_files,
    uploaded,
)


class Slot:
    def __init__(self, types, mb=600):
        self.allowed_types, self.max_size_mb = types, mb


def test_a_1_gib_zip_bomb_is_refused_in_under_a_second(tmp_path):
    path = tmp_path / "bomb.xlsx"
    zip_bomb(path)
    assert path.stat().st_size < 8 * 1024 * 1024  # 1 GiB of zeros packs into a few MB
    with open(path, "rb") as handle, translation.override("en"):
        started = time.perf_counter()
        with pytest.raises(UploadRefused) as refused:
            check_upload(file=handle, filename="财务数据表.xlsx", material=Slot(["xlsx"]))
        elapsed = time.perf_counter() - started
    assert refused.value.reason == "bomb"
    assert "1024.0 MB" in refused.value.messages[0] and "zip bomb" in refused.value.messages[0]
    assert elapsed < 1.0, elapsed


def test_a_small_bomb_is_refused_by_its_ratio(tmp_path, settings):
    settings.UPLOAD_ZIP_MAX_UNCOMPRESSED = 1024 ** 3
    path = tmp_path / "bomb.docx"
    zip_bomb(path, size=64 * 1024 * 1024, name="word/document.xml")
    with open(path, "rb") as handle, pytest.raises(UploadRefused) as refused:
        check_upload(file=handle, filename="承诺书.docx", material=Slot(["docx"]))
    assert refused.value.reason == "bomb"


def test_the_limits_come_from_settings(settings):
    settings.UPLOAD_ZIP_MAX_UNCOMPRESSED = 1024  # 1 KiB: a real workbook is larger unpacked
    with pytest.raises(UploadRefused) as refused:
        check_upload(file=io.BytesIO(xlsx_bytes()), filename="a.xlsx", material=Slot(["xlsx"]))
    assert refused.value.reason == "bomb"


def test_real_office_files_pass():
    assert check_upload(file=io.BytesIO(xlsx_bytes()), filename="a.xlsx", material=Slot(["xlsx"])).kind == "xlsx"
    assert check_upload(file=io.BytesIO(docx_bytes()), filename="a.docx", material=Slot(["docx"])).kind == "docx"


@pytest.mark.parametrize("kind,fragment", [
    ("javascript", "JavaScript"), ("names-javascript", "JavaScript"), ("launch", "Launch"),
    ("embedded", "embedded"),
])
def test_pdfs_with_active_content_are_refused_and_say_why(kind, fragment):
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        check_upload(file=io.BytesIO(pdf_with(kind)), filename="申报材料.pdf", material=Slot(["pdf"]))
    assert refused.value.reason == "active"
    assert fragment in refused.value.messages[0]


def test_the_message_is_chinese_by_default():
    with translation.override("zh-hans"), pytest.raises(UploadRefused) as refused:
        check_upload(file=io.BytesIO(pdf_with("javascript")), filename="申报材料.pdf", material=Slot(["pdf"]))
    assert "JavaScript" in refused.value.messages[0] and "拒收" in refused.value.messages[0]


def test_a_plain_pdf_passes():
    assert check_upload(file=io.BytesIO(pdf_bytes(2)), filename="a.pdf", material=Slot(["pdf"])).kind == "pdf"


@pytest.mark.django_db
def test_a_refused_pdf_stores_nothing(world, media):
    app = start(world.applicant_admin, make_call(world.jx))
    material = app.call.materials.get(code="application-material")
    with pytest.raises(UploadRefused):
        services.attachment_upload(actor=actor(world.applicant_admin), application=app, material=material,
                                   file=uploaded(pdf_with("launch"), "x.pdf"), filename="x.pdf")
    assert not Attachment.objects.exists() and stored_files(media) == []
