"""The applicant's use cases: commitment, drafts (with concurrent saves), submission (deadline,
completeness, eligibility, receipt), withdrawal, revision after a return, member units."""

import datetime as dt
import hashlib
import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from portal.constants import Role
from portal.models import AuditEntry
from programs.constants import CallKind
from programs.models import StageExtension
from submissions.constants import Status
from submissions.filing import services
from submissions.models import (
    Application,
    ApplicationMember,
    CommitmentAcceptance,
    DraftConflict,
    Receipt,
)
from submissions.policy import applications_visible, can_view_application
from tests.factories import MembershipFactory, UserFactory, fire_as
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    DEADLINE,
    RUBRIC_EXTRA,
    actor,
    attach,
    complete_data,
    fill,
    make_call,
    media,
    pdf_bytes,
    ready,
    start,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(world):
    return make_call(world.jx)


def test_commitment_is_recorded_with_user_time_ip_and_text_fingerprint(world, call):
    with pytest.raises(ValidationError):  # no draft before the commitment letter is accepted
        services.application_start(actor=actor(world.applicant_admin), call=call)
    assert not Application.objects.exists()
    acceptance = services.commitment_accept(actor=actor(world.applicant_filer), call=call, ip_address="10.1.2.3")
    assert (acceptance.user, acceptance.organization, acceptance.ip_address) == (
        world.applicant_filer, world.ent_zg, "10.1.2.3")
    assert acceptance.text_sha256 == hashlib.sha256(call.commitment_text.encode()).hexdigest()
    app = services.application_start(actor=actor(world.applicant_filer), call=call)
    assert (app.status, app.organization, app.region) == (Status.DRAFT, world.ent_zg, world.zhanggong)
    assert app.routing == ["county", "city", "province"]
    assert app.data["profile"]["contact_name"] == world.ent_zg.contact_name
    assert AuditEntry.objects.filter(action="commitment.accept", organization=world.ent_zg).exists()
    assert AuditEntry.objects.filter(action="application.start", object_id=str(app.pk)).exists()
    # a changed letter must be accepted again
    call.commitment_text += "\n四、补充承诺。"
    call.save()
    assert not services.commitment_accepted(call, world.ent_zg)


def test_start_is_refused_for_the_wrong_province_kind_or_twice(world, call):
    from tests.factories import OrganizationFactory

    lanzhou_admin = UserFactory()
    m = MembershipFactory(user=lanzhou_admin, organization=world.ent_cg, role=Role.APPLICANT_ADMIN)
    with pytest.raises(PermissionDenied, match="江西省"):
        services.commitment_accept(actor=actor(lanzhou_admin), call=call)
    institute = OrganizationFactory(kind="institute", region=world.zhanggong)
    inst_admin = UserFactory()
    MembershipFactory(user=inst_admin, organization=institute, role=Role.APPLICANT_ADMIN)
    CommitmentAcceptance.objects.create(call=call, organization=institute, user=inst_admin,
                                        text_sha256=hashlib.sha256(call.commitment_text.encode()).hexdigest())
    with pytest.raises(PermissionDenied):
        services.application_start(actor=actor(inst_admin), call=call)
    start(world.applicant_admin, call)
    with pytest.raises(PermissionDenied):
        start(world.applicant_admin, call)
    with pytest.raises(PermissionDenied):  # a bureau does not apply
        services.application_start(actor=actor(world.county_reviewer), call=call)
    assert Application.objects.count() == 1
    assert m.pk


def test_draft_saves_are_partial_and_the_self_score_follows_the_figures(world, call):
    app = start(world.applicant_admin, call)
    v0 = app.version
    outcome = services.application_save_draft(actor=actor(world.applicant_filer), application=app, base_version=v0,
                                              data={"profile": {"industry": "装备制造"}}, score_inputs={})
    assert outcome.saved and outcome.application.version == v0 + 1
    outcome = services.application_save_draft(
        actor=actor(world.applicant_filer), application=app, base_version=v0 + 1,
        data={"figures": {"2030": {"rd_expenditure": "300", "main_revenue": "10000"}}},
        score_inputs={"senior_or_phd": "12", "unknown_key": "1"})
    app.refresh_from_db()
    assert app.data["profile"]["industry"] == "装备制造"  # kept from the first save
    assert app.score_inputs["rd_expenditure"] == "300" and app.score_inputs["senior_or_phd"] == "12"
    assert "score_inputs.unknown_key" in outcome.warnings
    first = app.self_score
    assert first is not None and first > 0
    services.application_save_draft(actor=actor(world.applicant_filer), application=app, base_version=app.version,
                                    data={"figures": {"2030": {"rd_expenditure": "600"}}})
    app.refresh_from_db()
    assert app.self_score > first
    # a value that is not a number is kept as typed and reported, not refused
    outcome = services.application_save_draft(actor=actor(world.applicant_filer), application=app,
                                              base_version=app.version,
                                              data={"figures": {"2030": {"profit": "九百"}}})
    assert outcome.saved and outcome.warnings["figures.2030.profit"]
    app.refresh_from_db()
    assert app.data["figures"]["2030"]["profit"] == "九百"


def test_two_sessions_saving_the_same_draft_the_second_is_warned_and_nothing_is_lost(world, call):
    app = start(world.applicant_admin, call)
    base = app.version
    first = services.application_save_draft(actor=actor(world.applicant_admin), application=app, base_version=base,
                                            data={"summary": "管理员写的概述"})
    second = services.application_save_draft(actor=actor(world.applicant_filer), application=app, base_version=base,
                                             data={"summary": "填报员写的概述"})
    assert first.saved and not second.saved
    assert second.conflict is not None and second.refused
    app.refresh_from_db()
    assert app.data["summary"] == "管理员写的概述"  # the first text stands
    kept = DraftConflict.objects.get(pk=second.conflict.pk)
    assert kept.data["summary"] == "填报员写的概述"  # the second text is kept
    assert (kept.base_version, kept.current_version, kept.user) == (base, base + 1, world.applicant_filer)
    # the filer keeps their version: saved over the current one, the refused row stays on record
    outcome = services.draft_conflict_resolve(actor=actor(world.applicant_filer), conflict=kept, keep="mine")
    assert outcome.saved
    app.refresh_from_db()
    assert app.data["summary"] == "填报员写的概述"
    kept.refresh_from_db()
    assert kept.resolved_at is not None and kept.data["summary"] == "填报员写的概述"
    with pytest.raises(PermissionDenied):  # somebody else's refused save
        services.draft_conflict_resolve(actor=actor(world.other_applicant), conflict=kept, keep="theirs")


def test_submit_gives_a_receipt_with_a_fingerprint_and_makes_the_application_read_only(
        world, call, media, django_capture_on_commit_callbacks, eager_tasks):
    world.ent_zg.contact_email = "ent@example.com"
    world.ent_zg.save()
    app = ready(world.applicant_filer, call)
    with pytest.raises(PermissionDenied):  # a filer prepares, the administrator submits
        services.application_submit(actor=actor(world.applicant_filer), application=app,
                                    now=DEADLINE - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        receipt = services.application_submit(actor=actor(world.applicant_admin), application=app,
                                              now=DEADLINE - dt.timedelta(days=1))
    app.refresh_from_db()
    assert (app.status, app.level, app.number) == (Status.SUBMITTED, "county", receipt.number)
    assert receipt.number.startswith("360000-20310421-")
    canonical = json.dumps(receipt.snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert receipt.fingerprint == hashlib.sha256(canonical.encode()).hexdigest()
    assert receipt.snapshot["attachments"][0]["sha256"] == hashlib.sha256(pdf_bytes()).hexdigest()
    assert receipt.snapshot["data"]["figures"]["2030"]["rd_expenditure"] == "300"
    assert receipt.snapshot["submitted_at"].startswith("2031-04-21T23:59:59+08:00")
    assert AuditEntry.objects.filter(action="application.submit", object_id=str(app.pk)).count() == 1
    assert any("ent@example.com" in m.to for m in mail.outbox)
    # read-only now: a late save is kept aside, never applied
    outcome = services.application_save_draft(actor=actor(world.applicant_filer), application=app,
                                              base_version=app.version, data={"summary": "提交后修改"})
    assert not outcome.saved and outcome.conflict.data["summary"] == "提交后修改"
    app.refresh_from_db()
    assert app.data["summary"] != "提交后修改"
    with pytest.raises(PermissionDenied):
        attach(world.applicant_admin, app)


def test_a_submission_one_second_after_the_deadline_is_refused_and_the_draft_is_intact(world, call, media):
    app = ready(world.applicant_filer, call)
    before = (app.data, app.score_inputs, app.version, app.status)
    with pytest.raises(services.SubmissionRefused) as refused:
        services.application_submit(actor=actor(world.applicant_admin), application=app,
                                    now=DEADLINE + dt.timedelta(seconds=1))
    problem = refused.value.problems[0]
    assert problem.code == "deadline"
    assert "2031-04-22 23:59:59" in problem.message and "2031-04-23 00:00:00" in problem.message
    app.refresh_from_db()
    assert (app.data, app.score_inputs, app.version, app.status) == before
    assert not Receipt.objects.exists()
    assert not AuditEntry.objects.filter(action="application.submit").exists()
    # at the deadline itself it is on time
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_an_extension_for_the_region_moves_the_filing_deadline(world, call, media):
    app = ready(world.applicant_filer, call)
    stage = call.stages.get()
    StageExtension.objects.create(stage=stage, region=world.nankang, new_deadline=DEADLINE + dt.timedelta(days=3),
                                  reason="南康区延期")
    late = DEADLINE + dt.timedelta(days=1)
    with pytest.raises(services.SubmissionRefused):  # another county's extension does not count
        services.application_submit(actor=actor(world.applicant_admin), application=app, now=late)
    StageExtension.objects.create(stage=stage, region=world.ganzhou, new_deadline=DEADLINE + dt.timedelta(days=2),
                                  reason="赣州市延期")
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=late)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_a_refused_submission_says_exactly_what_is_missing(world, call, media):
    app = start(world.applicant_admin, call)
    services.application_save_draft(actor=actor(world.applicant_admin), application=app, base_version=app.version,
                                    data={"profile": {"contact_phone": ""}})
    with pytest.raises(services.SubmissionRefused) as refused:
        services.application_submit(actor=actor(world.applicant_admin), application=app,
                                    now=DEADLINE - dt.timedelta(days=1))
    problems = {p.target: p for p in refused.value.problems}
    assert "f-profile-contact_phone" in problems
    assert "f-figures-2030-rd_expenditure" in problems and "2030" in problems["f-figures-2030-rd_expenditure"].message
    assert "f-declarations-no-serious-violations" in problems
    assert "m-application-material" in problems and "申报材料" in problems["m-application-material"].message
    assert "f-inputs-senior_or_phd" in problems
    assert "m-evidence" not in problems  # optional
    app.refresh_from_db()
    assert app.status == Status.DRAFT


@pytest.mark.parametrize("figures,fragment", [
    ({"rd_expenditure": "150", "main_revenue": "5000"}, "200万元"),  # Gansu ETC: R&D ≥ 200万
    ({"rd_expenditure": "290", "main_revenue": "14500.5"}, "2%"),  # just under 2 % of revenue
])
def test_hard_eligibility_conditions_must_hold(world, call, media, figures, fragment):
    app = start(world.applicant_admin, call)
    fill(world.applicant_admin, app, data=complete_data(**figures))
    attach(world.applicant_admin, app)
    with pytest.raises(services.SubmissionRefused) as refused:
        services.application_submit(actor=actor(world.applicant_admin), application=app,
                                    now=DEADLINE - dt.timedelta(days=1))
    messages = [p.message for p in refused.value.problems if p.code == "eligibility"]
    assert len(messages) == 1 and fragment in messages[0]
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_ratio_exactly_at_the_threshold_holds(world, call, media):
    app = start(world.applicant_admin, call)
    fill(world.applicant_admin, app, data=complete_data(rd_expenditure="290", main_revenue="14500"))
    attach(world.applicant_admin, app)
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)


def test_withdraw_before_the_review_starts_only(world, call, media):
    app = ready(world.applicant_admin, call)
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    with pytest.raises(PermissionDenied):
        services.application_withdraw(actor=actor(world.applicant_filer), application=app)
    services.application_withdraw(actor=actor(world.applicant_admin), application=app, reason="材料需完善")
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN
    # a new application to the same call can be opened after a withdrawal
    again = services.application_start(actor=actor(world.applicant_admin), call=call)
    assert again.pk != app.pk
    fill(world.applicant_admin, again)
    attach(world.applicant_admin, again)
    services.application_submit(actor=actor(world.applicant_admin), application=again, now=DEADLINE)
    fire_as(world.county_reviewer, again, "start_review")
    with pytest.raises(ValidationError):
        services.application_withdraw(actor=actor(world.applicant_admin), application=again)


def _returned(world, call, reasons, deadline=DEADLINE + dt.timedelta(days=10)):
    app = ready(world.applicant_admin, call)
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    fire_as(world.county_reviewer, app, "return", comment="请修改",
            changes={"return_reasons": reasons, "revision_deadline": deadline})
    app.refresh_from_db()
    return app


def test_after_a_return_only_the_named_items_change_and_it_is_resubmitted_before_the_revision_deadline(
        world, call, media):
    reasons = [{"target": "input:rd_expenditure", "label": "研发经费支出", "text": "与审计报告不符"},
               {"target": "material:evidence", "label": "证明材料", "text": "请补充审计报告"}]
    app = _returned(world, call, reasons)
    assert app.status == Status.RETURNED
    refused = services.application_save_draft(actor=actor(world.applicant_admin), application=app,
                                              base_version=app.version, data={"summary": "改了概述"})
    assert not refused.saved and refused.locked == ["summary"] and refused.conflict.data["summary"] == "改了概述"
    with pytest.raises(PermissionDenied):
        attach(world.applicant_admin, app)  # application-material was not named
    ok = services.application_save_draft(actor=actor(world.applicant_admin), application=app, base_version=app.version,
                                         data={"figures": {"2030": {"rd_expenditure": "320"}}})
    assert ok.saved
    attach(world.applicant_admin, app, code="evidence", name="审计报告.pdf")
    with pytest.raises(services.SubmissionRefused) as late:
        services.application_resubmit(actor=actor(world.applicant_admin), application=app,
                                      now=app.revision_deadline + dt.timedelta(seconds=1))
    assert late.value.problems[0].code == "deadline"
    receipt = services.application_resubmit(actor=actor(world.applicant_admin), application=app,
                                            now=app.revision_deadline)
    app.refresh_from_db()
    assert (app.status, app.level) == (Status.SUBMITTED, "county")
    assert receipt.number.endswith("-02") and app.receipts.count() == 2
    assert receipt.snapshot["data"]["figures"]["2030"]["rd_expenditure"] == "320"


def test_a_return_with_only_general_remarks_leaves_everything_editable(world, call, media):
    app = _returned(world, call, [{"target": "general", "label": "", "text": "请全面完善"}])
    ok = services.application_save_draft(actor=actor(world.applicant_admin), application=app,
                                         base_version=app.version, data={"summary": "全面完善后的概述"})
    assert ok.saved


@pytest.fixture
def alliance(world):
    return make_call(world.jx, code="jx-2031-alliance", multi=True, rubric_code="", program_code="alliance-test",
                     applicant_kinds=("enterprise", "institute", "university"))


def test_member_units_read_but_do_not_fill_in_or_submit(world, alliance, media):

    nk_admin = UserFactory()
    MembershipFactory(user=nk_admin, organization=world.ent_nk, role=Role.APPLICANT_ADMIN)
    app = start(world.applicant_admin, alliance)
    assert app.members.get().role == "lead"
    member = services.member_invite(actor=actor(world.applicant_admin), application=app, name=world.ent_nk.name,
                                    credit_code=world.ent_nk.credit_code, email="nk@example.com")
    assert member.organization == world.ent_nk
    assert applications_visible(actor(nk_admin)).filter(pk=app.pk).exists()
    assert can_view_application(actor(nk_admin), app)
    with pytest.raises(PermissionDenied):
        services.application_save_draft(actor=actor(nk_admin), application=app, base_version=app.version,
                                         data={"summary": "成员单位改的"})
    with pytest.raises(PermissionDenied):
        services.member_invite(actor=actor(nk_admin), application=app, name="x", credit_code=world.ent_nc.credit_code)
    fill(world.applicant_admin, app)
    attach(world.applicant_admin, app)
    with pytest.raises(PermissionDenied):
        services.application_submit(actor=actor(nk_admin), application=app, now=DEADLINE)
    assert not applications_visible(actor(world.other_applicant)).filter(pk=app.pk).exists()
    receipt = services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    names = {m["name"] for m in receipt.snapshot["members"]}
    assert {world.ent_zg.name, world.ent_nk.name} <= names


def test_an_unregistered_member_is_invited_and_linked_when_it_registers(world, alliance):
    from portal.creditcode import make_credit_code
    from tests.factories import OrganizationFactory

    app = start(world.applicant_admin, alliance)
    code = make_credit_code("12360700MB0000001")
    with pytest.raises(ValidationError):  # an invalid credit code is refused
        services.member_invite(actor=actor(world.applicant_admin), application=app, name="赣州研究院",
                               credit_code=code[:-1] + ("0" if code[-1] != "0" else "1"))
    member = services.member_invite(actor=actor(world.applicant_admin), application=app, name="赣州研究院",
                                    credit_code=code, email="inst@example.com")
    assert member.organization is None
    with pytest.raises(PermissionDenied):  # a single-organization program has no member units
        services.member_invite(actor=actor(world.applicant_admin), application=start(world.applicant_admin, make_call(
            world.jx, code="single")), name="x", credit_code=code)
    org = OrganizationFactory(kind="institute", region=world.zhanggong, credit_code=code, name="赣州研究院")
    assert services.member_invitations_claim(organization=org) == 1
    assert ApplicationMember.objects.get(pk=member.pk).organization == org


def test_an_evaluation_call_has_the_outline_sections_and_the_target_table(world, media):
    call = make_call(world.jx, code="jx-2031-mic-eval", kind=CallKind.EVALUATION, rubric_code="",
                     program_code="mic")
    app = start(world.applicant_admin, call)
    attach(world.applicant_admin, app)
    with pytest.raises(services.SubmissionRefused) as refused:
        services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    targets = {p.target for p in refused.value.problems}
    assert {"f-sections-1-1", "f-sections-2-5", "f-targets"} <= targets
    assert "f-sections-2-6" not in targets  # （六）其他 is optional
    sections = {f"1-{i}": f"第{i}部分" for i in range(1, 7)} | {f"2-{i}": f"下一步{i}" for i in range(1, 6)}
    profile = complete_data()["profile"]
    services.application_save_draft(actor=actor(world.applicant_admin), application=app, base_version=app.version,
                                    data={"profile": profile, "sections": sections, "targets": [
                                        {"task": "建成中试线", "completion": "已完成", "gap": "无", "note": ""}]})
    receipt = services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    assert receipt.snapshot["data"]["targets"][0]["task"] == "建成中试线"
    assert RUBRIC_EXTRA  # (imported for the other tests)
