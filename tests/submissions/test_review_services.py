"""Review services: corrections that recompute the score, level items, site verification,
opinions, return / reject / recommend, the head's sign-off, the province's decision and result
list, conflicts of interest, the audit trail and the e-mails."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.access import actor_for
from portal.constants import Role
from portal.models import AuditEntry
from scoring.constants import ScorerKind
from scoring.models import Assessment
from submissions.constants import Level, Status
from submissions.models import ConflictDeclaration, InputCorrection, Recommendation, ResultPublication, Review
from submissions.review import services as review
from tests.factories import MembershipFactory, fire_as
from tests.submissions.test_review_support import PNG_1PX, at_city, review_call, submitted  # noqa: F401

pytestmark = pytest.mark.django_db

ITC = "gansu-2022-itc"
INPUTS = {"org_structure": "fairly_complete", "management_rules": "very_complete", "equipment_value": "500",
          "fulltime_rd_staff": "20", "ip_invention": "3"}


@pytest.fixture
def itc_rubric(db):
    from scoring.services import rubric_fixture_load

    version, _created = rubric_fixture_load(path=settings.BASE_DIR / "fixtures" / "rubrics" / f"{ITC}.yaml")
    return version


@pytest.fixture
def scored_app(world, itc_rubric):
    call = review_call(world, code="svc-itc", rubric_code=ITC)
    return submitted(world.ent_zg, call, score_inputs=INPUTS, self_score=Decimal("50"))


def reviewer(world):
    return actor_for(world.county_reviewer)


def tomorrow():
    return timezone.now() + dt.timedelta(days=1)


# --- corrections and scores ----------------------------------------------------------------------------


def test_a_correction_recomputes_the_score_and_keeps_both_values(world, scored_app):
    app = scored_app
    correction = review.input_correct(actor=reviewer(world), application=app, input_key="ip_invention",
                                      new_value="1", reason="证书只有1件有效")
    app.refresh_from_db()
    assert app.status == Status.UNDER_REVIEW  # the first review act starts the review
    assert (correction.old_value, correction.new_value, correction.level) == ("3", "1", Level.COUNTY)
    assert app.score_inputs["ip_invention"] == "3"  # the declared figure is never overwritten
    first = Review.objects.get(application=app, level=Level.COUNTY)
    assert first.assessment.scorer_kind == ScorerKind.COUNTY
    assert first.assessment.inputs["ip_invention"] == "1"
    review.input_correct(actor=reviewer(world), application=app, input_key="equipment_value", new_value="5000",
                         reason="设备清单核实为5000万元")
    second = Review.objects.get(application=app, level=Level.COUNTY)
    assert second.assessment_id != first.assessment_id  # a new assessment; the earlier one stays
    assert Assessment.objects.filter(organization=world.ent_zg, scorer_kind=ScorerKind.COUNTY).count() == 2
    assert second.score > first.score
    assert second.score == Decimal(second.assessment.total).quantize(Decimal("0.01"))
    entry = AuditEntry.objects.filter(action="review.correct_input").latest("id")
    assert entry.data["old"] == "500" and entry.data["new"] == "5000" and entry.organization is None


@pytest.mark.parametrize("key,value,reason", [
    ("ip_invention", "1", ""),            # no reason
    ("no_such_figure", "1", "x"),         # not a figure of the rubric
    ("ip_invention", "-1", "x"),          # not a valid value
    ("ip_invention", "3", "x"),           # unchanged
])
def test_bad_corrections_are_refused_and_change_nothing(world, scored_app, key, value, reason):
    with pytest.raises(ValidationError):
        review.input_correct(actor=reviewer(world), application=scored_app, input_key=key, new_value=value,
                             reason=reason)
    assert not InputCorrection.objects.exists()
    scored_app.refresh_from_db()
    assert scored_app.status == Status.SUBMITTED


def test_level_items_are_scored_by_the_reviewer(world, scored_app):
    rv = review.level_items_score(actor=reviewer(world), application=scored_app,
                                  levels={"org_structure": "很完善", "development_plan": "good"}, note="现场看过制度文件")
    picks = {c.input_key: (c.old_value, c.new_value) for c in InputCorrection.objects.filter(application=scored_app)}
    assert picks == {"org_structure": ("fairly_complete", "very_complete"), "development_plan": ("", "good")}
    assert rv.assessment.inputs["org_structure"] == "very_complete"
    with pytest.raises(ValidationError):
        review.level_items_score(actor=reviewer(world), application=scored_app, levels={"equipment_value": "1"})
    with pytest.raises(ValidationError):
        review.level_items_score(actor=reviewer(world), application=scored_app, levels={"org_structure": "perfect"})


def test_site_verification_with_photos(world, scored_app):
    photo = SimpleUploadedFile("现场.png", PNG_1PX, content_type="image/png")
    visit = review.site_visit_record(actor=reviewer(world), application=scored_app, visit_date=timezone.localdate(),
                                     people="张三、李四", findings="研发场地与申报一致", photos=[photo])
    assert visit.photos.count() == 1
    stored = visit.photos.get()
    assert stored.content_type == "image/png" and len(stored.sha256) == 64 and stored.original_name == "现场.png"
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
    with pytest.raises(ValidationError):
        review.site_visit_record(actor=reviewer(world), application=scored_app, visit_date=timezone.localdate(),
                                 people="张三", findings="…", photos=[fake])
    with pytest.raises(ValidationError):
        review.site_visit_record(actor=reviewer(world), application=scored_app,
                                 visit_date=timezone.localdate() + dt.timedelta(days=2), people="张三", findings="…")
    assert scored_app.site_visits.count() == 1


# --- transitions ---------------------------------------------------------------------------------------------


def test_return_with_reasons_and_a_deadline_then_resubmission(world, django_capture_on_commit_callbacks,
                                                               eager_tasks):
    call = review_call(world, code="svc-return")
    world.ent_zg.contact_email = "ent@example.com"
    world.ent_zg.save()
    app = submitted(world.ent_zg, call)
    deadline = timezone.localdate() + dt.timedelta(days=7)
    reasons = [{"target": "field:summary", "label": "申报平台概况", "text": "缺少盖章页"},
               {"target": "input:rd_expenditure", "label": "研发经费", "text": "与审计报告不符"},
               {"target": "general", "text": "  "}]  # blank reasons are dropped
    with django_capture_on_commit_callbacks(execute=True):
        review.application_return(actor=reviewer(world), application=app, reasons=reasons, revision_deadline=deadline)
    app.refresh_from_db()
    assert (app.status, app.level) == (Status.RETURNED, Level.COUNTY)
    assert [r["text"] for r in app.return_reasons] == ["缺少盖章页", "与审计报告不符"]
    assert timezone.localtime(app.revision_deadline).date() == deadline
    entry = AuditEntry.objects.get(action="application.return")
    assert "缺少盖章页" in entry.comment and entry.data["revision_deadline"]
    assert any("ent@example.com" in m.to for m in mail.outbox)  # the applicant is told
    fire_as(world.applicant_admin, app, "resubmit")
    app.refresh_from_db()
    assert (app.status, app.level) == (Status.SUBMITTED, Level.COUNTY)


@pytest.mark.parametrize("reasons,deadline", [
    ([], "tomorrow"),
    ([{"text": "缺材料"}], None),
    ([{"text": "缺材料"}], "yesterday"),
])
def test_a_return_needs_reasons_and_a_future_deadline(world, reasons, deadline):
    app = submitted(world.ent_zg, review_call(world, code="svc-return-bad"))
    when = {"tomorrow": tomorrow(), "yesterday": timezone.now() - dt.timedelta(days=1), None: None}[deadline]
    with pytest.raises(ValidationError):
        review.application_return(actor=reviewer(world), application=app, reasons=reasons, revision_deadline=when)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_reject_needs_a_reason(world):
    app = submitted(world.ent_zg, review_call(world, code="svc-reject"))
    with pytest.raises(ValidationError):
        review.application_reject(actor=reviewer(world), application=app, reason=" ")
    review.application_reject(actor=reviewer(world), application=app, reason="不符合申报条件")
    app.refresh_from_db()
    assert app.status == Status.REJECTED
    assert AuditEntry.objects.get(action="application.reject").comment == "不符合申报条件"


def test_recommend_with_score_and_opinion_is_audited(world):
    app = submitted(world.ent_zg, review_call(world, code="svc-rec"))
    with pytest.raises(ValidationError):  # an opinion is required
        review.application_recommend(actor=reviewer(world), application=app, score="72.5")
    review.application_recommend(actor=reviewer(world), application=app, score="72.5", opinion="同意推荐")
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED
    rv = Review.objects.get(application=app, level=Level.COUNTY)
    assert (rv.score, rv.opinion, rv.reviewer) == (Decimal("72.50"), "同意推荐", world.county_reviewer)
    entry = AuditEntry.objects.get(action="application.recommend")
    assert (entry.from_state, entry.to_state) == ("submitted@county", "recommended@county")
    assert entry.data["score"] == "72.50" and entry.comment == "同意推荐" and entry.actor == world.county_reviewer
    assert Recommendation.objects.get(application=app).quota_region == world.zhanggong


def test_with_a_rubric_the_recommended_score_is_the_computed_one(world, scored_app):
    with pytest.raises(ValidationError):  # no hand-made score when the rubric computes it
        review.application_recommend(actor=reviewer(world), application=scored_app, score="99", opinion="同意")
    review.application_recommend(actor=reviewer(world), application=scored_app, opinion="同意")
    rv = Review.objects.get(application=scored_app, level=Level.COUNTY)
    assert rv.assessment is not None and rv.score == Decimal(rv.assessment.total).quantize(Decimal("0.01"))


def test_the_head_signs_off_the_batch_and_it_moves_to_the_city(world, django_capture_on_commit_callbacks,
                                                              eager_tasks):
    call = review_call(world, code="svc-sign")
    world.city_reviewer.email = "city@example.com"
    world.city_reviewer.save()
    apps = [submitted(org, call) for org in (world.ent_zg, world.ent_zg2)]
    for app in apps:
        review.application_recommend(actor=reviewer(world), application=app, opinion="同意")
    with pytest.raises(PermissionDenied):
        review.sign_off_batch(actor=reviewer(world), call=call)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = review.sign_off_batch(actor=actor_for(world.county_head), call=call)
    assert len(outcome.done) == 2
    for app in apps:
        app.refresh_from_db()
        assert (app.status, app.level) == (Status.SUBMITTED, Level.CITY)
        rec = Recommendation.objects.get(application=app, level=Level.COUNTY)
        assert rec.signed_off_by == world.county_head and rec.signed_off_at is not None
    assert any("city@example.com" in m.to for m in mail.outbox)  # work arrived at the city
    with pytest.raises(ValidationError):  # nothing left to sign off
        review.sign_off_batch(actor=actor_for(world.county_head), call=call)


def test_the_province_decides_pilot_then_recognition_and_publishes(world):
    call = review_call(world, code="svc-decide")
    a = at_city(world, world.ent_zg, call)
    b = at_city(world, world.ent_zg2, call)
    for app in (a, b):
        review.application_recommend(actor=actor_for(world.city_reviewer), application=app, opinion="市级推荐")
    review.sign_off_batch(actor=actor_for(world.city_head), call=call)
    a.refresh_from_db()
    assert (a.status, a.level) == (Status.SUBMITTED, Level.PROVINCE)
    with pytest.raises(PermissionDenied):
        review.application_decide(actor=actor_for(world.other_province_officer), application=a, decision="approve")
    with pytest.raises(PermissionDenied):
        review.application_decide(actor=actor_for(world.city_head), application=a, decision="approve")
    with pytest.raises(PermissionDenied):
        review.results_publish(actor=actor_for(world.county_head), call=call)
    with pytest.raises(ValidationError):  # nothing decided yet
        review.results_publish(actor=actor_for(world.province_officer), call=call)
    review.application_decide(actor=actor_for(world.province_officer), application=a, decision="pilot")
    a.refresh_from_db()
    assert a.status == Status.PILOT
    review.application_decide(actor=actor_for(world.province_head), application=a, decision="approve",
                              comment="试点期满认定")
    review.application_decide(actor=actor_for(world.province_officer), application=b, decision="not_approve")
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (Status.APPROVED, Status.NOT_APPROVED)
    publication = review.results_publish(actor=actor_for(world.province_officer), call=call, note="公示5个工作日")
    assert ResultPublication.objects.get() == publication
    entry = AuditEntry.objects.get(action="results.publish")
    assert entry.data["approved"] == 1 and entry.data["not_approved"] == 1


def test_every_transition_leaves_who_when_from_to_comment_and_score(world):
    call = review_call(world, code="svc-audit")
    app = at_city(world, world.ent_zg, call)
    entries = list(AuditEntry.objects.filter(object_type="submissions.application", object_id=str(app.pk),
                                             action__startswith="application.").order_by("id"))
    assert [e.action for e in entries] == ["application.submit", "application.recommend", "application.sign_off"]
    assert [(e.from_state, e.to_state) for e in entries] == [
        ("draft", "submitted@county"), ("submitted@county", "recommended@county"),
        ("recommended@county", "submitted@city")]
    assert all(e.actor_id and e.at for e in entries)
    assert entries[1].comment == "县级推荐" and "score" in entries[1].data


# --- conflicts of interest ---------------------------------------------------------------------------------------


def test_a_declared_relation_bars_the_reviewer(world):
    app = submitted(world.ent_zg, review_call(world, code="svc-coi"))
    declaration = review.conflict_declare(actor=reviewer(world), organization=world.ent_zg, relation="配偶任该企业财务")
    assert ConflictDeclaration.objects.get() == declaration
    with pytest.raises(PermissionDenied):
        review.input_correct(actor=reviewer(world), application=app, input_key="x", new_value="1", reason="x")
    with pytest.raises(PermissionDenied):
        review.application_recommend(actor=reviewer(world), application=app, opinion="同意")
    entry = AuditEntry.objects.get(action="conflict.declare")
    assert entry.organization is None  # the applicant does not read who declared a relation with it
    review.application_recommend(actor=actor_for(world.county_head), application=app, opinion="同意")  # a colleague


def test_a_reviewer_who_belongs_to_the_applicant_is_barred(world):
    app = submitted(world.ent_zg2, review_call(world, code="svc-member"))
    MembershipFactory(user=world.county_reviewer, organization=world.ent_zg2, role=Role.APPLICANT_FILER)
    with pytest.raises(PermissionDenied):
        review.application_recommend(actor=reviewer(world), application=app, opinion="同意")
    with pytest.raises(PermissionDenied):  # nor its head, if the head belongs to it
        MembershipFactory(user=world.county_head, organization=world.ent_zg2, role=Role.APPLICANT_FILER)
        review.application_reject(actor=actor_for(world.county_head), application=app, reason="x")


def test_only_reviewers_declare_and_only_within_their_region(world):
    with pytest.raises(PermissionDenied):
        review.conflict_declare(actor=actor_for(world.applicant_admin), organization=world.ent_zg2, relation="x")
    with pytest.raises(PermissionDenied):
        review.conflict_declare(actor=reviewer(world), organization=world.ent_nk, relation="x")
    with pytest.raises(ValidationError):
        review.conflict_declare(actor=reviewer(world), organization=world.ent_zg, relation=" ")


# --- reminders ---------------------------------------------------------------------------------------------------


def test_reminders_three_days_and_one_day_before_a_stage_deadline(world):
    from submissions.review.tasks import send_stage_deadline_reminders
    from tests.factories import application_for

    now = timezone.now()
    call = review_call(world, code="svc-remind", county_deadline=now + dt.timedelta(days=2, hours=20))
    applicant_stage = call.stages.get(level="applicant")
    applicant_stage.deadline_at = now + dt.timedelta(days=2, hours=12)
    applicant_stage.save()
    world.applicant_admin.email = "admin@zg.example"
    world.applicant_admin.save()
    world.county_reviewer.email = "reviewer@zg.example"
    world.county_reviewer.save()
    world.neighbour_reviewer.email = "reviewer@nk.example"
    world.neighbour_reviewer.save()
    application_for(world.ent_zg, call)  # an unsubmitted draft
    submitted(world.ent_zg2, call)  # pending work at the 章贡 county bureau
    sent = send_stage_deadline_reminders(now.isoformat())
    assert sent == 2
    recipients = {addr for m in mail.outbox for addr in m.to}
    assert recipients == {"admin@zg.example", "reviewer@zg.example"}  # not the neighbour: nothing pending there
    assert send_stage_deadline_reminders(now.isoformat()) == 0  # idempotent
    assert send_stage_deadline_reminders((now + dt.timedelta(days=1)).isoformat()) == 0  # 1 d 20 h left: no window
    assert send_stage_deadline_reminders((now + dt.timedelta(days=2)).isoformat()) == 2  # the 1-day reminders
