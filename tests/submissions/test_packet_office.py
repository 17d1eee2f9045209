"""Word and Excel materials are converted by LibreOffice (headless) and bound as pages of the packet,
in slot order; a file LibreOffice cannot convert fails the job with a message naming it."""

import io

import pytest
from django.core.exceptions import ValidationError
from docx import Document
from openpyxl import Workbook

from programs.models import RequiredMaterial
from submissions.constants import DocumentStatus
from submissions.documents import packet as packets
from submissions.filing import services
from tests.conftest import needs_postgres
from tests.submissions.test_applicant_support import DEADLINE, actor, attach, make_call, media, ready  # noqa: F401
from tests.submissions.test_packets import built, commit, outline_of, page_texts, read  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def docx_bytes(marker: str, pages: int = 2) -> bytes:
    document = Document()
    for n in range(1, pages + 1):
        document.add_paragraph(f"{marker}-P{n} 研发投入情况说明")
        if n < pages:
            document.add_page_break()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(marker: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["指标", "数值"])
    ws.append([marker, 12345])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def office_call(world):
    call = make_call(world.jx, code="jx-2031-office")
    RequiredMaterial.objects.create(call=call, order=3, code="report", name="研发情况报告", allowed_types=["docx"],
                                    is_required=False)
    RequiredMaterial.objects.create(call=call, order=4, code="figures", name="财务数据表", allowed_types=["xlsx"],
                                    is_required=False)
    return call


@needs_postgres
def test_a_docx_and_an_xlsx_material_are_pages_of_the_packet(world, office_call, media, time_machine, built):
    time_machine.move_to(DEADLINE, tick=False)
    app = ready(world.applicant_admin, office_call)
    attach(world.applicant_admin, app, "report", docx_bytes("DOCXMARK", 2), "研发情况报告.docx")
    attach(world.applicant_admin, app, "figures", xlsx_bytes("XLSXMARK"), "财务数据表.xlsx")
    stored = {a.original_name: a.content_type for a in app.attachments.all()}
    assert len(stored["研发情况报告.docx"]) == 71 and len(stored["财务数据表.xlsx"]) == 65  # stored in full on PG
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    data = read(built(world.applicant_admin, app))
    texts = page_texts(data)
    outline = {title: (page, kids) for title, page, kids in outline_of(data)}
    report_page = outline["研发情况报告"][1][1][1]
    figures_page = outline["财务数据表"][1][1][1]
    assert outline["研发情况报告"][1][1][0] == "研发情况报告.docx" and outline["财务数据表"][1][1][0] == "财务数据表.xlsx"
    assert "DOCXMARK-P1" in texts[report_page - 1] and "DOCXMARK-P2" in texts[report_page]
    assert "XLSXMARK" in texts[figures_page - 1] and "12345" in texts[figures_page - 1]
    assert report_page < figures_page  # slot order


def test_a_file_libreoffice_cannot_convert_fails_the_job_naming_it(world, office_call, media, time_machine,
                                                                 settings, eager_tasks, commit):
    time_machine.move_to(DEADLINE, tick=False)
    app = ready(world.applicant_admin, office_call)
    attach(world.applicant_admin, app, "report", docx_bytes("DOCXMARK", 1), "无法转换的报告.docx")
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    settings.SOFFICE_BINARY = "/bin/false"  # a converter that produces nothing
    with commit():
        job = packets.packet_request(actor=actor(world.applicant_admin), application=app)
    job.refresh_from_db()
    assert job.status == DocumentStatus.FAILED and "无法转换的报告.docx" in job.error and not job.file
    # damaged content is refused by LibreOffice too
    settings.SOFFICE_BINARY = ""
    with pytest.raises(ValidationError) as refused:
        packets.office_to_pdf(b"PK\x03\x04 this is no document", "docx", name="坏文件.docx")
    assert "坏文件.docx" in " ".join(refused.value.messages)
