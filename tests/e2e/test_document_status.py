"""In headless Chromium: a packet waiting for the worker shows its status, and the page updates
itself when the worker has finished (here: failed, with its reason) without the user reloading."""

import datetime as dt

import pytest
from django.utils import timezone

from submissions.constants import DocumentKind, DocumentStatus
from submissions.filing import services
from submissions.models import DocumentJob
from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.submissions.test_applicant_support import actor, attach, complete_data, fill, make_call, start

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def test_the_packet_panel_follows_the_worker(world, media, page, live_server, artifacts_dir):
    year = timezone.localdate().year
    call = make_call(world.jx, code=f"jx-{year}-doc", year=year, deadline=timezone.now() + dt.timedelta(days=30))
    app = start(world.applicant_admin, call)
    fill(world.applicant_admin, app, data=complete_data(call_year=year))
    attach(world.applicant_admin, app)
    app.refresh_from_db()
    receipt = services.application_submit(actor=actor(world.applicant_admin), application=app)
    job = DocumentJob.objects.create(kind=DocumentKind.PACKET, application=app, receipt=receipt, call=call,
                                     region=app.region, province=app.province, input_hash="e2e",
                                     requested_by=world.applicant_admin)
    login(page, live_server, "applicant_admin", PASSWORD)
    page.goto(f"{live_server.url}/my/applications/{app.pk}/")
    panel = page.locator("#packet-panel")
    assert panel.get_attribute("data-status") == DocumentStatus.PENDING
    # the worker finishes (it fails: the reason must reach the user without a manual reload)
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentStatus.FAILED, error="材料文件缺失（测试）")
    page.wait_for_selector("#packet-panel[data-status=failed]")
    assert "材料文件缺失（测试）" in page.inner_text("#packet-panel")
    page.screenshot(path=f"{artifacts_dir}/42-packet-status-updated.png", full_page=True)
