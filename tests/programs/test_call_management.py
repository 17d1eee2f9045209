"""The provincial department manages its calls on the call page: publish a draft, close a
published call, date the event a relative deadline counts from. Others are refused, nothing changes."""

import datetime as dt

import pytest
from django.urls import reverse

from portal.models import AuditEntry
from programs.constants import CallStatus, DeadlineKind, StageLevel
from programs.models import Call
from programs.workdays import SHANGHAI
from tests.factories import CallFactory, StageFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def draft(world):
    call = CallFactory(code="jx-draft", province=world.jx, status=CallStatus.DRAFT)
    StageFactory(call=call, deadline_at=dt.datetime(2031, 4, 22, 23, 59, 59, tzinfo=SHANGHAI))
    return call


def test_the_officer_publishes_a_draft_from_the_call_page(world, draft, client_for):
    officer = client_for(world.province_officer)
    page = officer.get(reverse("call-detail", args=[draft.code]), **EN).content.decode()
    assert 'id="call-manage"' in page and reverse("call-confirm", args=[draft.code, "publish"]) in page
    confirm = officer.get(reverse("call-confirm", args=[draft.code, "publish"]), **EN).content.decode()
    assert reverse("call-publish", args=[draft.code]) in confirm  # publishing asks first
    response = officer.post(reverse("call-publish", args=[draft.code]), **EN)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == CallStatus.PUBLISHED and draft.published_at is not None
    entry = AuditEntry.objects.get(action="call.publish")
    assert entry.actor == world.province_officer and (entry.from_state, entry.to_state) == ("draft", "published")


def test_a_call_without_stages_is_not_published_and_says_why(world, client_for):
    bare = CallFactory(code="jx-bare", province=world.jx, status=CallStatus.DRAFT)
    officer = client_for(world.province_officer)
    response = officer.post(reverse("call-publish", args=[bare.code]), follow=True, **EN)
    assert "at least one stage" in response.content.decode()
    bare.refresh_from_db()
    assert bare.status == CallStatus.DRAFT and not AuditEntry.objects.exists()


@pytest.mark.parametrize("intruder", ["other_province_officer", "county_reviewer", "applicant_admin"])
def test_nobody_else_publishes_or_closes(world, draft, client_for, intruder):
    client = client_for(getattr(world, intruder))
    assert 'id="call-manage"' not in client.get(reverse("call-detail", args=["jx-draft"])).content.decode()
    assert client.post(reverse("call-publish", args=[draft.code])).status_code in (403, 404)
    published = CallFactory(code="jx-open", province=world.jx)
    assert 'id="call-manage"' not in client.get(reverse("call-detail", args=["jx-open"])).content.decode()
    assert client.post(reverse("call-close", args=[published.code]), {"comment": "x"}).status_code == 403
    assert set(Call.objects.values_list("code", "status")) == {("jx-draft", "draft"), ("jx-open", "published")}
    assert not AuditEntry.objects.exists()


def test_the_officer_closes_a_published_call_with_a_reason(world, client_for):
    call = CallFactory(code="jx-open", province=world.jx)
    client_for(world.province_officer).post(reverse("call-close", args=[call.code]), {"comment": "名额已满"})
    call.refresh_from_db()
    assert call.status == CallStatus.CLOSED
    assert AuditEntry.objects.get(action="call.close").comment == "名额已满"


def test_the_officer_dates_the_event_on_the_page(world, client_for):
    call = CallFactory(code="gz-like", province=world.jx)
    stage = StageFactory(call=call, level=StageLevel.APPLICANT, deadline_kind=DeadlineKind.RELATIVE,
                         relative_working_days=10, event_name="申报专题培训")
    officer = client_for(world.province_officer)
    url = reverse("stage-event-date", args=[call.code, stage.pk])
    assert url in officer.get(reverse("call-detail", args=[call.code])).content.decode()
    refused = officer.post(url, {"event_date": "27/09/2024"}, follow=True, **EN)
    assert "YYYY-MM-DD" in refused.content.decode()
    stage.refresh_from_db()
    assert stage.deadline_at is None
    officer.post(url, {"event_date": "2024-09-27"})
    stage.refresh_from_db()
    # 10 working days after Fri 2024-09-27 across National Day = Wed 2024-10-16
    assert stage.deadline_at == dt.datetime(2024, 10, 16, 23, 59, 59, tzinfo=SHANGHAI)
    assert client_for(world.other_province_officer).post(url, {"event_date": "2024-10-08"}).status_code == 403
    stage.refresh_from_db()
    assert stage.event_date == dt.date(2024, 9, 27)


def test_the_officer_corrects_the_texts_and_the_old_wording_stays_on_record(world, draft, client_for):
    officer = client_for(world.province_officer)
    url = reverse("call-edit", args=[draft.code])
    page = officer.get(url).content.decode()
    assert draft.title in page
    response = officer.post(url, {"title": "2031年省级企业技术中心申报（更正）", "batch": "第29批",
                                  "document_number": "赣工信〔2031〕1号", "notice_text": "", "commitment_text": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.batch, draft.document_number) == ("2031年省级企业技术中心申报（更正）", "第29批",
                                                                 "赣工信〔2031〕1号")
    entry = AuditEntry.objects.get(action="call.update")
    assert entry.data["before"]["title"].startswith("测试申报通知")
    assert set(entry.data["after"]) == {"title", "batch", "document_number"}


def test_an_empty_title_is_refused_and_nothing_changes(world, draft, client_for):
    before = draft.title
    response = client_for(world.province_officer).post(reverse("call-edit", args=[draft.code]), {"title": ""}, **EN)
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == before and not AuditEntry.objects.exists()


@pytest.mark.parametrize("intruder", ["other_province_officer", "city_head", "applicant_admin"])
def test_nobody_else_corrects_a_call(world, client_for, intruder):
    call = CallFactory(code="jx-open", province=world.jx)
    client = client_for(getattr(world, intruder))
    assert client.get(reverse("call-edit", args=[call.code])).status_code == 403
    assert client.post(reverse("call-edit", args=[call.code]), {"title": "x"}).status_code == 403
    call.refresh_from_db()
    assert call.title != "x" and not AuditEntry.objects.exists()
