"""A document being built shows its progress (pages done / total) on the page that polls it; the
packet downloads under its Chinese name (RFC 5987)."""

from urllib.parse import quote

import pytest

from submissions.constants import DocumentStatus
from submissions.models import DocumentJob
from tests.submissions.test_applicant_support import DEADLINE, media  # noqa: F401 - fixtures
from tests.submissions.test_packets import app, built, call, commit  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_the_task_writes_progress_and_the_panel_shows_a_progress_bar(world, app, built, client_for):
    job = built(world.applicant_admin, app)
    assert job.progress_done == job.progress_total == job.pages  # the task reported every page done
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentStatus.RUNNING, progress_done=60, progress_total=205)
    panel = client_for(world.applicant_admin).get(f"/applications/{app.pk}/packet/panel/", HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert '<progress class="document-progress" value="60" max="205"' in html and "60 / 205" in html
    assert "hx-get=" in html  # it keeps asking while the job runs


def test_the_packet_downloads_under_its_chinese_name(world, app, built, client_for):
    job = built(world.applicant_admin, app)
    response = client_for(world.applicant_admin).get(f"/documents/{job.pk}/download/")
    name = f"申报材料-{world.ent_zg.name}-{app.receipts.get().number}.pdf"
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"], response["Content-Disposition"]
