"""Fixtures and helpers shared by the applicant tests (imported by the test_applicant_* modules)."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from portal.access import actor_for
from programs.constants import CallKind, CallStatus, ConditionKind, DeadlineKind, StageLevel
from programs.models import EligibilityCondition, RequiredMaterial
from tests.factories import CallFactory, ProgramTypeFactory, StageFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEADLINE = dt.datetime(2031, 4, 22, 23, 59, 59, tzinfo=SHANGHAI)
COMMITMENT = "告知承诺书\n本单位承诺所提交材料真实、合法、完整、有效。"

# every input of the Gansu ETC rubric not asked among the annual figures
RUBRIC_EXTRA = {
    "senior_or_phd": "12", "invention_patents_valid": "6", "achievements_filed_3y": "2", "equipment_value": "800",
    "provincial_platforms": "1", "certified_labs": "0", "applications_invention": "3", "applications_utility": "5",
    "applications_software": "1", "applications_design": "0", "new_product_projects": "2", "std_intl_lead": "0",
    "std_intl_part": "0", "std_national_lead": "0", "std_national_part": "1", "std_industry_lead": "0",
    "std_industry_part": "1", "std_group_lead": "0", "std_group_part": "0", "std_enterprise": "3",
    "awards_special": "0", "awards_first": "0", "awards_second": "0",
}
FIGURES_2030 = {"main_revenue": "10000", "rd_expenditure": "300", "profit": "900", "total_staff": "200",
                "rd_staff": "30", "new_product_revenue": "4000"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def make_call(province, *, code="jx-2031-etc", deadline=DEADLINE, rubric_code="gansu-2022-etc", multi=False,
              kind=CallKind.APPLICATION, program_code="etc-test", issuing_region=None, commitment=COMMITMENT,
              applicant_kinds=("enterprise",), year=2031):
    program = ProgramTypeFactory(code=program_code, name="省级企业技术中心（测试）", applicant_kinds=list(applicant_kinds),
                                 multi_organization=multi)
    call = CallFactory(code=code, province=province, program=program, kind=kind, year=year,
                       title=f"{year}年测试申报（{code}）", commitment_text=commitment, rubric_code=rubric_code,
                       status=CallStatus.PUBLISHED, issuing_region=issuing_region)
    StageFactory(call=call, order=1, level=StageLevel.APPLICANT, name="企业申报",
                 deadline_kind=DeadlineKind.ABSOLUTE if deadline else DeadlineKind.ROLLING, deadline_at=deadline)
    if kind != CallKind.EVALUATION:
        EligibilityCondition.objects.create(
            call=call, order=1, code="rd-expenditure-min", kind=ConditionKind.THRESHOLD,
            text="年度研究与试验发展经费支出额不低于200万元。", input_key="rd_expenditure", comparator=">=",
            threshold="200", unit="万元")
        EligibilityCondition.objects.create(
            call=call, order=2, code="rd-intensity-min", kind=ConditionKind.RATIO,
            text="研发经费支出占主营业务收入的比重不低于2%。", input_key="rd_expenditure", denominator_key="main_revenue",
            comparator=">=", threshold="2", unit="%")
        EligibilityCondition.objects.create(
            call=call, order=3, code="no-serious-violations", kind=ConditionKind.DECLARATION,
            text="申请受理截止日期前两年内，无严重违法违规行为、严重违法失信行为、重大质量事故或安全责任事故。")
    RequiredMaterial.objects.create(call=call, order=1, code="application-material", name="申报材料",
                                    allowed_types=["pdf"], max_size_mb=50, is_required=True)
    RequiredMaterial.objects.create(call=call, order=2, code="evidence", name="证明材料（扫描件）",
                                    allowed_types=["pdf", "jpg", "png"], max_size_mb=1, is_required=False)
    return call


def actor(user):
    return actor_for(user)


def complete_data(call_year=2031, **figures):
    latest = str(call_year - 1)
    return {
        "profile": {"industry": "装备制造", "main_business": "数控机床", "address": "章贡区", "contact_name": "张三",
                    "contact_phone": "0797-1234567", "contact_email": "zhang@example.com"},
        "summary": "企业技术中心成立于2015年，拥有研发人员30人。",
        "figures": {latest: {**FIGURES_2030, **figures}},
        "declarations": {"no-serious-violations": True},
    }


def pdf_bytes(pages=1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt="PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, format=fmt)
    return out.getvalue()


def uploaded(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def start(user, call):
    from submissions.filing import services

    a = actor(user)
    if call.commitment_text:
        services.commitment_accept(actor=a, call=call, ip_address="10.0.0.1")
    return services.application_start(actor=a, call=call)


def fill(user, app, data=None, inputs=None):
    from submissions.filing import services

    app.refresh_from_db()
    outcome = services.application_save_draft(actor=actor(user), application=app, base_version=app.version,
                                              data=data if data is not None else complete_data(),
                                              score_inputs=inputs if inputs is not None else RUBRIC_EXTRA)
    assert outcome.saved, outcome.refused
    return outcome


def attach(user, app, code="application-material", content=None, name="申报材料.pdf"):
    from submissions.filing import services

    material = app.call.materials.get(code=code)
    return services.attachment_upload(actor=actor(user), application=app, material=material,
                                      file=uploaded(content or pdf_bytes(), name), filename=name)


def ready(user, call):
    """A complete draft of `user`'s organization, ready to submit."""
    app = start(user, call)
    fill(user, app)
    attach(user, app)
    app.refresh_from_db()
    return app
