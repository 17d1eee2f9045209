"""The Jiangsu catalogue (seed 003): all 27 programs of 《惠企政策一本通（2024年三季度）》 are calls of
the catalogue, dated or not, each with its conditions, materials and contacts; each is found by a
search of the call list (its name, or words of its text), and 我的政策 of a Jiangsu organization
lists every one of them with what holds for that organization."""

import pytest
from django.urls import reverse

from portal.access import actor_for
from portal.constants import OrgKind, Role
from portal.models import Region
from programs.constants import CallKind
from programs.models import Call
from submissions.filing.services import policy_rows
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


# the catalogue's table of contents (seed 003, 申报要点 1-27)
SEED_TITLES = [
    "享受增值税加计抵减政策的集成电路企业清单", "5G工厂", "制造业单项冠军", "工业领域数据要素应用场景",
    "全国中小企业融资促进典型案例", "中小企业数字化转型典型案例", "名师优课", "重点“小巨人”企业",
    "省专精特新中小企业", "省重点领域首版次软件", "信息技术应用创新项目", "国际杰青计划", "省科技重大专项",
    "省创新联合体", "省技术先进型", "省科技副总", "支持科技创新专项担保计划", "部省合作项目", "绿色债券贴息",
    "省科技创新券", "绿色低碳先进技术示范项目", "省智能建造试点项目", "省建设系统科研项目", "专利密集型产品",
    "省数字技术工程师培育项目培训机构", "省未来产业（技术）研究院", "省应急管理科技项目",
]


@pytest.fixture
def jiangsu(seeded):
    return list(Call.objects.filter(province__code="320000", kind=CallKind.CATALOGUE).order_by("code"))


def test_all_27_programs_are_in_the_catalogue_with_conditions_materials_and_contacts(jiangsu):
    assert len(jiangsu) == 27
    dated = [c for c in jiangsu if c.stages.exists()]
    assert len(dated) == 10  # the ten whose procedure prints dates; the others are open-dated entries
    for call in jiangsu:
        assert call.conditions.exists(), call.code
        assert call.materials.exists(), call.code
        assert call.notice_text.strip(), call.code
    assert sum(1 for c in jiangsu if c.contacts.exists()) >= 26  # 支持科技创新专项担保计划 prints none


def test_every_program_is_found_by_a_search(jiangsu, client):
    for call in jiangsu:
        for query in (call.title, call.title[:4]):
            page = client.get(reverse("call-list"), {"q": query, "province": call.province_id}).content.decode()
            assert f'href="/calls/{call.code}/"' in page, (call.code, query)
    # words of the text find a program too (its conditions are printed in the notice text)
    page = client.get(reverse("call-list"), {"q": "增值税一般纳税人"}).content.decode()
    assert 'href="/calls/js-2024q3-ic-vat-credit-list/"' in page


def test_the_catalogue_names_match_the_seed(jiangsu):
    titles = [c.title for c in jiangsu]
    missing = [t for t in SEED_TITLES if not any(t in title for title in titles)]
    assert len(SEED_TITLES) == 27 and missing == []


def test_my_policies_lists_all_27_for_a_jiangsu_enterprise_and_matches_its_kind(jiangsu):
    county = Region.objects.filter(province__code="320000", level="county").order_by("code").first()
    rows_of = {}
    for kind in (OrgKind.ENTERPRISE, OrgKind.UNIVERSITY):
        org = OrganizationFactory(name=f"江苏测试{kind}", kind=kind, region=county)
        user = UserFactory(username=f"js-{kind}")
        user.active_membership = MembershipFactory(user=user, organization=org, role=Role.APPLICANT_ADMIN)
        user.save(update_fields=["active_membership"])
        rows = [r for r in policy_rows(actor_for(user)) if r.call.province_id == county.province_id]
        rows_of[kind] = {r.call.code: r for r in rows}
        assert set(rows_of[kind]) == {c.code for c in jiangsu}
    enterprise, university = rows_of[OrgKind.ENTERPRISE], rows_of[OrgKind.UNIVERSITY]
    # an enterprise-only program: open to the enterprise as far as its kind goes, refused to the university
    vat = "js-2024q3-ic-vat-credit-list"
    assert not any("只接受" in str(r) or "accepts only" in str(r) for r in enterprise[vat].reasons)
    assert any(r for r in university[vat].reasons), university[vat].reasons
    # an undated entry is not closed by a deadline; a dated one whose 2024 date passed is
    assert enterprise[vat].can_apply
    assert not enterprise["js-2024q3-sme-course"].can_apply
