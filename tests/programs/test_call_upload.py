"""The provincial department creates a call from a notice file (the format of fixtures/calls/):
loaded as a draft of its own province, audited; a wrong file says what is wrong and stores nothing."""

import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import AuditEntry
from programs.constants import CallStatus
from programs.loaders import load_program_types
from programs.models import Call
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
EXAMPLE = settings.BASE_DIR / "fixtures" / "examples" / "call-template.yaml"


@pytest.fixture(autouse=True)
def programs(db):
    load_program_types(settings.BASE_DIR / "fixtures" / "programs.yaml")


def upload(client, content: bytes, **extra):
    return client.post(reverse("call-upload"), {"file": SimpleUploadedFile("calls.yaml", content)}, follow=True,
                       **extra)


def example(**changes) -> bytes:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["calls"][0].update(changes)
    return yaml.safe_dump(data, allow_unicode=True).encode()


def test_the_example_file_becomes_a_draft_of_the_province(world, client_for):
    officer = client_for(world.province_officer)
    assert officer.get(reverse("call-example")).content == EXAMPLE.read_bytes()
    response = upload(officer, example(status="published"), **EN)  # a file cannot publish
    call = Call.objects.get(code="jx-2031-etc-example")
    assert response.redirect_chain[-1][0] == reverse("call-detail", args=[call.code])
    assert call.status == CallStatus.DRAFT and call.province == world.jx
    assert call.stages.count() == 3 and call.quotas.count() == 1 and call.conditions.count() == 2
    assert call.materials.get().max_size_mb == 50
    assert AuditEntry.objects.get(action="call.upload").actor == world.province_officer
    assert "Check each call, then publish it" in response.content.decode()
    # the draft is invisible to the public until published
    assert officer.get(reverse("call-detail", args=[call.code])).status_code == 200
    assert client_for(world.applicant_admin).get(reverse("call-detail", args=[call.code])).status_code == 404


def test_a_draft_is_replaced_by_its_file_a_published_call_is_not(world, client_for):
    officer = client_for(world.province_officer)
    upload(officer, example())
    upload(officer, example(title="2031年省级企业技术中心申报（更正稿）"))
    assert Call.objects.get(code="jx-2031-etc-example").title == "2031年省级企业技术中心申报（更正稿）"
    CallFactory(code="jx-live", province=world.jx)
    response = upload(officer, example(code="jx-live"), **EN)
    assert "already published" in response.content.decode()
    assert Call.objects.get(code="jx-live").status == CallStatus.PUBLISHED


@pytest.mark.parametrize("content,fragment", [
    (b"calls: [\n  - code: x\n", "not valid YAML (line"),
    ("标题: 无".encode("gbk"), "not UTF-8"),
    (b"title: nothing\n", "lists no call"),
    (None, "no program type"),
    (b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
])
def test_a_wrong_file_says_what_is_wrong_and_stores_nothing(world, client_for, content, fragment):
    content = example(program="no-such-program") if content is None else content
    response = upload(client_for(world.province_officer), content, **EN)
    assert fragment in response.content.decode()
    assert not Call.objects.exists() and not AuditEntry.objects.exists()


def test_another_provinces_officer_and_bureaus_are_refused(world, client_for):
    for user in (world.other_province_officer, world.county_reviewer, world.applicant_admin):
        assert client_for(user).post(reverse("call-upload"),
                                     {"file": SimpleUploadedFile("c.yaml", example())}).status_code == 403
    assert not Call.objects.exists() and not AuditEntry.objects.exists()
