"""Expert review (专家评审): the per-object grant (django-guardian, direct table) and what it gives.

An expert of the province's expert pool, assigned by the city bureau or the provincial department,
reads the applications assigned to it (and nothing else) until the review stage of the assigning
level closes; on a blind call without the applicant's contact details; it changes nothing."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from guardian.shortcuts import assign_perm

from portal.access import actor_for
from portal.audit_labels import action_label
from portal.models import AuditEntry
from programs.constants import DeadlineKind, StageLevel
from programs.models import RequiredMaterial, StageExtension
from submissions import workflow
from submissions.models import Application, ApplicationUserObjectPermission, Attachment, Receipt
from submissions.policy import (
    applications_visible,
    can_decide_application,
    can_edit_application,
    can_recommend_application,
    can_request_packet,
    can_review_application,
    can_sign_off_application,
    can_submit_application,
    can_view_application,
    can_view_review,
    can_withdraw_application,
)
from submissions.review import experts
from tests.factories import StageFactory, application_for, fire_as
from tests.submissions.test_review_support import admin_of, enterprise, review_call, snapshot

pytestmark = pytest.mark.django_db
REFUSED = {403, 404}
ONE_SECOND = dt.timedelta(seconds=1)
CONTACT = {"contact_name": "联系人王五", "contact_phone": "0797-5550123", "contact_email": "wangwu@example.com",
           "address": "赣州市章贡区某路1号", "industry": "有色金属", "main_business": "稀土功能材料"}


def said(text: str) -> str:
    """A pattern matching `text` in the active language (the reasons are translated)."""
    return re.escape(gettext(text))


def assign(user, app, expert):
    return experts.expert_assign(actor=actor_for(user), application=app, expert=expert)


def filed(org, call, *, data=None):
    """A submitted application whose form holds the applicant's contact details."""
    app = application_for(org, call, data=data or {"profile": dict(CONTACT), "summary": "企业简介"})
    fire_as(admin_of(org), app, "submit")
    app.refresh_from_db()
    return app


@pytest.fixture
def deadline():
    return timezone.now().replace(microsecond=0) + dt.timedelta(days=10)


@pytest.fixture
def call(world, deadline):
    return review_call(world, code="exp", city_deadline=deadline)


@pytest.fixture
def three(world, call):
    """Three submitted applications of the Ganzhou city's region, one material each."""
    material = RequiredMaterial.objects.create(call=call, code="form", name="申报书")
    apps = [filed(world.ent_zg, call), filed(world.ent_zg2, call), filed(world.ent_nk, call)]
    for app in apps:
        att = Attachment(application=app, material=material, original_name="a.pdf", content_type="application/pdf",
                         size=9, sha256="0" * 64)
        att.file.save("x", ContentFile(b"%PDF-1.4\n"), save=False)
        att.save()
    return apps


def attachment_of(app):
    return Attachment.objects.get(application=app)


# --- an expert sees what is assigned to it, and nothing else ------------------------------------------


def test_an_expert_assigned_to_one_of_three_lists_one_and_gets_404_on_the_others(world, client_for, api_for, three):
    mine, *others = three
    assign(world.city_reviewer, mine, world.expert)

    client = client_for(world.expert)
    listing = client.get(reverse("expert-applications"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert world.ent_zg.name in page and world.ent_zg2.name not in page and world.ent_nk.name not in page
    assert client.get(reverse("expert-application", args=[mine.pk])).status_code == 200
    assert client.get(reverse("expert-attachment", args=[mine.pk, attachment_of(mine).pk])).status_code == 200
    for app in others:
        assert client.get(reverse("expert-application", args=[app.pk])).status_code == 404
        assert client.get(reverse("expert-attachment", args=[app.pk, attachment_of(app).pk])).status_code == 404
        # nor through the other doors
        assert client.get(reverse("review-detail", args=[app.pk])).status_code in REFUSED
        assert client.get(reverse("review-timeline", args=[app.pk])).status_code in REFUSED
        assert client.get(reverse("application-file", args=[app.pk, attachment_of(app).pk])).status_code in REFUSED
    # the wrong application id in the URL does not reach another application's file
    assert client.get(reverse("expert-attachment", args=[mine.pk, attachment_of(others[0]).pk])).status_code == 404

    api = api_for(world.expert)
    rows = api.get("/api/expert/applications/").json()
    assert [r["id"] for r in rows["results"]] == [mine.pk] and rows["results"][0]["open"] is True
    assert rows["results"][0]["assigned_by_level"] == "city"
    assert api.get(f"/api/expert/applications/{mine.pk}/").status_code == 200
    assert api.get(f"/api/expert/applications/{mine.pk}/attachments/{attachment_of(mine).pk}/").status_code == 200
    assert {r["id"] for r in api.get("/api/applications/").json()["results"]} == {mine.pk}
    for app in others:
        assert api.get(f"/api/expert/applications/{app.pk}/").status_code == 404
        assert api.get(f"/api/expert/applications/{app.pk}/attachments/{attachment_of(app).pk}/").status_code == 404
        assert api.get(f"/api/applications/{app.pk}/").status_code == 404
        assert api.get(f"/api/review/applications/{app.pk}/").status_code in REFUSED
        assert api.get(f"/api/applications/{app.pk}/experts/").status_code in REFUSED


def test_an_expert_reads_no_review_file_no_timeline_and_no_packet_even_when_assigned(world, client_for, api_for,
                                                                                     three):
    mine = three[0]
    Receipt.objects.create(application=mine, number="R-0001", submitted_at=timezone.now(), fingerprint="0" * 64,
                           snapshot={})
    assign(world.province_officer, mine, world.expert)
    assert can_request_packet(actor_for(world.province_officer), mine)  # the packet exists for the bureaus
    client, api = client_for(world.expert), api_for(world.expert)
    assert client.get(reverse("review-detail", args=[mine.pk])).status_code in REFUSED
    assert api.get(f"/api/review/applications/{mine.pk}/").status_code in REFUSED
    assert api.get("/api/review/applications/?stage=all").status_code in REFUSED or not api.get(
        "/api/review/applications/?stage=all").json()["results"]
    # the timeline is not the expert's to read: 404 on the API and the page, not an empty 200
    assert api.get(f"/api/review/applications/{mine.pk}/timeline/").status_code == 404
    assert client.get(reverse("review-timeline", args=[mine.pk])).status_code == 404
    assert not api.get("/api/audit/").json()["results"]
    assert api.post("/api/documents/packets/", {"application": mine.pk}, format="json").status_code in REFUSED
    assert client.get(reverse("packet-request", args=[mine.pk])).status_code in REFUSED | {405}
    expert = actor_for(world.expert)
    assert not can_view_review(expert, mine) and not can_request_packet(expert, mine)


def test_an_expert_of_another_province_sees_nothing_and_cannot_be_assigned(world, client_for, api_for, three):
    mine = three[0]
    with pytest.raises(PermissionDenied, match=said("This expert belongs to the expert pool of another province.")):
        assign(world.province_officer, mine, world.foreign_expert)
    response = api_for(world.city_reviewer).post(f"/api/applications/{mine.pk}/experts/",
                                                 {"expert": world.foreign_expert.pk}, format="json",
                                                 HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and "another province" in response.json()["detail"]
    assert not ApplicationUserObjectPermission.objects.exists()
    assert not AuditEntry.objects.filter(action="review.expert_assign").exists()
    # the choice offered to the city bureau holds the experts of its own province only
    page = client_for(world.city_reviewer).get(reverse("review-experts", args=[mine.pk])).content.decode()
    assert f'<option value="{world.expert.pk}">' in page and f'value="{world.foreign_expert.pk}"' not in page
    # even a grant slipped in around the service opens nothing across the province line
    assign_perm("submissions.review_as_expert", world.foreign_expert, mine)
    ApplicationUserObjectPermission.objects.update(level="province")
    foreign = actor_for(world.foreign_expert)
    assert not applications_visible(foreign).exists()
    assert not can_view_application(foreign, mine)
    assert client_for(world.foreign_expert).get(reverse("expert-application", args=[mine.pk])).status_code == 404
    api = api_for(world.foreign_expert)
    assert api.get("/api/expert/applications/").json()["results"] == []
    assert api.get(f"/api/expert/applications/{mine.pk}/").status_code == 404
    assert api.get(f"/api/applications/{mine.pk}/").status_code == 404


def test_only_members_of_an_expert_pool_are_assigned(world, three):
    for user in (world.county_reviewer, world.applicant_admin, world.operator):
        with pytest.raises(PermissionDenied, match=said("Only members of an expert pool can be assigned as experts.")):
            assign(world.province_officer, three[0], user)


# --- access ends with the assigning level's stage ---------------------------------------------------------


def test_access_ends_at_the_stage_deadline_of_the_assigning_level(world, client_for, api_for, three, deadline):
    mine = three[0]
    assign(world.city_reviewer, mine, world.expert)
    client, api = client_for(world.expert), api_for(world.expert)
    with time_machine.travel(deadline, tick=False):  # at the deadline itself: still open
        assert client.get(reverse("expert-application", args=[mine.pk])).status_code == 200
        assert api.get(f"/api/expert/applications/{mine.pk}/").status_code == 200
        assert can_view_application(actor_for(world.expert), mine)
    with time_machine.travel(deadline + ONE_SECOND, tick=False):
        assert client.get(reverse("expert-application", args=[mine.pk])).status_code == 404
        assert client.get(reverse("expert-attachment", args=[mine.pk, attachment_of(mine).pk])).status_code == 404
        assert api.get(f"/api/expert/applications/{mine.pk}/").status_code == 404
        assert api.get(f"/api/applications/{mine.pk}/").status_code == 404
        assert api.get("/api/applications/").json()["results"] == []  # a closed assignment is not listed
        assert api.get(f"/api/applications/{mine.pk}/attachments/{attachment_of(mine).pk}/").status_code == 404
        decision = can_view_application(actor_for(world.expert), mine)
        assert not decision and "市级推荐" in decision.reason  # names the stage that closed
        # the list says so, without a link
        row = api.get("/api/expert/applications/").json()["results"][0]
        assert row["open"] is False and row["reason"]
        page = client.get(reverse("expert-applications")).content.decode()
        assert reverse("expert-application", args=[mine.pk]) not in page
        # and nobody assigns experts for a stage that has closed
        with pytest.raises(PermissionDenied, match="市级推荐"):
            assign(world.city_reviewer, three[1], world.expert)
        # the province's extension of the city stage reopens it
        StageExtension.objects.create(stage=mine.call.stages.get(level=StageLevel.CITY), region=world.ganzhou,
                                      new_deadline=deadline + dt.timedelta(days=2), reason="延期",
                                      granted_by=world.province_officer)
        assert client.get(reverse("expert-application", args=[mine.pk])).status_code == 200
        assert [r["id"] for r in api.get("/api/applications/").json()["results"]] == [mine.pk]


def test_a_provincial_assignment_follows_the_provincial_stage(world, client_for, three, deadline):
    mine = three[0]
    assign(world.province_officer, mine, world.expert)
    with time_machine.travel(deadline + dt.timedelta(days=1), tick=False):  # the city stage has closed
        assert client_for(world.expert).get(reverse("expert-application", args=[mine.pk])).status_code == 200
    StageFactory(call=mine.call, order=4, level=StageLevel.PROVINCE, name="省级评审",
                 deadline_kind=DeadlineKind.ABSOLUTE, deadline_at=deadline + dt.timedelta(days=5))
    with time_machine.travel(deadline + dt.timedelta(days=5), tick=False):
        assert client_for(world.expert).get(reverse("expert-application", args=[mine.pk])).status_code == 200
    with time_machine.travel(deadline + dt.timedelta(days=5, seconds=1), tick=False):
        assert client_for(world.expert).get(reverse("expert-application", args=[mine.pk])).status_code == 404


# --- who assigns ------------------------------------------------------------------------------------------------


def test_a_county_bureau_cannot_assign_the_city_and_the_province_can(world, client_for, api_for, three):
    app = three[0]
    for user in (world.county_reviewer, world.county_head):
        with pytest.raises(PermissionDenied):
            assign(user, app, world.expert)
        assert api_for(user).post(f"/api/applications/{app.pk}/experts/", {"expert": world.expert.pk},
                                  format="json").status_code == 403
        assert client_for(user).post(reverse("review-experts", args=[app.pk]),
                                     {"action": "assign", "expert": world.expert.pk}).status_code == 403
    for user in (world.other_city_reviewer, world.other_province_officer, world.lanzhou_reviewer,
                 world.applicant_admin, world.expert):
        assert api_for(user).post(f"/api/applications/{app.pk}/experts/", {"expert": world.expert.pk},
                                  format="json").status_code in REFUSED
        assert client_for(user).post(reverse("review-experts", args=[app.pk]),
                                     {"action": "assign", "expert": world.expert.pk}).status_code in REFUSED
    assert not ApplicationUserObjectPermission.objects.exists()

    response = api_for(world.city_reviewer).post(f"/api/applications/{app.pk}/experts/", {"expert": world.expert.pk},
                                                 format="json")
    assert response.status_code == 201, response.content
    assert response.json()["level"] == "city" and response.json()["expert"] == world.expert.pk
    # twice is refused with a reason
    again = api_for(world.province_officer).post(f"/api/applications/{app.pk}/experts/", {"expert": world.expert.pk},
                                                 format="json")
    assert again.status_code == 400
    # the province assigns on the page
    page = client_for(world.province_officer)
    assert page.post(reverse("review-experts", args=[three[1].pk]),
                     {"action": "assign", "expert": world.expert.pk}).status_code == 302
    grants = dict(ApplicationUserObjectPermission.objects.values_list("content_object_id", "level"))
    assert grants == {app.pk: "city", three[1].pk: "province"}
    listed = api_for(world.province_officer).get(f"/api/applications/{app.pk}/experts/").json()
    assert [r["expert"] for r in listed] == [world.expert.pk]
    # the review page shows the experts to the bureau that assigns them, not to the county
    city_page = client_for(world.city_reviewer).get(reverse("review-detail", args=[app.pk])).content.decode()
    assert "expert-panel" in city_page and reverse("review-experts", args=[app.pk]) in city_page
    assert "expert-panel" not in client_for(world.county_reviewer).get(
        reverse("review-detail", args=[app.pk])).content.decode()


def test_no_expert_for_a_conflict_a_withdrawn_or_a_decided_application(world, call, three):
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.expert, organization=world.ent_zg, role="applicant_viewer")
    with pytest.raises(PermissionDenied, match=said(
            "This expert belongs to the applicant organization and cannot review its application.")):
        assign(world.province_officer, three[0], world.expert)
    withdrawn = filed(enterprise(world.zhanggong, "撤回企业"), call)
    fire_as(admin_of(withdrawn.organization), withdrawn, "withdraw")
    with pytest.raises(PermissionDenied, match=said("The review of this application is over.")):
        assign(world.province_officer, withdrawn, world.expert)
    draft = application_for(enterprise(world.zhanggong, "草稿企业"), call)
    with pytest.raises(PermissionDenied):
        assign(world.province_officer, draft, world.expert)


# --- removal ---------------------------------------------------------------------------------------------------


def test_unassigning_removes_access(world, client_for, api_for, three):
    app = three[0]
    assign(world.city_reviewer, app, world.expert)
    client = client_for(world.expert)
    assert client.get(reverse("expert-application", args=[app.pk])).status_code == 200
    response = api_for(world.city_head).delete(f"/api/applications/{app.pk}/experts/{world.expert.pk}/")
    assert response.status_code == 204, response.content
    assert not ApplicationUserObjectPermission.objects.exists()
    assert client.get(reverse("expert-application", args=[app.pk])).status_code == 404
    assert api_for(world.expert).get("/api/expert/applications/").json()["results"] == []
    assert api_for(world.city_head).delete(f"/api/applications/{app.pk}/experts/{world.expert.pk}/").status_code == 404

    # the page: the province assigns, a city bureau may not remove the province's assignment, the province may
    assign(world.province_officer, app, world.expert)
    with pytest.raises(PermissionDenied):
        experts.expert_unassign(actor=actor_for(world.city_reviewer), application=app, expert=world.expert)
    assert api_for(world.city_reviewer).delete(
        f"/api/applications/{app.pk}/experts/{world.expert.pk}/").status_code == 403
    assert api_for(world.county_reviewer).delete(
        f"/api/applications/{app.pk}/experts/{world.expert.pk}/").status_code == 403
    assert client.get(reverse("expert-application", args=[app.pk])).status_code == 200
    assert client_for(world.province_head).post(reverse("review-experts", args=[app.pk]),
                                                {"action": "unassign", "expert": world.expert.pk}).status_code == 302
    assert client_for(world.expert).get(reverse("expert-application", args=[app.pk])).status_code == 404


def test_assignment_and_removal_are_audited(world, client_for, api_for, three):
    app = three[0]
    assign(world.city_reviewer, app, world.expert)
    experts.expert_unassign(actor=actor_for(world.city_head), application=app, expert=world.expert)
    entries = list(AuditEntry.objects.filter(action__startswith="review.expert_").order_by("id"))
    assert [(e.action, e.actor, e.data["expert"], e.data["level"]) for e in entries] == [
        ("review.expert_assign", world.city_reviewer, world.expert.pk, "city"),
        ("review.expert_unassign", world.city_head, world.expert.pk, "city"),
    ]
    assert all(e.object_id == str(app.pk) and e.region == app.region for e in entries)
    assert action_label("review.expert_assign") != action_label("no.such_action")
    assert action_label("review.expert_unassign") != action_label("no.such_action")
    # the bureaus read the entries; the applicant does not learn who its experts are
    assert {r["action"] for r in api_for(world.city_reviewer).get("/api/audit/").json()["results"]} >= {
        "review.expert_assign", "review.expert_unassign"}
    seen = {r["action"] for r in api_for(world.applicant_admin).get("/api/audit/").json()["results"]}
    assert not seen & {"review.expert_assign", "review.expert_unassign"}
    timeline = api_for(world.applicant_admin).get(f"/api/review/applications/{app.pk}/timeline/").json()
    assert not any(r["action"].startswith("review.") for r in timeline)


def test_a_refused_assignment_writes_nothing(world, three):
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        assign(world.county_reviewer, three[0], world.expert)
    assign(world.city_reviewer, three[0], world.expert)
    with pytest.raises(ValidationError):
        assign(world.province_officer, three[0], world.expert)
    assert AuditEntry.objects.count() == before + 1
    assert ApplicationUserObjectPermission.objects.count() == 1


# --- the grant opens reading only ------------------------------------------------------------------------


def test_the_existing_rules_refuse_an_assigned_expert(world, client_for, api_for, three):
    app = three[0]
    assign(world.province_officer, app, world.expert)
    expert = actor_for(world.expert)
    assert can_view_application(expert, app)
    for rule in (can_edit_application, can_submit_application, can_withdraw_application, can_review_application,
                 can_recommend_application, can_sign_off_application, can_decide_application, can_view_review):
        assert not rule(expert, app), rule.__name__
    assert workflow.available(expert, app) == []
    before = snapshot(app)
    client, api = client_for(world.expert), api_for(world.expert)
    later = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    for name, data in [("review-start", {}), ("review-opinion", {"opinion": "x"}), ("review-reject", {"reason": "x"}),
                       ("review-recommend", {"opinion": "x", "score": "99"}),
                       ("review-decide", {"decision": "approve"}),
                       ("review-return", {"reason_target": "general", "reason_text": "x", "revision_deadline": later})]:
        assert client.post(reverse(name, args=[app.pk]), data).status_code in REFUSED, name
    for name, data in [("start", {}), ("opinion", {"opinion": "x"}), ("reject", {"reason": "x"}),
                       ("recommend", {"opinion": "x"}), ("decide", {"decision": "approve"})]:
        assert api.post(f"/api/review/applications/{app.pk}/{name}/", data, format="json").status_code in REFUSED
    assert api.patch(f"/api/applications/{app.pk}/", {"version": app.version, "data": {"summary": "篡改"}},
                     format="json").status_code in REFUSED
    assert api.post(f"/api/applications/{app.pk}/withdraw/", {}, format="json").status_code in REFUSED
    assert api.post("/api/review/applications/bulk-recommend/", {"ids": [app.pk], "opinion": "x"},
                    format="json").status_code in REFUSED
    assert client.post(reverse("review-experts", args=[app.pk]),
                       {"action": "unassign", "expert": world.expert.pk}).status_code in REFUSED
    assert api.delete(f"/api/applications/{app.pk}/experts/{world.expert.pk}/").status_code in REFUSED
    assert snapshot(app) == before
    assert Application.objects.get(pk=app.pk).data["summary"] == "企业简介"


def test_the_menu_offers_expert_review_to_experts_only(world, client_for):
    page = client_for(world.expert).get(reverse("home")).content.decode()
    assert 'data-menu="expert-review"' in page
    assert 'data-menu="review-queue"' not in page and 'data-menu="organizations"' not in page
    for user in (world.city_reviewer, world.province_officer, world.applicant_admin):
        assert 'data-menu="expert-review"' not in client_for(user).get(reverse("home")).content.decode()
        assert client_for(user).get(reverse("expert-applications")).status_code == 403
    assert api_for_status(world.city_reviewer, "/api/expert/applications/") == 403


def api_for_status(user, url):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client.get(url).status_code


# --- blind review ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("blind", [True, False])
def test_blind_review_hides_the_applicants_contact_details_from_experts(world, client_for, api_for, three, blind):
    app = three[0]
    app.call.blind_review = blind
    app.call.save(update_fields=["blind_review"])
    assign(world.province_officer, app, world.expert)
    page = client_for(world.expert).get(reverse("expert-application", args=[app.pk])).content.decode()
    api = api_for(world.expert)
    detail = api.get(f"/api/expert/applications/{app.pk}/").json()
    applications_api = api.get(f"/api/applications/{app.pk}/").json()
    for secret in ("0797-5550123", "wangwu@example.com", "联系人王五", "某路1号"):
        assert (secret in page) is not blind, secret
    assert ("contact_phone" in detail["data"]["profile"]) is not blind
    assert ("contact_phone" in applications_api["data"]["profile"]) is not blind
    assert detail["blind_review"] is blind
    # what the expert needs stays: the applicant's name, its business, the summary
    assert world.ent_zg.name in page and "稀土功能材料" in page and "企业简介" in page
    assert detail["data"]["profile"]["main_business"] == "稀土功能材料"
    # the bureaus keep seeing everything, blind or not; the stored form is untouched
    bureau_page = client_for(world.province_officer).get(reverse("review-detail", args=[app.pk])).content.decode()
    assert "0797-5550123" in bureau_page
    assert Application.objects.get(pk=app.pk).data["profile"]["contact_phone"] == "0797-5550123"


def test_the_province_sets_blind_review_on_its_call(world, api_for, call):
    response = api_for(world.province_officer).patch(f"/api/calls/{call.code}/", {"blind_review": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["blind_review"] is True
    call.refresh_from_db()
    assert call.blind_review
    assert AuditEntry.objects.filter(action="call.update", object_id=str(call.pk)).exists()
    assert api_for(world.city_reviewer).patch(f"/api/calls/{call.code}/", {"blind_review": False},
                                              format="json").status_code == 403


# --- queries -------------------------------------------------------------------------------------------------


def test_the_experts_applications_are_one_query(world, three):
    for app in three[:2]:
        assign(world.province_officer, app, world.expert)
    expert = actor_for(world.expert)
    with CaptureQueriesContext(connection) as queries:
        apps = list(applications_visible(expert))
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert {a.pk for a in apps} == {three[0].pk, three[1].pk}
    assert "submissions_applicationuserobjectpermission" in queries[0]["sql"]
    assert "guardian_userobjectpermission" not in queries[0]["sql"]  # the direct table, not the generic one


def _make(world, call, n):
    """`n` submitted applications assigned to the expert (rows made in bulk: this is about reading)."""
    org_ids = [enterprise(world.zhanggong, f"企业{i:03d}").pk for i in range(n)]
    from portal.models import Organization

    rows = [Application(call=call, organization=org, region=world.zhanggong, province=world.jx, status="submitted",
                        level="county", routing=["county", "city", "province"], number=f"N{i:04d}",
                        submitted_at=timezone.now())
            for i, org in enumerate(Organization.objects.filter(pk__in=org_ids))]
    apps = Application.objects.bulk_create(rows)
    for app in apps:
        ApplicationUserObjectPermission.objects.assign_perm("review_as_expert", world.expert, app)
    ApplicationUserObjectPermission.objects.update(level="city")
    return apps


def _count(fn):
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def test_the_expert_list_costs_the_same_queries_for_5_and_50_rows(world, client_for, api_for, call):
    client, api = client_for(world.expert), api_for(world.expert)
    _make(world, call, 5)
    assert len(experts.expert_rows(actor_for(world.expert))) == 5
    small = (_count(lambda: client.get(reverse("expert-applications"))),
             _count(lambda: api.get("/api/expert/applications/")),
             _count(lambda: experts.expert_rows(actor_for(world.expert))))
    _make(world, call, 45)
    page = client.get(reverse("expert-applications"))
    assert page.content.decode().count('data-app="') == 50
    assert api.get("/api/expert/applications/").json()["count"] == 50
    large = (_count(lambda: client.get(reverse("expert-applications"))),
             _count(lambda: api.get("/api/expert/applications/")),
             _count(lambda: experts.expert_rows(actor_for(world.expert))))
    assert small == large, (small, large)
    # the actor's memberships, the applications, the stages and extensions of their calls, its own reviews
    assert large[2] <= 5


def test_the_expert_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert set(paths["/api/expert/applications/"]) >= {"get"}
    assert set(paths["/api/expert/applications/{id}/"]) >= {"get"}
    assert set(paths["/api/applications/{application_pk}/experts/"]) >= {"get", "post"}
    assert set(paths["/api/applications/{application_pk}/experts/{user_id}/"]) >= {"delete"}
    params = {p["name"]: p["schema"]["type"] for p in paths["/api/applications/{application_pk}/experts/{user_id}/"]
              ["delete"]["parameters"]}
    assert params == {"application_pk": "integer", "user_id": "integer"}
    assert "AssignInput" in schema["components"]["schemas"]


def test_the_assigned_expert_is_told_once_by_mail_and_the_applicant_is_not(world, three, deadline, mailoutbox,
                                                                          django_capture_on_commit_callbacks,
                                                                          eager_tasks):
    from portal.models import OutboxMessage

    world.expert.email = "expert@example.com"
    world.expert.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        grant = assign(world.city_reviewer, three[0], world.expert)
    entry = AuditEntry.objects.get(action="review.expert_assign")
    rows = list(OutboxMessage.objects.filter(audit_entry=entry))
    assert [r.recipient for r in rows] == ["expert@example.com"] and rows[0].kind == "expert_assignment"
    assert three[0].call.title in rows[0].subject
    assert timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M") in rows[0].body  # when its access ends
    assert grant.level == "city"
    assert [m.to for m in mailoutbox] == [["expert@example.com"]]
    # nobody else: the applicant's side does not learn who its experts are
    assert not OutboxMessage.objects.exclude(recipient="expert@example.com").filter(audit_entry=entry).exists()
