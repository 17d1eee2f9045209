"""`load_demo`: an account for every role, enterprises with valid credit codes, demo calls open in
the coming weeks and demo applications made through the real services; idempotent."""

import io

import pytest
from django.core.management import call_command

from portal.access import actor_for
from portal.constants import Role
from portal.creditcode import check_credit_code
from portal.models import Membership, Organization, User
from submissions.constants import Status
from submissions.models import Application, Receipt
from submissions.policy import applications_visible

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(seeded, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PORTAL_SHOW_DEMO_PASSWORDS = True
    call_command("load_rubrics", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_every_role_has_a_demo_account_that_signs_in(demo, client):
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert "demo-portal-2026" in demo
    assert client.login(username="zhanggong_reviewer", password="demo-portal-2026")
    enterprises = Organization.objects.filter(kind="enterprise")
    assert enterprises.count() >= 4
    for org in enterprises:
        assert check_credit_code(org.credit_code) is None, org.name


def test_demo_applications_give_the_county_work_and_the_enterprise_its_list(demo):
    county = applications_visible(actor_for(User.objects.get(username="zhanggong_reviewer")))
    assert sorted(county.values_list("status", flat=True)) == [Status.SUBMITTED, Status.SUBMITTED]
    mine = applications_visible(actor_for(User.objects.get(username="qiandong_admin")))
    assert mine.count() == 1 and mine.get().receipts.count() == 1
    drafts = applications_visible(actor_for(User.objects.get(username="nankang_admin")))
    assert list(drafts.values_list("status", flat=True)) == [Status.DRAFT]
    lanzhou = applications_visible(actor_for(User.objects.get(username="chengguan_reviewer")))
    assert lanzhou.count() == 1
    assert "Demo application" in demo or "演示申报" in demo


def test_load_demo_is_idempotent_and_reset_rebuilds(demo):
    before = (User.objects.count(), Application.objects.count(), Receipt.objects.count())
    call_command("load_demo", stdout=io.StringIO())
    assert (User.objects.count(), Application.objects.count(), Receipt.objects.count()) == before
    old = set(Application.objects.values_list("pk", flat=True))
    call_command("load_demo", "--reset", stdout=io.StringIO())
    assert Application.objects.count() == before[1] and not old & set(Application.objects.values_list("pk", flat=True))


def test_passwords_are_not_printed_outside_the_embedded_default(seeded, settings, client):
    settings.PORTAL_SHOW_DEMO_PASSWORDS = False
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "demo-portal-2026" not in out.getvalue()
    assert not client.login(username="zhanggong_reviewer", password="demo-portal-2026")


def test_reset_also_removes_the_documents_built_for_demo_applications(demo):
    from submissions.constants import DocumentKind
    from submissions.models import DocumentJob

    app = Application.objects.filter(receipts__isnull=False).first()
    DocumentJob.objects.create(kind=DocumentKind.PACKET, application=app, receipt=app.receipts.first(),
                               call=app.call, region=app.region, province=app.province, input_hash="demo")
    call_command("load_demo", "--reset", stdout=io.StringIO())
    assert not DocumentJob.objects.exists()
    assert Application.objects.filter(status=Status.SUBMITTED).count() == 3


def test_the_demo_expert_reads_its_one_demo_application(demo, client):
    from submissions.review.experts import expert_rows

    expert = actor_for(User.objects.get(username="jx_expert"))
    rows = expert_rows(expert)
    assert [r.app.organization.name for r in rows] == ["赣州虔东稀土新材料有限公司（演示）"] and rows[0].open
    assert "jx_expert" in demo
    assert client.login(username="jx_expert", password="demo-portal-2026")
    assert client.get(f"/expert/applications/{rows[0].app.pk}/").status_code == 200
    call_command("load_demo", stdout=io.StringIO())  # idempotent: still one assignment
    assert len(expert_rows(expert)) == 1


def test_demo_contact_phones_carry_their_own_citys_area_code(demo):
    expected = {"赣州市": "0797", "兰州市": "0931"}
    enterprises = Organization.objects.exclude(contact_phone="").select_related("region__city")
    assert enterprises.count() >= 6
    seen = set()
    for org in enterprises:
        city = org.region.city or org.region
        assert org.contact_phone.split("-")[0] == expected[city.name], (org.name, org.contact_phone)
        seen.add(city.name)
    assert seen == set(expected)
    lanzhou = Organization.objects.get(name="兰州陇原石化装备有限公司（演示）")
    assert lanzhou.contact_phone.startswith("0931-") and "0797" not in lanzhou.contact_phone
