"""The rubric pages: the table as the notice prints it (in Chinese), the live calculator, and the
provincial officers' upload → validation report → try → publish, with published versions immutable."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import AuditEntry
from scoring.constants import RubricStatus
from scoring.models import Rubric, RubricVersion
from scoring.selectors import resolve_rubric
from tests.scoring.conftest import ETC_FIRM

pytestmark = pytest.mark.django_db

RUBRIC_DIR = Path(settings.BASE_DIR) / "fixtures" / "rubrics"


def zh_get(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, key: str) -> str:
    m = re.search(rf'<tr id="item-{key}">(.*?)</tr>', html, re.S)
    assert m, f"row {key} missing"
    return m.group(1)


# --- the table --------------------------------------------------------------------------------


def test_rubric_page_shows_the_table_in_chinese(rubrics, client):
    html = zh_get(client, reverse("rubric-detail", args=["gansu-2022-etc"]))  # anonymous: a public notice
    assert '<html lang="zh-hans">' in html
    assert "甘肃省企业技术中心自评表" in html
    # 一级指标 创新投入 (25) spans its four items, 二级指标 创新经费 (15) its two
    assert re.search(r'rowspan="4">创新投入<div class="small muted">25', html)
    assert re.search(r'rowspan="2">创新经费<div class="small muted">15', html)
    row = row_of(html, "rd_per_capita")
    assert "研发人员人均研发经费支出" in row
    assert "低于 10 万元不得分，每 10 万元，得 1 分，5 分满分。" in row  # the notice's wording
    assert '<td class="num">5</td>' in row  # its maximum
    assert '<td class="num">10</td>' in row_of(html, "rd_ratio")
    # bonus with its cap, the hard conditions, the notes on the notice's ambiguities
    assert "获国家、甘肃省优秀新产品、技术发明、科技进步奖" in html and "累计不超过 5 分" in html
    assert "要求申报企业的年度研究与试验发展经费支出额不低于200万元" in html
    assert "按百分点计算" in html


def test_source_flaws_are_shown_on_screen(rubrics, client):
    html = zh_get(client, reverse("rubric-detail", args=["gansu-2022-itc"]))
    # 附件2 was broken across a page: the rubric acknowledges it and the page says so
    assert "source-warnings" in html and "原表在分页处断开" in html
    english = client.get(reverse("rubric-detail", args=["gansu-2022-itc"]), HTTP_ACCEPT_LANGUAGE="en")
    # the warnings follow the reader's language
    assert "The table breaks across a page" in english.content.decode()


def test_live_calculator_renders_points_totals_and_hints(rubrics, client):
    url = reverse("rubric-calculate", args=["gansu-2022-etc"])
    firm = dict(ETC_FIRM, certified_labs=0)
    html = client.post(url, firm, HTTP_X_REQUESTED_WITH="fetch").content.decode()
    assert '<html' not in html  # a fragment
    # hand-computed in conftest: base 48, bonus 5, total 53
    assert 'data-base="48" data-bonus="5" data-total="53"' in html
    assert 'data-item-points="patent_applications" data-points="4.5"' in html
    assert 'data-group-points="innovation_input" data-points="11"' in html  # (1+2) + (5+3)
    # what-if: certified labs 0 → one more gives 1 point (每1个得1分); invention patents are at max
    assert "国家（国际组织）认证的实验室和检测机构再增加1个（至1个）：+1分" in html
    assert "有效发明专利再增加" not in html


def test_calculator_reports_bad_figures_and_works_without_javascript(rubrics, client):
    url = reverse("rubric-calculate", args=["gansu-2022-etc"])
    bad = client.post(url, {"rd_expenditure": "很多"}, HTTP_X_REQUESTED_WITH="fetch").content.decode()
    assert 'data-input-error="rd_expenditure"' in bad
    full = client.post(url, ETC_FIRM).content.decode()  # a plain form post: the whole page
    assert "<html" in full and 'id="pts-patent_applications">4.5<' in full


# --- upload, validation report, publish -------------------------------------------------------


def jiangxi_copy(code="jx-test-etc", title="江西测试企业技术中心自评表", **replace) -> bytes:
    """The Gansu ETC file re-issued as a Jiangxi rubric (a new code, owned by 江西省)."""
    text = (RUBRIC_DIR / "gansu-2022-etc.yaml").read_text(encoding="utf-8")
    text = text.replace("code: gansu-2022-etc", f"code: {code}")
    text = text.replace('province: "620000"', 'province: "360000"')
    text = text.replace("zh: 甘肃省企业技术中心自评表", f"zh: {title}")
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode("utf-8")


def upload(client, content: bytes, name="rubric.yaml"):
    return client.post(reverse("rubric-upload"), {"file": SimpleUploadedFile(name, content)},
                       HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_broken_file_gets_a_report_and_nothing_is_stored(world, rubrics, client_for):
    client = client_for(world.province_officer)
    assert client.get(reverse("rubric-upload")).status_code == 200
    before = (Rubric.objects.count(), RubricVersion.objects.count(), AuditEntry.objects.count())
    # 创新经费 says 15 but its items now add up to 5 + 9: an unacknowledged group_sum_mismatch
    good = jiangxi_copy()
    broken = good.replace(b"            max: 10\n            rule: {type: steps, input: rd_ratio",
                          b"            max: 9\n            rule: {type: steps, input: rd_ratio")
    assert broken != good
    response = upload(client, broken)
    html = response.content.decode()
    assert response.status_code == 200
    assert "validation-errors" in html and "group_sum_mismatch" in html
    assert "rubric-publish" not in html and "/publish/" not in html
    assert (Rubric.objects.count(), RubricVersion.objects.count(), AuditEntry.objects.count()) == before
    # not YAML at all
    html = upload(client, b"code: [unclosed\n").content.decode()
    assert "yaml_syntax" in html
    assert RubricVersion.objects.count() == before[1]


def test_good_file_becomes_a_draft_then_a_published_version(world, rubrics, client_for, api_for):
    officer = client_for(world.province_officer)
    response = upload(officer, jiangxi_copy(), name="jx-test-etc.yaml")
    assert response.status_code == 302
    draft = RubricVersion.objects.get(rubric__code="jx-test-etc")
    assert (draft.version, draft.status, draft.province, draft.uploaded_by) == (
        1, RubricStatus.DRAFT, world.jx, world.province_officer)
    assert draft.source_file == "jx-test-etc.yaml"
    assert response["Location"].endswith("/rubrics/jx-test-etc/?version=1")
    assert AuditEntry.objects.filter(action="rubric_version.upload", object_id=str(draft.pk)).exists()

    # the draft can be tried: its page, with a live calculator working on the draft
    html = zh_get(officer, reverse("rubric-detail", args=["jx-test-etc"]), version=1)
    assert "江西测试企业技术中心自评表" in html and "/versions/1/publish/" in html
    calc = officer.post(reverse("rubric-calculate", args=["jx-test-etc"]), dict(ETC_FIRM, version=1),
                        HTTP_X_REQUESTED_WITH="fetch").content.decode()
    assert 'data-total="53"' in calc
    # not yet public: anonymous visitors and applicants see nothing of it
    from django.test import Client

    assert "jx-test-etc" not in Client().get(reverse("rubric-list")).content.decode()
    assert Client().get(reverse("rubric-detail", args=["jx-test-etc"]), {"version": 1}).status_code == 404
    assert api_for(world.applicant_admin).post("/api/rubrics/jx-test-etc/evaluate", {}, format="json").status_code == 404

    response = officer.post(reverse("rubric-publish", args=["jx-test-etc", 1]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == RubricStatus.PUBLISHED and draft.published_by == world.province_officer
    entry = AuditEntry.objects.get(action="rubric_version.publish", object_id=str(draft.pk))
    assert entry.actor == world.province_officer and entry.to_state == "published" and entry.province == world.jx
    assert resolve_rubric("jx-test-etc").version == draft


def test_new_version_of_an_existing_rubric(world, rubrics, client_for):
    officer = client_for(world.province_head)  # heads may do what officers do
    text = (RUBRIC_DIR / "ganzhou-2023-county.yaml").read_text(encoding="utf-8")
    changed = text.replace('version: "2023.1"', 'version: "2023.2"').encode("utf-8")
    assert upload(officer, changed).status_code == 302
    v2 = RubricVersion.objects.get(rubric__code="ganzhou-2023-county", version=2)
    assert v2.status == RubricStatus.DRAFT
    assert resolve_rubric("ganzhou-2023-county").version.version == 1  # drafts are not used yet
    officer.post(reverse("rubric-publish", args=["ganzhou-2023-county", 2]))
    assert resolve_rubric("ganzhou-2023-county").version.version == 2
    # the same file again stores nothing
    assert upload(officer, changed).status_code == 302
    assert RubricVersion.objects.filter(rubric__code="ganzhou-2023-county").count() == 2


def test_a_published_version_is_immutable(rubrics):
    v = RubricVersion.objects.get(rubric__code="gansu-2022-etc")
    v.save()  # saving it unchanged is harmless
    v.definition = dict(v.definition, total=90)
    with pytest.raises(ValidationError):
        v.save()
    v.refresh_from_db()
    v.status = RubricStatus.DRAFT
    with pytest.raises(ValidationError):
        v.save()
    v.refresh_from_db()
    with pytest.raises(ValidationError):
        v.delete()
    v.refresh_from_db()
    assert v.status == RubricStatus.PUBLISHED and v.definition["total"] == 100


# --- who may upload, publish and see drafts ---------------------------------------------------


@pytest.mark.parametrize("who", ["applicant_admin", "county_reviewer", "city_head", "lanzhou_reviewer"])
def test_non_provincial_users_cannot_upload(world, rubrics, client_for, who):
    client = client_for(getattr(world, who))
    before = RubricVersion.objects.count()
    assert client.get(reverse("rubric-upload")).status_code == 403
    assert upload(client, jiangxi_copy()).status_code == 403
    assert RubricVersion.objects.count() == before


def test_non_provincial_users_cannot_publish(world, rubrics, client_for):
    upload(client_for(world.province_officer), jiangxi_copy())
    draft = RubricVersion.objects.get(rubric__code="jx-test-etc")
    for who in ("applicant_admin", "county_head", "city_head"):
        response = client_for(getattr(world, who)).post(reverse("rubric-publish", args=["jx-test-etc", 1]))
        assert response.status_code in (403, 404)
    draft.refresh_from_db()
    assert draft.status == RubricStatus.DRAFT


def test_officer_of_another_province_cannot_see_or_publish_a_draft(world, rubrics, client_for, api_for):
    upload(client_for(world.province_officer), jiangxi_copy())
    gansu = client_for(world.other_province_officer)
    assert gansu.get(reverse("rubric-detail", args=["jx-test-etc"]), {"version": 1}).status_code == 404
    assert "jx-test-etc" not in gansu.get(reverse("rubric-list")).content.decode()
    assert gansu.post(reverse("rubric-publish", args=["jx-test-etc", 1])).status_code == 404
    assert api_for(world.other_province_officer).get("/api/rubrics/jx-test-etc/", {"version": 1}).status_code == 404
    assert RubricVersion.objects.get(rubric__code="jx-test-etc").status == RubricStatus.DRAFT
    # nor upload a version of a rubric Jiangxi owns (and Jiangxi not one of Gansu's)
    before = RubricVersion.objects.count()
    assert upload(gansu, jiangxi_copy(title="改")).status_code == 403
    etc = (RUBRIC_DIR / "gansu-2022-etc.yaml").read_text(encoding="utf-8").replace('"2022.1"', '"2022.9"')
    assert upload(client_for(world.province_officer), etc.encode()).status_code == 403
    assert RubricVersion.objects.count() == before
    # the owner's officers and the operators do see the draft
    assert client_for(world.province_head).get(reverse("rubric-detail", args=["jx-test-etc"]), {"version": 1}).status_code == 200
    assert client_for(world.operator).get(reverse("rubric-detail", args=["jx-test-etc"]), {"version": 1}).status_code == 200
