"""Stage deadlines: a bureau acting one second after its stage deadline is refused; after the
province extends it (reason and who recorded, users notified) it succeeds."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal.access import actor_for
from portal.models import AuditEntry
from programs.constants import StageLevel
from programs.models import StageExtension
from submissions.constants import Status
from submissions.deadlines import bureau_deadline, check_bureau_deadline
from submissions.review import services as review
from tests.factories import StageFactory
from tests.submissions.test_review_support import at_city, review_call, submitted  # noqa: F401

pytestmark = pytest.mark.django_db

ONE_SECOND = dt.timedelta(seconds=1)


def clock(at):
    """The clock stands still at `at` (deadlines read the time through django.utils.timezone.now)."""
    return time_machine.travel(at, tick=False)


@pytest.fixture
def deadline():
    # a deadline as the notices write them: the end of a day, Asia/Shanghai
    return timezone.now().replace(microsecond=0) + dt.timedelta(days=3)


@pytest.fixture
def late_app(world, deadline):
    call = review_call(world, code="dl", county_deadline=deadline)
    return submitted(world.ent_zg, call)


def test_at_the_deadline_the_bureau_may_act_one_second_later_it_may_not(world, late_app, deadline):
    with clock(deadline):
        assert check_bureau_deadline(application=late_app)
    with clock(deadline + ONE_SECOND):
        decision = check_bureau_deadline(application=late_app)
        assert not decision and "县级审核推荐" in decision.reason
        for act in (
            lambda: review.application_recommend(actor=actor_for(world.county_reviewer), application=late_app,
                                                 opinion="同意"),
            lambda: review.application_reject(actor=actor_for(world.county_reviewer), application=late_app,
                                              reason="x"),
            lambda: review.application_return(actor=actor_for(world.county_reviewer), application=late_app,
                                              reasons=["补材料"], revision_deadline=deadline + dt.timedelta(days=9)),
            lambda: review.review_opinion_save(actor=actor_for(world.county_reviewer), application=late_app,
                                               opinion="x"),
        ):
            with pytest.raises(ValidationError) as refused:
                act()
            assert refused.value.code == "deadline_passed"
    late_app.refresh_from_db()
    assert late_app.status == Status.SUBMITTED
    assert not AuditEntry.objects.filter(action__in=["application.recommend", "review.opinion"]).exists()


def test_after_an_extension_the_bureau_succeeds(world, late_app, deadline, django_capture_on_commit_callbacks,
                                                 eager_tasks):
    world.county_reviewer.email = "zg@example.com"
    world.county_reviewer.save()
    world.neighbour_reviewer.email = "nk@example.com"
    world.neighbour_reviewer.save()
    stage = late_app.call.stages.get(level=StageLevel.COUNTY)
    new = deadline + dt.timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        ext = review.stage_extend(actor=actor_for(world.province_officer), stage=stage, new_deadline=new,
                                  reason="系统故障顺延", region=world.zhanggong)
    assert (ext.granted_by, ext.reason, ext.region) == (world.province_officer, "系统故障顺延", world.zhanggong)
    entry = AuditEntry.objects.get(action="stage.extend")
    assert entry.actor == world.province_officer and entry.comment == "系统故障顺延"
    notified = {addr for m in mail.outbox for addr in m.to}
    assert "zg@example.com" in notified and "nk@example.com" not in notified  # only the region concerned
    with clock(deadline + ONE_SECOND):
        assert bureau_deadline(application=late_app).at == new
        review.application_recommend(actor=actor_for(world.county_reviewer), application=late_app, opinion="同意")
    late_app.refresh_from_db()
    assert late_app.status == Status.RECOMMENDED


def test_an_extension_for_one_region_does_not_reopen_another(world, deadline):
    call = review_call(world, code="dl-other", county_deadline=deadline)
    mine, theirs = submitted(world.ent_zg, call), submitted(world.ent_nk, call)
    StageExtension.objects.create(stage=call.stages.get(level="county"), region=world.zhanggong,
                                  new_deadline=deadline + dt.timedelta(days=2), reason="x")
    with clock(deadline + ONE_SECOND):
        assert check_bureau_deadline(application=mine)
        assert not check_bureau_deadline(application=theirs)


def test_a_citys_extension_covers_its_counties_at_the_city_stage(world, deadline):
    call = review_call(world, code="dl-city", city_deadline=deadline)
    app = at_city(world, world.ent_zg, call)
    with clock(deadline + ONE_SECOND):
        with pytest.raises(ValidationError):
            review.application_recommend(actor=actor_for(world.city_reviewer), application=app, opinion="同意")
    review.stage_extend(actor=actor_for(world.province_head), stage=call.stages.get(level="city"),
                        new_deadline=deadline + dt.timedelta(days=1), reason="市级汇总延期", region=world.ganzhou)
    with clock(deadline + ONE_SECOND):
        review.application_recommend(actor=actor_for(world.city_reviewer), application=app, opinion="同意")


def test_a_stage_limited_to_the_region_wins_over_the_general_one(world, deadline):
    call = review_call(world, code="dl-specific", county_deadline=deadline)
    StageFactory(call=call, order=5, level=StageLevel.COUNTY, region=world.ganzhou,
                 deadline_at=deadline + dt.timedelta(days=10), name="赣州县级推荐")
    app = submitted(world.ent_zg, call)
    assert bureau_deadline(application=app).stage.name == "赣州县级推荐"
    other = submitted(world.ent_nc, call)
    assert bureau_deadline(application=other).stage.name == "县级审核推荐"


def test_the_province_decides_without_a_stage_deadline(world, deadline):
    call = review_call(world, code="dl-prov", county_deadline=deadline)
    StageFactory(call=call, order=9, level=StageLevel.PROVINCE, deadline_at=deadline, name="省级")
    app = submitted(world.ent_zg, call)
    app.level = "province"  # test set-up: as if it had reached the province
    app.save(update_fields=["level"])
    with clock(deadline + ONE_SECOND):
        assert check_bureau_deadline(application=app)


@pytest.mark.parametrize("user", ["county_reviewer", "county_head", "city_head", "other_province_officer",
                                  "applicant_admin", "operator"])
def test_only_the_calls_province_extends(world, late_app, deadline, user):
    stage = late_app.call.stages.get(level="county")
    with pytest.raises(PermissionDenied):
        review.stage_extend(actor=actor_for(getattr(world, user)), stage=stage,
                            new_deadline=deadline + dt.timedelta(days=1), reason="x")
    assert not StageExtension.objects.exists()


@pytest.mark.parametrize("delta,reason", [(dt.timedelta(days=1), ""), (-dt.timedelta(hours=1), "x"),
                                          (None, "x")])
def test_an_extension_needs_a_reason_and_a_later_deadline(world, late_app, deadline, delta, reason):
    stage = late_app.call.stages.get(level="county")
    with pytest.raises(ValidationError):
        review.stage_extend(actor=actor_for(world.province_officer), stage=stage, reason=reason,
                            new_deadline=None if delta is None else deadline + delta)
    assert not StageExtension.objects.exists()


def test_a_revision_deadline_after_the_stage_deadline_is_refused(world, late_app, deadline):
    """Otherwise the bureau could not act on the resubmission."""
    with pytest.raises(ValidationError) as refused:
        review.application_return(actor=actor_for(world.county_reviewer), application=late_app, reasons=["补材料"],
                                  revision_deadline=deadline + dt.timedelta(days=1))
    assert "revision_deadline" in refused.value.message_dict
    review.application_return(actor=actor_for(world.county_reviewer), application=late_app, reasons=["补材料"],
                              revision_deadline=deadline - dt.timedelta(hours=1))
    late_app.refresh_from_db()
    assert late_app.status == Status.RETURNED


def test_a_countys_extension_and_its_reason_are_not_shown_to_another_county(world, deadline, client_for, api_for):
    """南康区 does not read 章贡区's extension (nor its reason); 章贡区, the city and the province do."""
    call = review_call(world, code="dl-seen", county_deadline=deadline)
    stage = call.stages.get(level="county")
    ext = StageExtension.objects.create(stage=stage, region=world.zhanggong, granted_by=world.province_officer,
                                        new_deadline=deadline + dt.timedelta(days=2), reason="章贡区系统故障")
    general = StageExtension.objects.create(stage=stage, region=None, granted_by=world.province_officer,
                                            new_deadline=deadline + dt.timedelta(days=1), reason="全省顺延")
    # (the deadlines page lists the stages of the bureau's own level: the city's page has no county stage)
    for user, sees, on_page in ((world.neighbour_reviewer, False, True), (world.county_reviewer, True, True),
                                (world.city_reviewer, True, False), (world.province_officer, True, True)):
        body = api_for(user).get("/api/review/extensions/").json()
        listed = {row["id"] for row in (body["results"] if isinstance(body, dict) else body)}
        assert (ext.pk in listed) is sees, user.username
        assert general.pk in listed, user.username
        if on_page:
            page = client_for(user).get("/review/deadlines/").content.decode()
            assert ("章贡区系统故障" in page) is sees, user.username
            assert "全省顺延" in page, user.username
