"""Registration with the credit code, account approval by the county bureau where the province
requires it (a provincial setting), colleagues invited by e-mail, member-unit invitations claimed."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal.access import actor_for
from portal.constants import Role
from portal.creditcode import make_credit_code
from portal.models import AuditEntry, Membership, Organization, User
from submissions.policy import applications_visible

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CODE = make_credit_code("91360702MA1234567")


def form(**changes):
    data = {"name": "赣州新材料有限公司", "credit_code": CODE, "kind": "enterprise", "region": "360702",
            "contact_name": "李四", "contact_phone": "0797-8888888", "contact_email": "li@example.com",
            "password1": "Gz-portal-2031!", "password2": "Gz-portal-2031!"}
    data.update(changes)
    return data


def _queue(client) -> str:
    html = client.get(reverse("registrations")).content.decode()
    return re.search(r'<table class="grid" id="registrations">(.*?)</table>', html, re.S).group(1)


def require_approval(province):
    province.attributes = {**province.attributes, "requires_account_approval": True}
    province.save(update_fields=["attributes"])


@pytest.mark.parametrize("code,fragment", [
    (CODE[:-1] + ("0" if CODE[-1] != "0" else "1"), "check character"),
    (CODE[:17], "18 characters"),
    ("91360702MA12345O7" + "X", "never used"),
])
def test_an_invalid_credit_code_is_refused_with_the_rule_it_breaks(world, client, code, fragment):
    response = client.post(reverse("register"), form(credit_code=code), **EN)
    assert response.status_code == 200 and fragment in response.content.decode()
    assert not Organization.objects.filter(name="赣州新材料有限公司").exists()


def test_a_registered_credit_code_cannot_register_again(world, client):
    response = client.post(reverse("register"), form(credit_code=world.ent_zg.credit_code), **EN)
    assert "already registered" in response.content.decode()


def test_without_the_provincial_setting_the_account_works_at_once(world, client):
    response = client.post(reverse("register"), form())
    assert response.status_code == 302 and response["Location"] == reverse("applicant-policies")
    org = Organization.objects.get(credit_code=CODE)
    assert org.is_approved and org.region == world.zhanggong and org.contact_email == "li@example.com"
    user = User.objects.get(username=CODE)
    assert actor_for(user).role == Role.APPLICANT_ADMIN
    assert client.get(reverse("applicant-policies")).status_code == 200
    assert AuditEntry.objects.filter(action="organization.register", organization=org).exists()


def test_where_the_province_requires_it_the_county_bureau_approves_the_account(world, client, client_for):
    require_approval(world.jx)
    world.county_reviewer.email = "county@example.com"
    world.county_reviewer.save()
    response = client.post(reverse("register"), form(), **EN)
    assert response.status_code == 200 and "approves new accounts" in response.content.decode()
    org = Organization.objects.get(credit_code=CODE)
    assert not org.is_approved
    user = User.objects.get(username=CODE)
    assert actor_for(user).membership is None  # cannot act yet
    applicant = Client()
    applicant.force_login(user)
    assert applicant.get(reverse("applicant-policies")).status_code == 403
    # the neighbouring county, another applicant and the city do not approve it
    neighbour = Client()
    neighbour.force_login(world.neighbour_reviewer)
    assert org.name not in _queue(neighbour)
    assert neighbour.post(reverse("registration-decide", args=[org.pk]), {"decision": "approve"}).status_code == 404
    other = Client()
    other.force_login(world.other_applicant)
    assert other.get(reverse("registrations")).status_code == 403
    assert other.post(reverse("registration-decide", args=[org.pk]), {"decision": "approve"}).status_code == 404
    org.refresh_from_db()
    assert not org.is_approved
    county = client_for(world.county_reviewer)
    assert org.name in _queue(county)
    county.post(reverse("registration-decide", args=[org.pk]), {"decision": "approve"})
    org.refresh_from_db()
    assert org.is_approved
    assert actor_for(user).role == Role.APPLICANT_ADMIN
    assert applicant.get(reverse("applicant-policies")).status_code == 200
    entry = AuditEntry.objects.get(action="organization.approve")
    assert (entry.actor, entry.organization) == (world.county_reviewer, org)


def test_the_county_bureau_can_refuse_an_account_with_a_reason(world, client, client_for, django_capture_on_commit_callbacks,
                                                                eager_tasks):
    require_approval(world.jx)
    client.post(reverse("register"), form())
    org = Organization.objects.get(credit_code=CODE)
    county = client_for(world.county_reviewer)
    county.post(reverse("registration-decide", args=[org.pk]), {"decision": "reject", "reason": ""})
    assert Membership.objects.get(organization=org).is_active  # no reason, nothing done
    with django_capture_on_commit_callbacks(execute=True):
        county.post(reverse("registration-decide", args=[org.pk]), {"decision": "reject", "reason": "信用代码与名称不符"})
    assert not Membership.objects.get(organization=org).is_active
    assert AuditEntry.objects.get(action="organization.reject").comment == "信用代码与名称不符"
    assert any("信用代码与名称不符" in m.body for m in mail.outbox)
    county.get("/")  # (consumes the flash message)
    assert org.name not in _queue(county)


def test_the_administrator_invites_a_colleague_as_filer(world, client_for, django_capture_on_commit_callbacks,
                                                        eager_tasks):
    filer_client = Client()
    filer_client.force_login(world.applicant_filer)
    assert filer_client.post(reverse("colleagues"), {"email": "x@example.com", "role": "applicant_filer"}).status_code == 403
    admin = client_for(world.applicant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("colleagues"), {"email": "Wang@Example.com", "name": "王五",
                                                      "role": "applicant_filer"})
    assert response.status_code == 302
    user = User.objects.get(email="wang@example.com")
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role) == (world.ent_zg, Role.APPLICANT_FILER)
    link = re.search(r"http://testserver(/colleagues/welcome/\S+/)", mail.outbox[-1].body).group(1)
    welcome = Client()
    page = welcome.get(link, follow=True)
    assert page.status_code == 200
    response = welcome.post(page.redirect_chain[-1][0] if page.redirect_chain else link,
                            {"new_password1": "Filer-pass-2031!", "new_password2": "Filer-pass-2031!"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Filer-pass-2031!")
    assert actor_for(user).organization == world.ent_zg
    # not a second time
    again = admin.post(reverse("colleagues"), {"email": "wang@example.com", "role": "applicant_filer"}, **EN)
    assert "already has this role" in again.content.decode()


def test_a_member_invitation_is_claimed_when_the_unit_registers(world, client):
    from submissions.filing import services
    from tests.submissions.test_applicant_support import make_call, start

    alliance = make_call(world.jx, code="jx-2031-alliance", multi=True, rubric_code="", program_code="alliance-r",
                         applicant_kinds=("enterprise", "institute", "university"))
    app = start(world.applicant_admin, alliance)
    member = services.member_invite(actor=actor_for(world.applicant_admin), application=app, name="赣州新材料有限公司",
                                    credit_code=CODE, email="li@example.com")
    page = client.get(reverse("register") + f"?invite={member.token}").content.decode()
    assert CODE in page and "赣州新材料有限公司" in page
    client.post(reverse("register"), form())
    member.refresh_from_db()
    assert member.organization == Organization.objects.get(credit_code=CODE)
    user = User.objects.get(username=CODE)

    assert applications_visible(actor_for(user)).filter(pk=app.pk).exists()


def test_the_loaded_regions_make_guizhou_approve_new_accounts_and_not_the_others(seeded):
    from portal.access import registration_requires_approval
    from portal.models import Region

    by_code = {r.code: r for r in Region.objects.filter(code__in=["520000", "520102", "Z520000-01", "360702", "620102"])}
    assert registration_requires_approval(by_code["520102"])  # 贵阳市南明区
    assert registration_requires_approval(by_code["Z520000-01"])  # 贵安新区
    assert not registration_requires_approval(by_code["360702"])  # 章贡区
    assert not registration_requires_approval(by_code["620102"])  # 兰州市城关区
