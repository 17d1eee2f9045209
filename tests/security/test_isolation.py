"""Trying to break in: every role reaches for what belongs to a neighbouring county, another
city, another province or another applicant, through the pages, the API and the admin, and is
refused with nothing changed. Positive controls prove the same requests work for the rightful user."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.access import actor_for
from portal.models import AuditEntry, CreditCodeException, Membership, Region
from portal.services import audit_record
from programs.constants import CallStatus
from programs.models import CalendarDay
from programs.workdays import end_of_day
from tests.factories import CallFactory, ProgramTypeFactory, StageFactory

pytestmark = pytest.mark.django_db

REFUSED = {403, 404}

# actor -> organizations (attribute names in the world) that are NOT theirs to see
FOREIGN_ORGS = {
    "applicant_admin": ["ent_zg2", "ent_nk", "ent_nc", "ent_cg", "bureau_zg"],
    "applicant_filer": ["ent_zg2", "ent_nk", "ent_nc", "ent_cg"],
    "applicant_viewer": ["ent_zg2", "ent_nk", "ent_nc", "ent_cg", "bureau_zg"],
    "county_reviewer": ["ent_nk", "ent_kfq", "ent_nc", "ent_cg", "bureau_nk"],
    "county_head": ["ent_nk", "ent_nc", "ent_cg"],
    "city_reviewer": ["ent_nc", "ent_cg", "bureau_nc"],
    "city_head": ["ent_nc", "ent_cg"],
    "province_officer": ["ent_cg", "bureau_lz", "dept_gs"],
    "province_head": ["ent_cg"],
    # an expert sees no organization at all, not even of its own province (only the applications
    # granted to it: see the expert tests below)
    "expert": ["ent_zg", "ent_nk", "ent_nc", "ent_cg", "bureau_zg", "bureau_gz", "dept_jx", "dept_gs"],
    "foreign_expert": ["ent_zg", "ent_cg", "bureau_lz", "dept_gs", "dept_jx"],
}
CASES = [(actor, target) for actor, targets in FOREIGN_ORGS.items() for target in targets]


def snapshot(org):
    org.refresh_from_db()
    return (org.name, org.contact_name, org.contact_phone, org.main_business)


@pytest.mark.parametrize("actor_name,target_name", CASES)
def test_foreign_organization_refused_on_pages(world, client_for, actor_name, target_name):
    client = client_for(getattr(world, actor_name))
    target = getattr(world, target_name)
    before = snapshot(target)
    assert client.get(reverse("organization-detail", args=[target.pk])).status_code in REFUSED
    assert client.get(reverse("organization-edit", args=[target.pk])).status_code in REFUSED
    response = client.post(
        reverse("organization-edit", args=[target.pk]),
        {"contact_name": "入侵者", "contact_phone": "1", "main_business": "篡改"},
    )
    assert response.status_code in REFUSED
    assert snapshot(target) == before
    listing = client.get(reverse("organization-list")).content.decode()
    assert target.name not in listing


@pytest.mark.parametrize("actor_name,target_name", CASES)
def test_foreign_organization_refused_on_api(world, api_for, actor_name, target_name):
    api = api_for(getattr(world, actor_name))
    target = getattr(world, target_name)
    before = snapshot(target)
    assert api.get(f"/api/organizations/{target.pk}/").status_code in REFUSED
    assert api.patch(f"/api/organizations/{target.pk}/", {"contact_name": "入侵者"}, format="json").status_code in REFUSED
    assert snapshot(target) == before
    ids = {row["id"] for row in api.get("/api/organizations/?page_size=500").json()["results"]}
    assert target.pk not in ids


@pytest.mark.parametrize("actor_name,target_name", CASES)
def test_foreign_memberships_and_audit_refused(world, api_for, actor_name, target_name):
    target = getattr(world, target_name)
    from tests.factories import MembershipFactory, UserFactory

    member = MembershipFactory(user=UserFactory(), organization=target,
                               role="applicant_filer" if target.is_applicant else "bureau_reviewer"
                               if target.kind in ("county_bureau", "city_bureau") else "provincial_officer")
    entry = audit_record(actor=None, action="organization.update", obj=target, province=target.region.province,
                         region=target.region, organization=target)
    api = api_for(getattr(world, actor_name))
    assert api.get(f"/api/memberships/{member.pk}/").status_code in REFUSED
    assert api.get(f"/api/audit/{entry.pk}/").status_code in REFUSED
    audit_ids = {row["id"] for row in api.get("/api/audit/").json()["results"]}
    assert entry.pk not in audit_ids


def test_positive_controls_each_scope_sees_its_own(world, api_for, client_for):
    # county sees its county's enterprises, and a zone's enterprise is the zone bureau's, not the county's
    county = api_for(world.county_reviewer)
    assert county.get(f"/api/organizations/{world.ent_zg2.pk}/").status_code == 200
    city = api_for(world.city_reviewer)
    assert city.get(f"/api/organizations/{world.ent_nk.pk}/").status_code == 200
    assert city.get(f"/api/organizations/{world.ent_kfq.pk}/").status_code == 200
    province = api_for(world.province_officer)
    assert province.get(f"/api/organizations/{world.ent_nc.pk}/").status_code == 200
    operator = api_for(world.operator)
    assert operator.get(f"/api/organizations/{world.ent_cg.pk}/").status_code == 200
    own = client_for(world.applicant_admin)
    response = own.post(reverse("organization-edit", args=[world.ent_zg.pk]),
                        {"contact_name": "王经理", "contact_phone": "0797-1234567", "industry": "有色金属",
                         "main_business": "稀土", "address": "", "contact_email": ""})
    assert response.status_code == 302
    world.ent_zg.refresh_from_db()
    assert world.ent_zg.contact_name == "王经理"
    entry = AuditEntry.objects.get(action="organization.update", object_id=str(world.ent_zg.pk))
    assert entry.actor == world.applicant_admin and entry.organization == world.ent_zg


def test_filer_cannot_change_the_organization_profile(world, client_for, api_for):
    before = snapshot(world.ent_zg)
    client = client_for(world.applicant_filer)
    assert client.post(reverse("organization-edit", args=[world.ent_zg.pk]), {"contact_name": "x"}).status_code == 403
    assert api_for(world.applicant_filer).patch(
        f"/api/organizations/{world.ent_zg.pk}/", {"contact_name": "x"}, format="json").status_code == 403
    assert snapshot(world.ent_zg) == before


# --- Calls -------------------------------------------------------------------------------

ALL_ROLES = ["applicant_admin", "applicant_filer", "applicant_viewer", "county_reviewer", "county_head",
             "city_reviewer", "city_head", "province_officer", "province_head", "expert", "foreign_expert"]


def make_calls(world):
    program = ProgramTypeFactory(code="etc", name="省级企业技术中心")
    draft_gs = CallFactory(code="gs-draft", province=world.gs, program=program, status=CallStatus.DRAFT,
                           title="甘肃草稿通知")
    draft_jx = CallFactory(code="jx-draft", province=world.jx, program=program, status=CallStatus.DRAFT,
                           title="江西草稿通知")
    published_gs = CallFactory(code="gs-published", province=world.gs, program=program, title="甘肃已发布通知")
    published_jx = CallFactory(code="jx-published", province=world.jx, program=program, title="江西已发布通知")
    for call in (draft_gs, draft_jx, published_gs, published_jx):
        StageFactory(call=call, deadline_at=end_of_day(dt.date(2030, 4, 22)))
    return draft_gs, draft_jx, published_gs, published_jx


@pytest.mark.parametrize("actor_name", ALL_ROLES)
def test_draft_call_of_another_province_is_invisible(world, client_for, api_for, actor_name):
    draft_gs, draft_jx, *_ = make_calls(world)
    user = getattr(world, actor_name)
    hidden = [draft_gs] + ([] if actor_name.startswith("province") else [draft_jx])
    client = client_for(user)
    api = api_for(user)
    for call in hidden:
        assert client.get(reverse("call-detail", args=[call.code])).status_code == 404
        assert api.get(f"/api/calls/{call.code}/").status_code == 404
        assert api.patch(f"/api/calls/{call.code}/", {"title": "篡改"}, format="json").status_code in REFUSED
        assert api.post(f"/api/calls/{call.code}/publish/").status_code in REFUSED
        call.refresh_from_db()
        assert call.status == CallStatus.DRAFT and "篡改" not in call.title
        assert call.title not in client.get(reverse("call-list")).content.decode()
        assert call.code not in {c["code"] for c in api.get("/api/calls/").json()["results"]}


@pytest.mark.parametrize("actor_name", ALL_ROLES)
def test_nobody_changes_another_provinces_call(world, api_for, actor_name):
    *_, published_gs, published_jx = make_calls(world)
    api = api_for(getattr(world, actor_name))
    targets = [published_gs] + ([] if actor_name.startswith("province") else [published_jx])
    for call in targets:
        assert api.patch(f"/api/calls/{call.code}/", {"title": "篡改"}, format="json").status_code == 403
        assert api.post(f"/api/calls/{call.code}/close/").status_code == 403
        call.refresh_from_db()
        assert call.status == CallStatus.PUBLISHED and call.title != "篡改"
    assert not AuditEntry.objects.filter(action__startswith="call.").exists()


def test_provincial_officer_publishes_own_draft_with_audit(world, api_for):
    _, draft_jx, *_ = make_calls(world)
    api = api_for(world.province_officer)
    response = api.post(f"/api/calls/{draft_jx.code}/publish/")
    assert response.status_code == 200, response.content
    draft_jx.refresh_from_db()
    assert draft_jx.status == CallStatus.PUBLISHED and draft_jx.published_at is not None
    entry = AuditEntry.objects.get(action="call.publish")
    assert (entry.from_state, entry.to_state, entry.actor) == ("draft", "published", world.province_officer)
    # publishing twice is refused with a reason and writes nothing more
    again = api.post(f"/api/calls/{draft_jx.code}/publish/")
    assert again.status_code == 400
    assert AuditEntry.objects.filter(action="call.publish").count() == 1


def test_guardian_grant_opens_one_draft_to_one_user(world, client_for, api_for):
    from guardian.shortcuts import assign_perm

    draft_gs, draft_jx, *_ = make_calls(world)
    reviewer = world.lanzhou_reviewer
    assert api_for(reviewer).get(f"/api/calls/{draft_gs.code}/").status_code == 404
    assign_perm("programs.view_call", reviewer, draft_gs)
    from programs.models import CallUserObjectPermission

    assert CallUserObjectPermission.objects.filter(user=reviewer, content_object=draft_gs).exists()
    api = api_for(reviewer)
    assert api.get(f"/api/calls/{draft_gs.code}/").status_code == 200
    assert client_for(reviewer).get(reverse("call-detail", args=[draft_gs.code])).status_code == 200
    # the grant is for one object: the other draft stays hidden, and viewing is not changing
    assert api.get(f"/api/calls/{draft_jx.code}/").status_code == 404
    assert api.patch(f"/api/calls/{draft_gs.code}/", {"title": "x"}, format="json").status_code == 403


# --- Reference data, admin ---------------------------------------------------------------


@pytest.mark.parametrize("actor_name", ALL_ROLES)
def test_admin_is_for_operators_only(world, client_for, actor_name):
    user = getattr(world, actor_name)
    user.is_staff = True  # even a staff flag set by mistake does not open the admin
    user.save()
    client = client_for(user)
    assert client.get("/admin/").status_code == 403
    region_before = Region.objects.get(pk=world.zhanggong.pk).name
    response = client.post(f"/admin/portal/region/{world.zhanggong.pk}/change/", {"name": "篡改区"})
    assert response.status_code == 403
    assert Region.objects.get(pk=world.zhanggong.pk).name == region_before
    assert client.post("/admin/portal/creditcodeexception/add/", {"code": "91350100M0001TGQXM",
                                                                  "reason": "x"}).status_code == 403
    assert not CreditCodeException.objects.exists()
    assert client.post("/admin/programs/calendarday/add/", {"date": "2027-01-01", "is_workday": ""}).status_code == 403
    assert not CalendarDay.objects.exists()
    assert client.post("/admin/portal/auditentry/", {}).status_code == 403


def test_operator_reaches_the_admin_but_cannot_edit_audit_rows(world, client_for):
    entry = audit_record(actor=None, action="test", obj=world.ent_zg)
    client = client_for(world.operator)
    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/portal/auditentry/{entry.pk}/change/").status_code == 200  # view only
    client.post(f"/admin/portal/auditentry/{entry.pk}/change/", {"action": "edited"})
    client.post(f"/admin/portal/auditentry/{entry.pk}/delete/", {"post": "yes"})
    entry.refresh_from_db()
    assert entry.action == "test"


@pytest.mark.parametrize("actor_name", ALL_ROLES + ["operator"])
def test_regions_are_read_only_reference_data_on_the_api(world, api_for, actor_name):
    api = api_for(getattr(world, actor_name))
    assert api.get("/api/regions/360702/").status_code == 200
    assert api.patch("/api/regions/360702/", {"name": "篡改"}, format="json").status_code in {403, 404, 405}
    assert api.delete("/api/regions/360702/").status_code in {403, 404, 405}
    assert Region.objects.get(code="360702").name == "章贡区"


def test_audit_rows_cannot_be_written_through_the_api(world, api_for):
    entry = audit_record(actor=None, action="x", obj=world.ent_zg, organization=world.ent_zg)
    for user in (world.applicant_admin, world.operator):
        api = api_for(user)
        assert api.patch(f"/api/audit/{entry.pk}/", {"action": "y"}, format="json").status_code in {403, 404, 405}
        assert api.delete(f"/api/audit/{entry.pk}/").status_code in {403, 404, 405}
        assert api.post("/api/audit/", {"action": "y"}, format="json").status_code in {403, 404, 405}
    entry.refresh_from_db()
    assert entry.action == "x"
    with pytest.raises(ValidationError):
        entry.delete()


def test_switching_to_a_membership_one_does_not_hold_is_refused(world, client_for, api_for):
    foreign = Membership.objects.get(user=world.province_officer)
    client = client_for(world.applicant_admin)
    client.post(reverse("switch-role"), {"membership": foreign.pk})
    world.applicant_admin.refresh_from_db()
    assert world.applicant_admin.active_membership.organization == world.ent_zg
    assert api_for(world.applicant_admin).post("/api/me/switch/", {"membership": foreign.pk},
                                               format="json").status_code == 403
    assert actor_for(world.applicant_admin).organization == world.ent_zg


def test_anonymous_sees_public_calls_only_and_no_tenant_data(world, client):
    *_, published_gs, published_jx = make_calls(world)
    assert client.get(reverse("call-detail", args=[published_gs.code])).status_code == 200
    assert client.get(reverse("call-detail", args=["jx-draft"])).status_code == 404
    assert client.get("/api/organizations/").status_code in {401, 403}
    assert client.get("/api/audit/").status_code in {401, 403}
    assert client.get(reverse("organization-list")).status_code == 302  # to the login page


# --- Experts: a per-object grant, and nothing by region ------------------------------------------

EXPERT_INTRUDERS = ["expert", "foreign_expert", "applicant_admin", "other_applicant", "county_reviewer",
                    "neighbour_reviewer", "city_reviewer", "other_city_reviewer", "lanzhou_reviewer",
                    "province_officer", "other_province_officer", "operator"]


@pytest.fixture
def expert_case(world):
    """Two submitted applications of 章贡区: one assigned by the province to `expert`, one not."""
    from portal.access import actor_for as actor
    from submissions.review.experts import expert_assign
    from tests.submissions.test_review_support import review_call, submitted

    call = review_call(world, code="iso-experts")
    assigned, other = submitted(world.ent_zg, call), submitted(world.ent_zg2, call)
    expert_assign(actor=actor(world.province_officer), application=assigned, expert=world.expert)
    return assigned, other


@pytest.mark.parametrize("actor_name", EXPERT_INTRUDERS)
def test_the_expert_pages_show_each_user_only_its_own_assignments(world, client_for, api_for, expert_case,
                                                                 actor_name):
    assigned, other = expert_case
    user = getattr(world, actor_name)
    client, api = client_for(user), api_for(user)
    mine = {assigned.pk} if actor_name == "expert" else set()
    listing = client.get(reverse("expert-applications"))
    if actor_name in ("expert", "foreign_expert"):
        assert listing.status_code == 200
        assert (world.ent_zg.name in listing.content.decode()) is bool(mine)
        assert world.ent_zg2.name not in listing.content.decode()
        assert {r["id"] for r in api.get("/api/expert/applications/").json()["results"]} == mine
    else:  # the expert's pages are for experts
        assert listing.status_code == 403
        assert api.get("/api/expert/applications/").status_code == 403
    for app in (assigned, other):
        expected = 200 if app.pk in mine else 404
        if actor_name in ("expert", "foreign_expert"):
            assert client.get(reverse("expert-application", args=[app.pk])).status_code == expected
            assert api.get(f"/api/expert/applications/{app.pk}/").status_code == expected
        else:
            assert client.get(reverse("expert-application", args=[app.pk])).status_code in REFUSED


@pytest.mark.parametrize("actor_name", ["expert", "foreign_expert", "applicant_admin", "county_reviewer",
                                        "neighbour_reviewer", "other_city_reviewer", "lanzhou_reviewer",
                                        "other_province_officer", "operator"])
def test_only_the_city_and_the_province_of_the_application_assign_experts(world, client_for, api_for, expert_case,
                                                                          actor_name):
    from submissions.models import ApplicationUserObjectPermission

    assigned, other = expert_case
    before = (AuditEntry.objects.count(), list(ApplicationUserObjectPermission.objects.values_list("pk", flat=True)))
    user = getattr(world, actor_name)
    api, client = api_for(user), client_for(user)
    for app in (assigned, other):
        assert api.get(f"/api/applications/{app.pk}/experts/").status_code in REFUSED
        assert api.post(f"/api/applications/{app.pk}/experts/", {"expert": world.expert.pk},
                        format="json").status_code in REFUSED
        assert api.delete(f"/api/applications/{app.pk}/experts/{world.expert.pk}/").status_code in REFUSED
        assert client.get(reverse("review-experts", args=[app.pk])).status_code in REFUSED
        assert client.post(reverse("review-experts", args=[app.pk]),
                           {"action": "unassign", "expert": world.expert.pk}).status_code in REFUSED
    after = (AuditEntry.objects.count(), list(ApplicationUserObjectPermission.objects.values_list("pk", flat=True)))
    assert after == before


def test_positive_control_the_city_bureau_and_the_province_manage_experts(world, client_for, api_for, expert_case):
    assigned, other = expert_case
    for user in (world.city_reviewer, world.city_head, world.province_officer, world.province_head):
        assert client_for(user).get(reverse("review-experts", args=[other.pk])).status_code == 200
        assert [r["expert"] for r in api_for(user).get(f"/api/applications/{assigned.pk}/experts/").json()] == [
            world.expert.pk]


@pytest.mark.parametrize("actor_name", ["expert", "foreign_expert"])
def test_an_expert_reaches_nothing_else_through_the_common_doors(world, client_for, api_for, expert_case,
                                                                 actor_name):
    """The general application endpoints answer an expert as the expert pages do: its own open
    assignment only; no timeline, no review file, no review queue, for any application."""
    assigned, other = expert_case
    user = getattr(world, actor_name)
    client, api = client_for(user), api_for(user)
    mine = {assigned.pk} if actor_name == "expert" else set()
    assert {r["id"] for r in api.get("/api/applications/").json()["results"]} == mine
    for app in (assigned, other):
        assert api.get(f"/api/applications/{app.pk}/").status_code == (200 if app.pk in mine else 404)
        assert api.get(f"/api/review/applications/{app.pk}/timeline/").status_code == 404
        assert client.get(reverse("review-timeline", args=[app.pk])).status_code == 404
        assert client.get(reverse("review-detail", args=[app.pk])).status_code in REFUSED
        assert api.get(f"/api/review/applications/{app.pk}/").status_code in REFUSED
    review_rows = api.get("/api/review/applications/?stage=all")
    assert review_rows.status_code in REFUSED or review_rows.json()["results"] == []
