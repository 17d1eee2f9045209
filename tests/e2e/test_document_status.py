"""In headless Chromium: a packet or a summary table waiting for the worker shows its status, and its
panel (htmx, asking for itself while the document is built) turns ready, with the download link, or
failed, with the reason, without the user reloading; then it stops asking."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from submissions.constants import DocumentKind, DocumentStatus
from submissions.filing import services
from submissions.models import DocumentJob
from tests.e2e.conftest import login, mark_page, page_was_reloaded
from tests.factories import PASSWORD
from tests.submissions.test_applicant_support import actor, attach, complete_data, fill, make_call, start
from tests.submissions.test_review_support import review_call, submitted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


@pytest.fixture
def waiting_packet(world, media):
    year = timezone.localdate().year
    call = make_call(world.jx, code=f"jx-{year}-doc", year=year, deadline=timezone.now() + dt.timedelta(days=30))
    app = start(world.applicant_admin, call)
    fill(world.applicant_admin, app, data=complete_data(call_year=year))
    attach(world.applicant_admin, app)
    app.refresh_from_db()
    receipt = services.application_submit(actor=actor(world.applicant_admin), application=app)
    return DocumentJob.objects.create(kind=DocumentKind.PACKET, application=app, receipt=receipt, call=call,
                                      region=app.region, province=app.province, input_hash="e2e",
                                      requested_by=world.applicant_admin)


def _panel_requests(page, path):
    seen = []
    page.on("request", lambda request: seen.append(request) if path in request.url else None)
    return seen


def test_the_packet_panel_turns_ready_without_a_reload(world, waiting_packet, laptop, live_server, artifacts_dir):
    job = waiting_packet
    page = laptop()
    login(page, live_server, "applicant_admin", PASSWORD)
    page.goto(f"{live_server.url}/my/applications/{job.application_id}/")
    panel = page.locator("#packet-panel")
    assert panel.get_attribute("data-status") == DocumentStatus.PENDING
    assert panel.get_attribute("hx-trigger") == "load delay:2s"
    mark_page(page)
    asked = _panel_requests(page, reverse("packet-panel", args=[job.application_id]))
    page.wait_for_timeout(2500)  # the panel has asked at least once: still pending
    assert asked and panel.get_attribute("data-status") == DocumentStatus.PENDING
    # the worker finishes: the panel shows the download link by itself
    job.file.save("packet.pdf", ContentFile(b"%PDF-1.7\n% e2e packet\n"), save=False)
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentStatus.DONE, file=job.file.name, pages=3, size=22,
                                                 sha256="a" * 64, finished_at=timezone.now())
    page.wait_for_selector("#packet-panel[data-status=done]")
    link = page.locator("#packet-panel a.button.primary")
    assert link.get_attribute("href") == reverse("document-download", args=[job.pk])
    assert not page_was_reloaded(page)
    assert asked and all(r.headers.get("hx-request") == "true" for r in asked)
    panel.scroll_into_view_if_needed()
    page.screenshot(path=f"{artifacts_dir}/htmx-01-packet-ready-1366x768.png")
    # it stops asking once ready
    count = len(asked)
    page.wait_for_timeout(4500)
    assert len(asked) == count and panel.get_attribute("hx-trigger") is None
    # and the link downloads the file (after the access check)
    download = page.request.get(live_server.url + link.get_attribute("href"))
    assert download.status == 200 and download.body().startswith(b"%PDF-1.7")


def test_the_packet_panel_shows_the_failure_and_its_reason(world, waiting_packet, laptop, live_server, artifacts_dir):
    job = waiting_packet
    page = laptop()
    login(page, live_server, "applicant_admin", PASSWORD)
    page.goto(f"{live_server.url}/my/applications/{job.application_id}/")
    mark_page(page)
    # the worker fails: the reason must reach the user without a manual reload
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentStatus.FAILED, error="材料文件缺失（测试）")
    page.wait_for_selector("#packet-panel[data-status=failed]")
    assert "材料文件缺失（测试）" in page.inner_text("#packet-panel")
    assert not page_was_reloaded(page)
    page.locator("#packet-panel").scroll_into_view_if_needed()
    page.screenshot(path=f"{artifacts_dir}/htmx-02-packet-failed-1366x768.png")


def test_the_summary_table_turns_ready_without_a_reload(world, media, laptop, live_server, artifacts_dir):
    call = review_call(world, code="e2e-summary")
    submitted(world.ent_zg, call)
    job = DocumentJob.objects.create(kind=DocumentKind.COUNTY_SUMMARY, fmt="xlsx", call=call, region=world.zhanggong,
                                     province=world.jx, input_hash="e2e-s", requested_by=world.county_reviewer)
    page = laptop()
    login(page, live_server, "county_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/review/?call={call.pk}")
    row = page.locator(f"#summary-jobs tr[data-job='{job.pk}']")
    assert row.get_attribute("data-status") == DocumentStatus.PENDING
    page.select_option("#s-call", str(call.pk))  # what the user chose in the panel's form is not swapped away
    mark_page(page)
    job.file.save("summary.xlsx", ContentFile(b"PK\x03\x04 e2e"), save=False)
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentStatus.DONE, file=job.file.name, size=8,
                                                 sha256="b" * 64, finished_at=timezone.now())
    page.wait_for_selector(f"#summary-jobs tr[data-job='{job.pk}'][data-status=done] a")
    assert not page_was_reloaded(page)
    assert page.locator("#summary-jobs").get_attribute("hx-get") is None  # stopped asking
    page.locator("#summary-panel").scroll_into_view_if_needed()
    page.screenshot(path=f"{artifacts_dir}/htmx-03-summary-ready-1366x768.png")
