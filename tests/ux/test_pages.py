"""Pages people like to use, checked on the server's answers: the home page's pending total adds up to
the list beside it; 我的政策 lists the organization's own province first and the others on request,
and says which figures its check used; the receipt names each file's material slot; the demo calls'
texts name the call's own year."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal.access import actor_for
from programs.models import Call
from submissions.review import services as review
from tests.factories import fire_as
from tests.submissions.test_review_support import review_call, submitted

pytestmark = pytest.mark.django_db


def test_the_home_pages_pending_total_is_the_sum_of_the_list_beside_it(world, client_for):
    call = review_call(world, code="home-counts")
    a = submitted(world.ent_zg, call)
    submitted(world.ent_zg2, call)
    from tests.submissions.test_review_support import enterprise
    c = submitted(enterprise(world.zhanggong), call)
    review.application_recommend(actor=actor_for(world.county_reviewer), application=a, opinion="推荐")
    fire_as(world.county_reviewer, c, "return", changes={"return_reasons": ["补充材料"]})
    html = client_for(world.county_head).get("/").content.decode()
    total = int(re.search(r'data-pending="(\d+)"', html).group(1))
    listed = [int(n) for n in re.findall(r'<span class="n">(\d+)</span>', html)]
    assert total == 2 and sum(listed) == total and len(listed) == 2


@pytest.fixture
def demo(seeded, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PORTAL_SHOW_DEMO_PASSWORDS = True
    call_command("load_rubrics", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())


def test_my_policies_lists_the_own_province_first_and_the_others_on_request(demo, client):
    assert client.login(username="qiandong_admin", password="demo-portal-2026")
    url = reverse("applicant-policies")
    own = client.get(url).content.decode()
    codes = re.findall(r'data-call="([^"]+)"', own)
    provinces = dict(Call.objects.filter(code__in=codes).values_list("code", "province__code"))
    assert codes and set(provinces.values()) == {"360000"}
    everything = client.get(url, {"others": "1"}).content.decode()
    all_codes = re.findall(r'data-call="([^"]+)"', everything)
    all_provinces = [Call.objects.get(code=c).province.code for c in all_codes]
    assert len(all_codes) > len(codes) and set(all_provinces) > {"360000"}
    first_other = next(i for i, p in enumerate(all_provinces) if p != "360000")
    assert all(p != "360000" for p in all_provinces[first_other:])  # own province first
    assert 'id="show-others"' in own


def test_the_check_replaces_the_empty_figures_hint(demo, client):
    assert client.login(username="nankang_admin", password="demo-portal-2026")
    url = reverse("applicant-policies")
    page = client.get(url).content.decode()
    field = re.search(r'name="(fig-[a-z_]+)"', page).group(1)
    checked = client.get(url, {field: "1234"}).content.decode()
    basis = re.search(r'id="figures-basis">(.*?)</p>', checked, re.S).group(1)
    assert "页面上填写的数据" in basis and "尚未填报" not in basis


def test_demo_calls_name_their_own_year_in_every_text(demo):
    call = Call.objects.get(code="demo-jx-etc")
    seed = Call.objects.get(code="jx-2024-etc-batch27")
    assert f"{call.year}年" in call.commitment_text
    if call.year != seed.year:
        assert f"{seed.year}年" not in call.commitment_text and f"{seed.year}年" not in call.notice_text
        for m in call.materials.all():
            assert f"{seed.year}年" not in m.name + m.description


def test_the_receipt_names_the_material_slot_of_each_file(demo, client):
    from submissions.models import Receipt

    receipt = Receipt.objects.filter(application__organization__name__startswith="赣州虔东").first()
    assert receipt is not None and receipt.snapshot["attachments"]
    assert client.login(username="qiandong_admin", password="demo-portal-2026")
    html = client.get(reverse("applicant-receipt", args=[receipt.application_id, receipt.pk])).content.decode()
    names = dict(receipt.application.call.materials.values_list("code", "name"))
    for a in receipt.snapshot["attachments"]:
        assert f'<th scope="row">{names[a["material"]]}</th>' in html
