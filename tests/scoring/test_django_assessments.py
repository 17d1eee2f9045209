"""Assessments: who may record which kind of whom, who sees them, and the reviewer's score next
to the applicant's self-score. Nothing is stored when a request is refused."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal.access import actor_for
from portal.models import AuditEntry
from scoring.constants import RubricStatus, ScorerKind
from scoring.models import Assessment, RubricVersion
from scoring.services import assessment_record
from tests.factories import CallFactory
from tests.scoring.conftest import ETC_FIRM

pytestmark = pytest.mark.django_db

CODE = "gansu-2022-etc"
REFUSED = {403, 404}


def etc():
    return RubricVersion.objects.get(rubric__code=CODE, status=RubricStatus.PUBLISHED)


def record(user, org, kind, inputs=None, **kw):
    return assessment_record(actor=actor_for(user), organization=org, rubric_version=etc(),
                             inputs=inputs or ETC_FIRM, scorer_kind=kind, **kw)


def post_api(api, org, inputs=None, **extra):
    return api.post("/api/assessments/", {"organization": org.pk, "rubric": CODE, "inputs": inputs or ETC_FIRM,
                                          **extra}, format="json")


# --- recording ----------------------------------------------------------------------------------


def test_applicant_records_a_self_assessment_with_an_audit_entry(world, rubrics, api_for):
    response = post_api(api_for(world.applicant_filer), world.ent_zg, comment="自评")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["scorer_kind"] == "self" and data["rubric"] == CODE and data["version"] == 1
    a = Assessment.objects.get(pk=data["id"])
    # hand-computed in conftest: 48 + 5 = 53
    assert (a.base, a.bonus, a.total, a.eligible) == (Decimal(48), Decimal(5), Decimal(53), True)
    assert a.points_by_item()["patent_applications"] == Decimal("4.5")
    assert a.inputs["rd_expenditure"] == "290" and a.scored_by == world.applicant_filer
    assert a.scorer_organization == world.ent_zg
    entry = AuditEntry.objects.get(action="assessment.record", object_id=str(a.pk))
    assert entry.organization == world.ent_zg and entry.actor == world.applicant_filer
    assert entry.data["total"] == "53" and entry.data["scorer_kind"] == "self"


def test_reviewer_score_stands_next_to_the_self_score(world, rubrics, client_for):
    record(world.applicant_admin, world.ent_zg, ScorerKind.SELF)
    # the county reviewer does not accept the 2 utility model applications (2×1 point)
    # → patents 2 + 0 + 0.5 = 2.5 instead of 4.5; base 48 - 2 = 46, total 51
    record(world.county_reviewer, world.ent_zg, ScorerKind.COUNTY, dict(ETC_FIRM, applications_utility=0))
    html = client_for(world.county_reviewer).get(
        reverse("organization-assessments", args=[world.ent_zg.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    row = html[html.index("当年获取的专利申请数"):]
    row = row[:row.index("</tr>")]
    assert row.count('<td class="num">4.5</td>') == 1 and row.count('<td class="num">2.5</td>') == 1
    assert html.index("4.5") < html.index("2.5")  # the self column comes first
    assert '<td class="num"><strong>53</strong></td>' in html and '<td class="num"><strong>51</strong></td>' in html
    assert 'class="differs"' in html
    # the applicant sees its own self-score and the county's initial score too
    mine = client_for(world.applicant_admin).get(reverse("organization-assessments", args=[world.ent_zg.pk]))
    assert mine.status_code == 200 and "<strong>51</strong>" in mine.content.decode()


def test_reviewer_records_through_the_page_starting_from_the_self_figures(world, rubrics, client_for):
    record(world.applicant_admin, world.ent_zg, ScorerKind.SELF)
    client = client_for(world.county_head)
    url = reverse("organization-assessments", args=[world.ent_zg.pk])
    html = client.get(url, {"rubric": CODE}).content.decode()
    assert 'name="equipment_value" value="550"' in html  # prefilled with the applicant's figures
    form = dict(ETC_FIRM, rubric=CODE, equipment_value="250", comment="设备原值核减")  # < 300万元 → 0 (was 3)
    response = client.post(url, form)
    assert response.status_code == 302
    a = Assessment.objects.get(scorer_kind=ScorerKind.COUNTY)
    assert a.total == Decimal(50) and a.comment == "设备原值核减" and a.scorer_organization == world.bureau_zg
    # a value that is not a number is refused with a message, nothing stored
    response = client.post(url, dict(form, equipment_value="很多"))
    assert response.status_code == 200 and Assessment.objects.filter(scorer_kind=ScorerKind.COUNTY).count() == 1


def test_each_role_records_its_own_kind(world, rubrics):
    assert record(world.city_reviewer, world.ent_nk, ScorerKind.CITY).scorer_kind == "city"
    assert record(world.province_officer, world.ent_kfq, ScorerKind.EXPERT).scorer_kind == "expert"
    with pytest.raises(PermissionDenied):
        record(world.applicant_admin, world.ent_zg, ScorerKind.COUNTY)  # an applicant only scores itself
    with pytest.raises(PermissionDenied):
        record(world.county_reviewer, world.ent_zg, ScorerKind.SELF)
    with pytest.raises(PermissionDenied):
        record(world.operator, world.ent_zg, ScorerKind.EXPERT)  # operators don't score
    with pytest.raises(PermissionDenied):
        record(world.county_reviewer, world.bureau_zg, ScorerKind.COUNTY)  # only applicants are assessed
    assert Assessment.objects.count() == 2


def test_only_a_published_version_and_a_matching_call(world, rubrics, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.scoring.test_django_pages import jiangxi_copy

    client_for(world.province_officer).post(reverse("rubric-upload"), {"file": SimpleUploadedFile("x.yaml", jiangxi_copy())})
    draft = RubricVersion.objects.get(rubric__code="jx-test-etc")
    with pytest.raises(PermissionDenied):
        assessment_record(actor=actor_for(world.applicant_admin), organization=world.ent_zg, rubric_version=draft,
                          inputs=ETC_FIRM, scorer_kind=ScorerKind.SELF)
    other_call = CallFactory(province=world.jx, rubric_code="gansu-2022-itc", year=2024, title="别的通知", status="published")
    with pytest.raises(ValidationError):
        record(world.applicant_admin, world.ent_zg, ScorerKind.SELF, call=other_call)
    call = CallFactory(province=world.jx, rubric_code=CODE, year=2024, title="通知", status="published")
    assert record(world.applicant_admin, world.ent_zg, ScorerKind.SELF, call=call).call == call
    assert Assessment.objects.count() == 1


def test_bad_inputs_are_refused_through_the_api(world, rubrics, api_for):
    response = post_api(api_for(world.applicant_admin), world.ent_zg, {"rd_expenditure": "abc"})
    assert response.status_code == 400 and "rd_expenditure" in response.json()["inputs"]
    assert not Assessment.objects.exists()


# --- isolation ----------------------------------------------------------------------------------


def test_an_applicant_cannot_see_another_applicants_assessments(world, rubrics, client_for, api_for):
    mine = record(world.applicant_admin, world.ent_zg, ScorerKind.SELF)
    county = record(world.county_reviewer, world.ent_zg, ScorerKind.COUNTY)
    theirs = record(world.other_applicant, world.ent_zg2, ScorerKind.SELF)
    other = client_for(world.other_applicant)
    assert other.get(reverse("organization-assessments", args=[world.ent_zg.pk])).status_code == 404
    for a in (mine, county):
        assert other.get(reverse("assessment-detail", args=[a.pk])).status_code == 404
    api = api_for(world.other_applicant)
    assert [row["id"] for row in api.get("/api/assessments/").json()["results"]] == [theirs.pk]
    for a in (mine, county):
        assert api.get(f"/api/assessments/{a.pk}/").status_code == 404
    # positive control: the rightful applicant sees both of its own
    own = api_for(world.applicant_admin).get("/api/assessments/").json()["results"]
    assert {row["id"] for row in own} == {mine.pk, county.pk}


def test_an_applicant_does_not_see_the_experts_review(world, rubrics, api_for, client_for):
    expert = record(world.province_officer, world.ent_zg, ScorerKind.EXPERT)
    api = api_for(world.applicant_admin)
    assert api.get("/api/assessments/").json()["results"] == []
    assert api.get(f"/api/assessments/{expert.pk}/").status_code == 404
    assert client_for(world.applicant_admin).get(reverse("assessment-detail", args=[expert.pk])).status_code == 404
    assert api_for(world.county_reviewer).get(f"/api/assessments/{expert.pk}/").status_code == 200


@pytest.mark.parametrize("target", ["ent_nk", "ent_kfq", "ent_cg", "ent_nc"])
def test_a_county_reviewer_cannot_record_outside_its_county(world, rubrics, client_for, api_for, target):
    org = getattr(world, target)  # 南康区 and 经开区 are neighbours, 兰州 another province, 南昌 another city
    response = post_api(api_for(world.county_reviewer), org, scorer_kind="county")
    assert response.status_code in REFUSED
    page = client_for(world.county_reviewer).post(
        reverse("organization-assessments", args=[org.pk]), dict(ETC_FIRM, rubric=CODE))
    assert page.status_code in REFUSED
    with pytest.raises(PermissionDenied):
        record(world.county_reviewer, org, ScorerKind.COUNTY)
    assert not Assessment.objects.exists()
    assert not AuditEntry.objects.filter(action="assessment.record").exists()


def test_scoped_lists_for_bureaus_and_provinces(world, rubrics, api_for):
    zg = record(world.county_reviewer, world.ent_zg, ScorerKind.COUNTY)
    nk = record(world.neighbour_reviewer, world.ent_nk, ScorerKind.COUNTY)
    nc = record(world.other_city_reviewer, world.ent_nc, ScorerKind.CITY)

    def ids(user):
        return {row["id"] for row in api_for(user).get("/api/assessments/").json()["results"]}

    assert ids(world.county_reviewer) == {zg.pk}
    assert ids(world.city_reviewer) == {zg.pk, nk.pk}        # 赣州市 and its counties
    assert ids(world.province_officer) == {zg.pk, nk.pk, nc.pk}
    assert ids(world.other_province_officer) == set()        # 甘肃省 sees nothing of 江西
    assert ids(world.lanzhou_reviewer) == set()
    assert ids(world.operator) == {zg.pk, nk.pk, nc.pk}


def test_a_rubric_with_reviewer_levels_on_the_page(world, rubrics, client_for):
    # 附件2 asks the reviewer for levels (很完善 / 比较完善 / 基本完善 / 不完善): a select, not a number
    client = client_for(world.county_reviewer)
    url = reverse("organization-assessments", args=[world.ent_zg.pk])
    html = client.get(url, {"rubric": "gansu-2022-itc"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<select id="in-org_structure" name="org_structure">' in html and ">比较完善</option>" in html
    # 组织机构建设: 比较完善得2分; every other figure left blank → missing, 0 points → total 2
    assert client.post(url, {"rubric": "gansu-2022-itc", "org_structure": "fairly_complete"}).status_code == 302
    a = Assessment.objects.get()
    assert a.points_by_item()["org_structure"] == 2 and a.total == 2
    assert "management_rules" in a.result["missing"] and a.inputs == {"org_structure": "fairly_complete"}
