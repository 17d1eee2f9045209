"""The county summary table (推荐申报汇总表, seed 000 附件1): the county's recommended applications
of a call, as XLSX and as PDF, built by the document task, read by the county, its city and its
province only."""

import io
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from openpyxl import load_workbook
from pypdf import PdfReader

from portal.models import AuditEntry
from programs.constants import ConditionKind
from programs.models import EligibilityCondition
from submissions.constants import DocumentStatus
from submissions.documents import summary
from submissions.models import DocumentJob
from submissions.review import services as review
from tests.submissions.test_applicant_support import actor, media  # noqa: F401 - fixtures
from tests.submissions.test_review_support import county_staff, enterprise, review_call, submitted

pytestmark = pytest.mark.django_db

TITLE = "2024 年（第 27/28 批）省级企业技术中心推荐申报汇总表"
HEADERS = ["序号", "企业名称", "统一社会信用代码", "所属行业", "主营业务", "材料初评分",
           "申请受理截止日期前两年内有无严重违法违规行为、严重违法失信行为、重大质量事故或安全责任事故"]


def seed_notice() -> str:
    with open(Path(settings.BASE_DIR) / "fixtures" / "calls" / "seed-000-ganzhou-2024.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)["calls"][0]["notice_text"]


@pytest.fixture
def call(world):
    call = review_call(world, code="jx-etc-27")
    call.year, call.batch, call.notice_text = 2024, "第27批（2024年上半年）", seed_notice()
    call.save()
    call.program.name = "省级企业技术中心"
    call.program.save()
    EligibilityCondition.objects.create(
        call=call, order=1, code="no-serious-violations", kind=ConditionKind.DECLARATION,
        text="申请受理截止日期前两年内，无严重违法违规行为、严重违法失信行为、重大质量事故或安全责任事故。")
    return call


def recommend(world, org, call, *, score, declared, sign_off=False, industry="装备制造"):
    app = submitted(org, call)
    app.data = {"profile": {"industry": industry, "main_business": f"{org.name}主营"},
                "declarations": {"no-serious-violations": declared}}
    app.save(update_fields=["data"])
    reviewer, head = county_staff(world, org.region)
    review.application_recommend(actor=actor(reviewer), application=app, opinion="同意推荐", score=str(score))
    if sign_off:
        review.sign_off_batch(actor=actor(head), call=call, applications=[app.pk])
    return app


@pytest.fixture
def rows(world, call):
    """章贡区: two recommended (one signed off), one not; 南康区: one recommended (not in 章贡's table)."""
    first = recommend(world, world.ent_zg, call, score="82.50", declared=True, sign_off=True)
    second = recommend(world, world.ent_zg2, call, score="75", declared=False)
    submitted(enterprise(world.zhanggong, "章贡未推荐企业"), call)
    recommend(world, world.ent_nk, call, score="90", declared=True)
    return first, second


@pytest.fixture
def build(django_capture_on_commit_callbacks, eager_tasks, media):
    def run(user, call, fmt):
        with django_capture_on_commit_callbacks(execute=True):
            job = summary.summary_request(actor=actor(user), call=call, fmt=fmt)
        job.refresh_from_db()
        assert job.status == DocumentStatus.DONE, job.error
        return job

    return run


def content_of(job) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def test_the_xlsx_has_the_seed_layout_and_one_row_per_recommended_application(world, call, rows, build):
    first, second = rows
    job = build(world.county_reviewer, call, "xlsx")
    ws = load_workbook(io.BytesIO(content_of(job))).active
    assert ws["A1"].value == TITLE
    assert ws["A2"].value == "推荐地区（盖章）：江西省赣州市章贡区"
    assert [c.value for c in ws[3]] == HEADERS
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=5)]
    assert body == [
        [1, "章贡甲企业", world.ent_zg.credit_code, "装备制造", "章贡甲企业主营", 82.5, "无"],
        [2, "章贡乙企业", world.ent_zg2.credit_code, "装备制造", "章贡乙企业主营", 75.0, "有"],
    ]
    assert ws["A6"].value is None  # neither the county's other application nor 南康区's
    notes = [ws.cell(row=r, column=1).value for r in range(7, 9)]
    assert notes[0].startswith("备注：1. 未开展市级企业技术中心建设的地区推荐数量不超过 2 家")
    assert notes[1].startswith("2. 所属行业与")
    assert ws["C4"].number_format == "@"
    assert AuditEntry.objects.filter(action="document.request", object_id=str(job.pk)).count() == 1


def test_the_xlsx_keeps_its_formats_title_merged_widths_and_print_setup(world, call, rows, build):
    """Every body cell is bordered and aligned by its column (names, industry and business wrap),
    the credit code is text; the title is merged and bold; widths, frozen head and A4 landscape."""
    job = build(world.county_reviewer, call, "xlsx")
    ws = load_workbook(io.BytesIO(content_of(job))).active
    assert "A1:G1" in {str(r) for r in ws.merged_cells.ranges} and "A2:G2" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].font.b and ws["A1"].font.sz == 14 and ws["A1"].alignment.horizontal == "center"
    assert all(c.font.b and c.alignment.wrap_text for c in ws[3])
    for row in ws.iter_rows(min_row=4, max_row=5):
        for cell in row:
            assert cell.border.left.style == cell.border.bottom.style == "thin", cell.coordinate
            assert cell.alignment.vertical == "center"
            assert bool(cell.alignment.wrap_text) == (cell.column in (2, 4, 5)), cell.coordinate
            assert (cell.number_format == "@") == (cell.column == 3), cell.coordinate
    assert [ws.column_dimensions[c].width for c in "ABCDEFG"] == [6, 34, 22, 16, 30, 12, 40]
    assert ws.freeze_panes == "A4"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"


def test_the_pdf_is_landscape_with_title_county_and_rows(world, call, rows, build, artifacts_dir):
    import shutil
    import subprocess

    job = build(world.county_head, call, "pdf")
    data = content_of(job)
    reader = PdfReader(io.BytesIO(data))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape A4
    text = "".join(p.extract_text() for p in reader.pages)
    flat = text.replace("\n", "").replace(" ", "")
    assert TITLE.replace(" ", "") in flat and "推荐地区（盖章）：江西省赣州市章贡区" in flat
    assert "章贡甲企业" in text and "82.50" in text and "南康企业" not in text and job.pages == len(reader.pages)
    with open(f"{artifacts_dir}/41-summary-table.pdf", "wb") as out:
        out.write(data)
    subprocess.run([shutil.which("pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1",
                    f"{artifacts_dir}/41-summary-table.pdf", f"{artifacts_dir}/41-summary-table"], check=True,
                   timeout=60)


def test_the_same_rows_reuse_the_table_and_a_new_recommendation_builds_anew(world, call, rows, build):
    job = build(world.county_reviewer, call, "xlsx")
    assert build(world.county_head, call, "xlsx").pk == job.pk
    assert build(world.county_reviewer, call, "pdf").pk != job.pk  # another format, another job
    recommend(world, enterprise(world.zhanggong, "章贡丙企业"), call, score="70", declared=True)
    newer = build(world.county_reviewer, call, "xlsx")
    assert newer.pk != job.pk
    ws = load_workbook(io.BytesIO(content_of(newer))).active
    assert [ws.cell(row=r, column=2).value for r in (4, 5, 6)] == ["章贡甲企业", "章贡乙企业", "章贡丙企业"]


def test_only_the_county_its_city_and_its_province_read_the_table(world, call, rows, build, client_for,
                                                                  api_for):
    job = build(world.county_reviewer, call, "pdf")
    for user in (world.county_reviewer, world.county_head, world.city_reviewer, world.province_officer,
                 world.operator):
        assert client_for(user).get(f"/documents/{job.pk}/download/").status_code == 200, user
        assert api_for(user).get(f"/api/documents/{job.pk}/").status_code == 200, user
    for user in (world.neighbour_reviewer, world.other_city_reviewer, world.lanzhou_reviewer,
                 world.other_province_officer, world.applicant_admin, world.other_applicant):
        assert client_for(user).get(f"/documents/{job.pk}/download/").status_code == 404, user
        api = api_for(user)
        assert api.get(f"/api/documents/{job.pk}/").status_code == 404, user
        assert api.get(f"/api/documents/{job.pk}/download/").status_code == 404, user
        assert job.pk not in [row["id"] for row in api.get("/api/documents/").json()["results"]]


def test_applicants_make_no_table_and_a_bad_format_is_refused(world, call, rows, client_for, api_for, media,
                                                              eager_tasks):
    for user in (world.applicant_admin, world.other_applicant):
        response = api_for(user).post("/api/documents/summaries/", {"call": call.code, "format": "pdf"},
                                      format="json")
        assert response.status_code in (403, 404), (user, response.content)
    bad = api_for(world.county_reviewer).post("/api/documents/summaries/", {"call": call.code, "format": "doc"},
                                              format="json")
    assert bad.status_code == 400
    assert DocumentJob.objects.exclude(kind="letter").count() == 0  # the sign-off's letters only


def test_the_city_rolls_up_its_counties_and_the_province_its_cities(world, call, rows, build, client_for):
    from submissions.constants import DocumentKind

    city = build(world.city_reviewer, call, "xlsx")
    assert city.kind == DocumentKind.CITY_SUMMARY and city.region == world.ganzhou
    with city.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    table = [[c for c in row] for row in sheet.iter_rows(min_row=4, values_only=True) if row[2]]
    assert sheet.cell(row=3, column=2).value == "推荐地区"
    # every county's recommendations, grouped by county, best score first within each
    assert [(r[1], r[2]) for r in table] == [("南康区", "南康企业"), ("章贡区", "章贡甲企业"), ("章贡区", "章贡乙企业")]
    assert "章贡未推荐企业" not in [r[2] for r in table]
    pdf = build(world.city_reviewer, call, "pdf")
    with pdf.file.open("rb") as handle:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    assert "推荐地区" in text and "南康企业" in text and "章贡乙企业" in text

    # the province: its cities' recommendations (only what a city recommended)
    app = rows[0]
    app.refresh_from_db()
    review.application_recommend(actor=actor(world.city_reviewer), application=app, opinion="市级推荐", score="88")
    province = build(world.province_officer, call, "xlsx")
    assert province.kind == DocumentKind.PROVINCE_SUMMARY
    with province.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    table = [row for row in sheet.iter_rows(min_row=4, values_only=True) if row[2]]
    assert [(r[1], r[2], r[6]) for r in table] == [("赣州市", "章贡甲企业", 88)]
    # the city reads the province's table? no: it belongs to the province
    assert client_for(world.city_reviewer).get(f"/documents/{province.pk}/download/").status_code == 404
    assert client_for(world.county_reviewer).get(f"/documents/{city.pk}/download/").status_code == 404
    assert client_for(world.province_officer).get(f"/documents/{city.pk}/download/").status_code == 200


def test_the_queue_page_offers_the_table_and_the_api_builds_it(world, call, rows, client_for, api_for, media,
                                                              eager_tasks, django_capture_on_commit_callbacks):
    client = client_for(world.county_reviewer)
    page = client.get("/review/", {"call": call.pk}).content.decode()
    assert 'id="summary-panel"' in page and 'name="fmt" value="xlsx"' in page and 'name="fmt" value="pdf"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/review/summary-tables/", {"call": call.pk, "fmt": "xlsx"})
    assert response.status_code == 302
    job = DocumentJob.objects.get(kind="county_summary")
    page = client.get(response["Location"]).content.decode()
    assert f'href="/documents/{job.pk}/download/"' in page
    # the city sees the county's tables (read only) and makes its own roll-up
    city = client_for(world.city_reviewer).get("/review/").content.decode()
    assert f'href="/documents/{job.pk}/download/"' in city and 'name="fmt"' in city
    with django_capture_on_commit_callbacks(execute=True):
        created = api_for(world.county_head).post("/api/documents/summaries/", {"call": call.code, "format": "pdf"},
                                                  format="json")
    assert created.status_code == 201 and created.json()["fmt"] == "pdf"
    got = api_for(world.county_head).get(f"/api/documents/{created.json()['id']}/").json()
    assert got["status"] == "done" and got["download_url"] == f"/api/documents/{got['id']}/download/"


def test_title_and_notes_come_from_the_call(world, call):
    assert summary.table_title(call) == TITLE
    assert len(summary.table_notes(call)) == 2
    call.notice_text = ""
    call.save()
    assert "2024" in summary.table_title(call) and "27" in summary.table_title(call)
    assert summary.table_notes(call) == []
