"""The bureaus' review file reads like the applicant's form (labels, sections, figures per year,
declared figures beside the corrected ones); the XLSX export carries the declarations; a site
verification that fails leaves no photo on disk."""

import io
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from portal.access import actor_for
from programs.constants import CallKind, ConditionKind
from programs.models import EligibilityCondition
from submissions.models import SiteVisit, SiteVisitPhoto
from submissions.review import services as review
from tests.factories import ProgramTypeFactory
from tests.submissions.test_applicant_support import media, stored_files  # noqa: F401 - fixture
from tests.submissions.test_review_support import PNG_1PX, review_call, submitted

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ITC = "gansu-2022-itc"
INPUTS = {"org_structure": "fairly_complete", "management_rules": "very_complete", "equipment_value": "500",
          "fulltime_rd_staff": "20", "ip_invention": "3"}
VIOLATIONS = "申请受理截止日期前两年内，无严重违法违规行为、严重违法失信行为、重大质量事故或安全责任事故。"


@pytest.fixture
def itc_rubric(db):
    from scoring.services import rubric_fixture_load

    version, _created = rubric_fixture_load(path=settings.BASE_DIR / "fixtures" / "rubrics" / f"{ITC}.yaml")
    return version


def declaration(call, code="no-serious-violations", text=VIOLATIONS, order=9):
    return EligibilityCondition.objects.create(call=call, order=order, code=code, kind=ConditionKind.DECLARATION,
                                               text=text)


def application_data(call, **extra):
    latest, before = str(call.year - 1), str(call.year - 2)
    return {
        "profile": {"industry": "装备制造", "main_business": "数控机床", "contact_name": "张三"},
        "summary": "企业技术中心成立于2015年，拥有研发人员30人。",
        "figures": {latest: {"rd_expenditure": "321.5", "main_revenue": "9876"}, before: {"rd_expenditure": "288"}},
        **extra,
    }


def page(client, app, lang=ZH) -> str:
    response = client.get(reverse("review-detail", args=[app.pk]), **lang)
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, marker: str) -> str:
    """The table row (or definition) opened by `marker`, up to its end."""
    start = html.index(marker)
    end = html.index("</tr>", start) if "</tr>" in html[start:] else len(html)
    return html[start:end]


# --- 1. the review file shows the form with its labels ----------------------------------------------------


def test_the_form_data_is_shown_with_the_labels_of_the_calls_form(world, client_for, itc_rubric):
    call = review_call(world, code="polish-labels", rubric_code=ITC)
    declaration(call)
    app = submitted(world.ent_zg, call, score_inputs=INPUTS, self_score=Decimal("50"))
    app.data = application_data(call, declarations={"no-serious-violations": True}, legacy_note="旧字段")
    app.save(update_fields=["data"])
    review.input_correct(actor=actor_for(world.county_reviewer), application=app, input_key="ip_invention",
                         new_value="1", reason="证书只有1件有效")
    html = page(client_for(world.county_reviewer), app)

    # the summary under its label, not under its raw key
    assert "申报平台概况" in html and "企业技术中心成立于2015年" in html
    assert "<th>summary</th>" not in html
    # the profile with the form's labels
    assert "主营业务" in html and "数控机床" in html
    # the declaration: its statement, 是
    declared = row_of(html, 'data-field="declarations.no-serious-violations"')
    assert VIOLATIONS in declared and "是" in declared
    # an unknown key falls back to the key
    assert 'data-field="legacy_note"' in html and "旧字段" in html

    # the figures the applicant typed, per year
    rd = row_of(html, 'data-figure="rd_expenditure"')
    assert "研发经费支出" in rd and "321.5" in rd and "288" in rd
    assert f"<th class=\"num\">{call.year - 1}</th>" in html
    # the rubric inputs with the bureau's correction beside the declared value, levels by their label
    patents = row_of(html, 'data-input="ip_invention"')
    assert "发明专利授权" in patents and '<td class="declared">3</td>' in patents
    assert '<td class="current">1' in patents and 'class="differs"' in patents
    structure = row_of(html, 'data-input="org_structure"')
    assert "组织机构建设" in structure and "比较完善" in structure
    # the corrections table names the figure, the correction form lists the figures by label
    assert "<td>发明专利授权</td>" in html
    assert re.search(r'<option value="ip_invention">发明专利授权( \([^)a-z_]*\))?</option>', html)
    assert "(ip_invention)" not in html  # the rubric's key never reaches the screen


def test_the_labels_follow_the_language(world, client_for):
    call = review_call(world, code="polish-en")
    declaration(call)
    app = submitted(world.ent_zg, call)
    app.data = application_data(call, declarations={"no-serious-violations": False})
    app.save(update_fields=["data"])
    html = page(client_for(world.county_reviewer), app, EN)
    assert "Summary of the platform applied for" in html and "R&amp;D expenditure" in html
    assert ">No</td>" in row_of(html, 'data-field="declarations.no-serious-violations"')


def test_an_evaluation_shows_its_outline_sections_and_target_table(world, client_for):
    call = review_call(world, code="polish-eval")
    call.kind = CallKind.EVALUATION
    call.program = ProgramTypeFactory(code="mic", name="省制造业创新中心")
    call.save(update_fields=["kind", "program"])
    app = submitted(world.ent_zg, call)
    app.data = {"sections": {"1-1": "完成了年度发展目标。", "2-6": ""},
                "targets": [{"task": "建成中试线", "completion": "已建成", "gap": "无", "note": ""}]}
    app.save(update_fields=["data"])
    html = page(client_for(world.county_reviewer), app)
    assert "省制造业创新中心自评材料要求（附件2）" in html
    section = html[html.index('data-field="sections.1-1"') - 200:]
    assert "（一）发展目标完成情况。" in section and "完成了年度发展目标。" in section
    assert "三年建设目标任务完成情况对照表" in html
    targets = html[html.index('class="grid small targets"'):]
    assert "<th>目标任务</th>" in targets and "<th>进度差距</th>" in targets
    assert "<td>建成中试线</td>" in targets and "<td>已建成</td>" in targets
    assert "{&quot;" not in html and '"task"' not in html  # no raw JSON of the table


# --- 2. the XLSX export carries the declarations -----------------------------------------------------------


def _export(client, ids, lang=EN):
    from openpyxl import load_workbook

    response = client.post(reverse("review-bulk"), {"action": "export", "selected": ids}, **lang)
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_export_has_a_column_per_declaration(world, client_for):
    call = review_call(world, code="polish-xlsx")
    declaration(call)
    declaration(call, code="true-materials", text="所提交材料真实有效。", order=10)
    yes = submitted(world.ent_zg, call, self_score=Decimal("72.5"))
    yes.data = {"declarations": {"no-serious-violations": True, "true-materials": True}}
    yes.save(update_fields=["data"])
    no = submitted(world.ent_zg2, call)
    no.data = {"declarations": {"no-serious-violations": False}}
    no.save(update_fields=["data"])
    review.application_recommend(actor=actor_for(world.county_reviewer), application=yes, opinion="同意",
                                 score="68")
    client = client_for(world.county_reviewer)

    rows = _export(client, [yes.pk, no.pk])
    headers = list(rows[1])
    col = headers.index(f"Declaration: {VIOLATIONS}")
    other = headers.index("Declaration: 所提交材料真实有效。")
    by_name = {r[1]: r for r in rows[2:]}
    assert by_name["章贡甲企业"][col] == "Yes" and by_name["章贡乙企业"][col] == "No"
    assert by_name["章贡甲企业"][other] == "Yes" and by_name["章贡乙企业"][other] == "No"
    assert by_name["章贡甲企业"][headers.index("Self-score")] == 72.5
    assert by_name["章贡甲企业"][headers.index("Bureau score")] == 68.0

    rows = _export(client, [yes.pk, no.pk], ZH)
    headers = list(rows[1])
    col = headers.index(f"声明：{VIOLATIONS}")
    assert {r[1]: r[col] for r in rows[2:]} == {"章贡甲企业": "是", "章贡乙企业": "否"}
    assert "自评分" in headers and "初评分" in headers


def test_a_declaration_of_another_call_is_left_blank(world, client_for):
    first = review_call(world, code="polish-xlsx-a")
    declaration(first)
    second = review_call(world, code="polish-xlsx-b")
    a = submitted(world.ent_zg, first)
    a.data = {"declarations": {"no-serious-violations": True}}
    a.save(update_fields=["data"])
    b = submitted(world.ent_zg2, second)
    rows = _export(client_for(world.county_reviewer), [a.pk, b.pk])
    col = list(rows[1]).index(f"Declaration: {VIOLATIONS}")
    assert {r[1]: r[col] for r in rows[2:]} == {"章贡甲企业": "Yes", "章贡乙企业": None}


# --- 3. a failed site verification leaves no photo --------------------------------------------------------


def _photos():
    return [SimpleUploadedFile("现场1.png", PNG_1PX, content_type="image/png"),
            SimpleUploadedFile("现场2.png", PNG_1PX, content_type="image/png")]


def test_a_site_visit_that_fails_after_saving_photos_leaves_no_file(world, media, monkeypatch):
    app = submitted(world.ent_zg, review_call(world, code="polish-photo-fail"))

    def broken_audit(**kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(review, "_audit_review", broken_audit)  # fails after both photos are written
    with pytest.raises(RuntimeError):
        review.site_visit_record(actor=actor_for(world.county_reviewer), application=app,
                                 visit_date=timezone.localdate(), people="张三", findings="属实", photos=_photos())
    assert stored_files(media) == []
    assert not SiteVisit.objects.filter(application=app).exists() and not SiteVisitPhoto.objects.exists()


def test_a_photo_row_refused_by_the_database_takes_the_written_files_with_it(world, media, monkeypatch):
    app = submitted(world.ent_zg, review_call(world, code="polish-photo-db"))
    original = SiteVisitPhoto.save
    calls = []

    def second_fails(self, *args, **kwargs):
        calls.append(self.file.name)
        if len(calls) == 2:  # the second photo's file is written, its row is refused
            raise IntegrityError("refused")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SiteVisitPhoto, "save", second_fails)
    with pytest.raises(IntegrityError):
        review.site_visit_record(actor=actor_for(world.county_reviewer), application=app,
                                 visit_date=timezone.localdate(), people="张三", findings="属实", photos=_photos())
    assert len(calls) == 2
    assert stored_files(media) == []
    assert not SiteVisitPhoto.objects.exists()


def test_a_recorded_site_visit_keeps_its_photos(world, media):
    app = submitted(world.ent_zg, review_call(world, code="polish-photo-ok"))
    visit = review.site_visit_record(actor=actor_for(world.county_reviewer), application=app,
                                     visit_date=timezone.localdate(), people="张三", findings="属实", photos=_photos())
    files = stored_files(media)
    assert len(files) == 2 == visit.photos.count()
    assert {p.read_bytes() for p in files} == {PNG_1PX}
