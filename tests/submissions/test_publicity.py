"""公示 and objections: the public page of a published result list (no login) lists the recognized
units and the public notice period (N working days set on the call); during it anyone files an
objection (name, contact, text, attachment checked like every upload); the province takes it in
hand and answers it, all audited; outside the period filing is refused and nothing is stored."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from portal.access import actor_for
from portal.models import AuditEntry, OutboxMessage
from programs.workdays import SHANGHAI
from submissions.constants import ObjectionStatus
from submissions.models import Objection
from submissions.policy import objections_visible, publicity_period
from submissions.review import services as review
from tests.submissions.test_applicant_support import pdf_bytes
from tests.submissions.test_result_embargo import at_province, decide
from tests.submissions.test_review_support import review_call

pytestmark = pytest.mark.django_db

PUBLISHED = dt.datetime(2026, 12, 14, 10, 0, tzinfo=SHANGHAI)  # a Monday
END = dt.datetime(2026, 12, 18, 23, 59, 59, tzinfo=SHANGHAI)  # its 5th working day, end of day
ONE_SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def published(world):
    call = review_call(world, code="gs-2026")
    decide(world, at_province(world, world.ent_zg, call), "approve")
    decide(world, at_province(world, world.ent_zg2, call), "not_approve")
    with time_machine.travel(PUBLISHED, tick=False):
        publication = review.results_publish(actor=actor_for(world.province_officer), call=call, note="现予公示",
                                             publicity_working_days=5)
    return call, publication


def objection_post(client, call, **extra):
    data = {"name": "张三", "contact": "13800000000", "text": "章贡甲企业研发投入数据不实。", **extra}
    return client.post(f"/public/results/{call.code}/", data)


def test_an_anonymous_visitor_reads_the_list_and_files_an_objection_the_province_answers(world, published, client,
                                                                                          client_for):
    call, publication = published
    for user, address in ((world.province_officer, "jx-officer@example.com"),
                          (world.other_province_officer, "gs-officer@example.com")):
        user.email = address
        user.save(update_fields=["email"])
    assert publicity_period(publication)[1] == END
    with time_machine.travel(PUBLISHED + dt.timedelta(days=2), tick=False):
        page = client.get(f"/public/results/{call.code}/").content.decode()
        assert "章贡甲企业" in page and "章贡乙企业" not in page  # the recognized units only
        assert "2026-12-18 23:59:59" in page and 'id="objection-form"' in page
        evidence = SimpleUploadedFile("证明.pdf", pdf_bytes(), content_type="application/pdf")
        response = objection_post(client, call, file=evidence)
        assert response.status_code == 302
    objection = Objection.objects.get()
    assert (objection.name, objection.status, objection.original_name) == ("张三", ObjectionStatus.RECEIVED, "证明.pdf")
    assert objection.file.read().startswith(b"%PDF-")
    filed = AuditEntry.objects.get(action="objection.file")
    assert filed.actor is None and filed.province == world.jx
    told = set(OutboxMessage.objects.filter(audit_entry=filed).values_list("recipient", flat=True))
    assert told == {"jx-officer@example.com"}  # the province of the call, not another one

    officer = client_for(world.province_officer)
    desk = officer.get("/review/objections/").content.decode()
    assert "章贡甲企业研发投入数据不实" in desk and "13800000000" in desk
    assert officer.get(f"/review/objections/{objection.pk}/file/").status_code == 200
    assert officer.post(f"/review/objections/{objection.pk}/take/").status_code == 302
    assert officer.post(f"/review/objections/{objection.pk}/answer/",
                        {"answer": "经核查，数据属实，维持原结果。"}).status_code == 302
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.ANSWERED and objection.handled_by == world.province_officer
    assert objection.answer == "经核查，数据属实，维持原结果。"
    actions = list(AuditEntry.objects.filter(object_type="submissions.objection").order_by("id")
                   .values_list("action", "from_state", "to_state"))
    assert actions == [("objection.file", "", "received"), ("objection.take", "received", "handling"),
                       ("objection.answer", "handling", "answered")]


def test_outside_the_public_notice_period_filing_is_refused_and_nothing_is_stored(world, published, client):
    call, _publication = published
    with time_machine.travel(END, tick=False):
        assert objection_post(client, call).status_code == 302  # at the last second: accepted
    with time_machine.travel(END + ONE_SECOND, tick=False):
        page = client.get(f"/public/results/{call.code}/").content.decode()
        assert 'id="objection-form"' not in page and 'id="objections-closed"' in page
        response = objection_post(client, call, text="逾期异议")
        assert response.status_code == 200
        assert "2026-12-18 23:59:59" in response.content.decode()
    assert list(Objection.objects.values_list("text", flat=True)) == ["章贡甲企业研发投入数据不实。"]
    with time_machine.travel(PUBLISHED - dt.timedelta(days=1), tick=False):  # before the list was published
        objection_post(client, call, text="提前异议")
    assert Objection.objects.count() == 1


def test_a_program_renamed_pdf_is_refused_and_what_was_typed_is_kept(world, published, client):
    call, _publication = published
    with time_machine.travel(PUBLISHED + ONE_SECOND, tick=False):
        fake = SimpleUploadedFile("证明.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
        response = objection_post(client, call, file=fake, text="请核查")
    assert response.status_code == 200
    text = response.content.decode()
    assert "请核查" in text and 'class="error"' in text
    assert not Objection.objects.exists()


def test_only_the_calls_province_sees_and_answers_objections(world, published, client, client_for):
    call, _publication = published
    with time_machine.travel(PUBLISHED + ONE_SECOND, tick=False):
        objection_post(client, call)
    objection = Objection.objects.get()
    for user in (world.county_reviewer, world.city_reviewer, world.applicant_admin):
        assert client_for(user).get("/review/objections/").status_code == 403
        assert not objections_visible(actor_for(user)).exists()
    foreign = client_for(world.other_province_officer)
    assert "章贡甲企业研发投入数据不实" not in foreign.get("/review/objections/").content.decode()
    assert foreign.post(f"/review/objections/{objection.pk}/answer/", {"answer": "x"}).status_code == 404
    assert foreign.get(f"/review/objections/{objection.pk}/file/").status_code == 404
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.RECEIVED and not objection.answer
    assert not AuditEntry.objects.filter(action="objection.answer").exists()
    assert Client().get("/review/objections/").status_code == 302  # anonymous: to the login page


def test_the_call_page_and_my_applications_link_to_the_public_list(world, published, client, client_for):
    call, _publication = published
    link = f'href="/public/results/{call.code}/"'
    assert link in Client().get(f"/calls/{call.code}/").content.decode()
    assert link in client_for(world.applicant_admin).get("/my/applications/").content.decode()
    unpublished = review_call(world, code="not-yet")
    assert client.get(f"/public/results/{unpublished.code}/").status_code == 404
    assert f'href="/public/results/{unpublished.code}/"' not in client.get(f"/calls/{unpublished.code}/").content.decode()
