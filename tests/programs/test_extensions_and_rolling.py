"""Extensions of the filing stage (for a region or one organization), seen only by those they
concern; a 随时 stage after a first batch keeps the call open."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from portal.access import actor_for
from portal.models import AuditEntry
from programs.constants import DeadlineKind, StageLevel
from programs.deadlines import filing_deadline
from programs.policy import stage_extensions_visible
from programs.selectors import call_deadlines
from submissions.policy import can_start_application
from submissions.review import services as review
from tests.factories import CallFactory, StageFactory
from tests.submissions.test_review_support import review_call

pytestmark = pytest.mark.django_db
ONE_SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def filing_close():
    return timezone.now().replace(microsecond=0) + dt.timedelta(days=2)


@pytest.fixture
def call(world, filing_close):
    call = review_call(world, code="ext-filing")
    call.stages.filter(level=StageLevel.APPLICANT).update(deadline_at=filing_close)
    return call


def test_the_province_extends_the_filing_stage_for_one_enterprise_only(world, call, filing_close, client_for,
                                                                       api_for):
    stage = call.stages.get(level=StageLevel.APPLICANT)
    new = filing_close + dt.timedelta(days=5)
    ext = review.stage_extend(actor=actor_for(world.province_officer), stage=stage, organization=world.ent_zg,
                              new_deadline=new, reason="章贡甲企业系统故障")
    entry = AuditEntry.objects.get(action="stage.extend", object_id=str(ext.pk))
    assert entry.organization == world.ent_zg and entry.comment == "章贡甲企业系统故障"

    assert filing_deadline(call=call, region=world.zhanggong, organization_id=world.ent_zg.pk).at == new
    assert filing_deadline(call=call, region=world.zhanggong, organization_id=world.ent_zg2.pk).at == filing_close
    with time_machine.travel(filing_close + ONE_SECOND, tick=False):
        assert can_start_application(actor_for(world.applicant_admin), call)
        assert not can_start_application(actor_for(world.other_applicant), call)

    # seen by the enterprise, its county, its city and the province; not by the neighbour county or
    # the other enterprise of the same county
    for user, sees in ((world.applicant_admin, True), (world.other_applicant, False),
                       (world.county_reviewer, True), (world.neighbour_reviewer, False),
                       (world.city_reviewer, True), (world.other_city_reviewer, False),
                       (world.province_officer, True), (world.other_province_officer, False)):
        assert stage_extensions_visible(actor_for(user)).filter(pk=ext.pk).exists() is sees, user.username
    body = api_for(world.neighbour_reviewer).get("/api/review/extensions/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert ext.pk not in {row["id"] for row in rows}
    page = client_for(world.province_officer).get("/review/deadlines/").content.decode()
    assert "企业申报" in page  # the filing stage can be chosen for an extension


def test_a_regions_filing_extension_is_not_seen_by_another_county(world, call, filing_close):
    stage = call.stages.get(level=StageLevel.APPLICANT)
    ext = review.stage_extend(actor=actor_for(world.province_officer), stage=stage, region=world.zhanggong,
                              new_deadline=filing_close + dt.timedelta(days=3), reason="章贡区停电")
    assert stage_extensions_visible(actor_for(world.applicant_admin)).filter(pk=ext.pk).exists()
    assert not stage_extensions_visible(actor_for(world.neighbour_reviewer)).filter(pk=ext.pk).exists()
    assert filing_deadline(call=call, region=world.nankang).at == filing_close


def test_only_the_province_extends_and_a_refusal_changes_nothing(world, call, filing_close):
    stage = call.stages.get(level=StageLevel.APPLICANT)
    for user in (world.county_reviewer, world.applicant_admin, world.other_province_officer):
        with pytest.raises(PermissionDenied):
            review.stage_extend(actor=actor_for(user), stage=stage, organization=world.ent_zg,
                                new_deadline=filing_close + dt.timedelta(days=3), reason="x")
    assert not stage.extensions.exists()
    assert not AuditEntry.objects.filter(action="stage.extend").exists()


def test_any_time_after_the_first_batch_keeps_the_call_open(world):
    first = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    call = CallFactory(code="gz-cert", province=world.jx)
    StageFactory(call=call, order=1, level=StageLevel.APPLICANT, name="第一批认定申报", deadline_at=first)
    StageFactory(call=call, order=2, level=StageLevel.APPLICANT, name="后续批次随时申请认定",
                 deadline_kind=DeadlineKind.ROLLING)
    actor = actor_for(world.applicant_admin)
    with time_machine.travel(first, tick=False):
        d = filing_deadline(call=call, region=world.zhanggong)
        assert d.at == first and d.stage.name == "第一批认定申报"
        assert call_deadlines(actor, call).is_open
    with time_machine.travel(first + ONE_SECOND, tick=False):
        d = filing_deadline(call=call, region=world.zhanggong)
        assert d.rolling and d.stage.name == "后续批次随时申请认定" and not d.passed()
        assert call_deadlines(actor, call).is_open
        assert can_start_application(actor, call)


def test_without_a_rolling_stage_the_call_closes_at_the_first_batch(world):
    first = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    call = CallFactory(code="gz-once", province=world.jx)
    StageFactory(call=call, order=1, level=StageLevel.APPLICANT, name="申报", deadline_at=first)
    StageFactory(call=call, order=2, level=StageLevel.APPLICANT, name="PDF上传", deadline_at=first + dt.timedelta(days=4))
    with time_machine.travel(first + ONE_SECOND, tick=False):
        assert filing_deadline(call=call, region=world.zhanggong).passed()
        assert not can_start_application(actor_for(world.applicant_admin), call)


def test_the_guizhou_certification_call_stays_open_after_its_first_batch(seeded):
    from portal.models import Region
    from programs.models import Call

    call = Call.objects.get(code="gz-2022-mic-certification")
    guiyang = Region.objects.get(code="520100")
    shanghai = dt.timezone(dt.timedelta(hours=8))
    with time_machine.travel(dt.datetime(2022, 6, 30, 23, 59, 59, tzinfo=shanghai), tick=False):
        first = filing_deadline(call=call, region=guiyang)
        assert first.at == dt.datetime(2022, 6, 30, 23, 59, 59, tzinfo=shanghai) and not first.rolling
    with time_machine.travel(dt.datetime(2022, 7, 1, 0, 0, 0, tzinfo=shanghai), tick=False):
        later = filing_deadline(call=call, region=guiyang)
        assert later.rolling and later.stage.name == "后续批次随时申请认定" and not later.passed()
