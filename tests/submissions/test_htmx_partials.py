"""htmx on the pages: the script is served by the portal (pinned by django-htmx, no CDN); the review
queue's filters, the document panels and the form's autosave answer htmx with partials that pass
the same checks as their pages (a user out of scope gets 403/404 from every partial URL), and say
`Vary: HX-Request` where one URL answers both a page and a partial."""

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from submissions.constants import DocumentKind, DocumentStatus
from submissions.models import DocumentJob, Receipt
from tests.submissions.test_applicant_support import make_call, media, start  # noqa: F401 - fixtures
from tests.submissions.test_review_support import enterprise, review_call, submitted

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}


def _vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",")}


def test_the_htmx_script_is_the_pinned_copy_served_by_the_portal(world, client_for):
    html = client_for(world.county_reviewer).get(reverse("review-queue"), **EN).content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', html)
    htmx = [s for s in scripts if "htmx" in s]
    assert htmx == ["/static/django_htmx/htmx-2.min.js"], scripts
    assert all(s.startswith("/static/") for s in scripts)  # nothing from another origin
    assert '"historyRestoreAsHxRequest": false' in html and '"historyCacheSize": 0' in html
    from django.contrib.staticfiles import finders

    path = finders.find("django_htmx/htmx-2.min.js")
    assert path and "version:\"2.0.10\"" in open(path, encoding="utf-8").read()


# --- the review queue ----------------------------------------------------------------------------


@pytest.fixture
def queue_apps(world):
    call = review_call(world, code="htmx-queue")
    return [submitted(world.ent_zg, call), submitted(world.ent_zg2, call),
            submitted(enterprise(world.nankang, "南康丙企业"), call)]


def test_the_queue_answers_htmx_with_the_table_and_a_page_without_it(world, queue_apps, client_for):
    client = client_for(world.county_reviewer)
    url = reverse("review-queue") + "?q=" + "章贡乙"
    page = client.get(url, **EN)
    partial = client.get(url, **HX)
    assert page.status_code == partial.status_code == 200
    assert "hx-request" in _vary(page) and "hx-request" in _vary(partial)
    page, partial = page.content.decode(), partial.content.decode()
    assert "<html" in page and 'id="queue-filters"' in page and 'hx-push-url="true"' in page
    assert "<html" not in partial and 'id="queue-filters"' not in partial
    assert partial.lstrip().startswith("<div id=\"queue-results\">")
    assert f'data-app="{queue_apps[1].pk}"' in partial and f'data-app="{queue_apps[0].pk}"' not in partial
    assert 'id="status-counts"' in partial and 'hx-swap-oob="true"' in partial  # the counts follow the filters
    # a boosted link or a history restore wants the whole page
    restore = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true").content.decode()
    assert "<html" in restore


def test_the_queue_partial_keeps_to_the_scope_of_the_page(world, queue_apps, client_for):
    url = reverse("review-queue")
    assert client_for(world.applicant_admin).get(url, **HX).status_code == 403
    neighbour = client_for(world.neighbour_reviewer).get(url, **HX).content.decode()
    assert f'data-app="{queue_apps[2].pk}"' in neighbour  # 南康's own
    assert f'data-app="{queue_apps[0].pk}"' not in neighbour and f'data-app="{queue_apps[1].pk}"' not in neighbour
    gansu = client_for(world.lanzhou_reviewer).get(url + f"?q={queue_apps[0].organization.credit_code}", **HX)
    assert gansu.status_code == 200 and "data-app=" not in gansu.content.decode()


# --- document panels ---------------------------------------------------------------------------------


@pytest.fixture
def packet(world, media):
    app = submitted(world.ent_zg, review_call(world, code="htmx-doc"))
    return DocumentJob.objects.create(kind=DocumentKind.PACKET, application=app, call=app.call, region=app.region,
                                      province=app.province, input_hash="htmx", requested_by=world.applicant_admin)


def test_the_packet_panel_asks_for_itself_while_the_packet_is_built_and_stops_when_ready(world, packet, client_for):
    client = client_for(world.applicant_admin)
    url = reverse("packet-panel", args=[packet.application_id])
    page = client_for(world.county_reviewer).get(reverse("review-detail", args=[packet.application_id]),
                                                 **EN).content.decode()
    assert f'hx-get="{url}" hx-trigger="load delay:2s"' in page  # polls from the page itself
    client = client_for(world.applicant_admin)
    waiting = client.get(url, **HX)
    assert waiting.status_code == 200 and "hx-request" in _vary(waiting)
    html = waiting.content.decode()
    assert html.startswith('<section class="card packet-panel" id="packet-panel"') and 'data-status="pending"' in html
    assert f'hx-get="{url}"' in html and "load delay:2s" in html
    # an old job is asked about less often
    DocumentJob.objects.filter(pk=packet.pk).update(requested_at=timezone.now() - dt.timedelta(hours=1))
    assert "load delay:30s" in client.get(url, **HX).content.decode()
    # ready: the download link, and no more asking
    packet.file.save("x.pdf", ContentFile(b"%PDF-1.7"), save=False)
    DocumentJob.objects.filter(pk=packet.pk).update(status=DocumentStatus.DONE, file=packet.file.name, pages=1,
                                                    size=8, sha256="0" * 64)
    done = client.get(url, **HX).content.decode()
    assert 'data-status="done"' in done and reverse("document-download", args=[packet.pk]) in done
    assert "hx-get" not in done and "hx-trigger" not in done
    # the form's way back is the page htmx asked from, not the partial's URL
    Receipt.objects.create(application=packet.application, number="HTMX-0001", submitted_at=timezone.now(),
                           fingerprint="0" * 64, snapshot={})
    page_url = reverse("applicant-application", args=[packet.application_id])
    assert f'value="{page_url}"' in client.get(url, HTTP_HX_REQUEST="true",
                                               HTTP_HX_CURRENT_URL=f"http://testserver{page_url}").content.decode()
    # without htmx: the page it belongs to
    assert client.get(url)["Location"] == page_url


@pytest.mark.parametrize("intruder", ["other_applicant", "neighbour_reviewer", "lanzhou_reviewer",
                                      "other_province_officer"])
def test_the_packet_panel_of_another_tenant_is_a_404(world, packet, client_for, intruder):
    response = client_for(getattr(world, intruder)).get(reverse("packet-panel", args=[packet.application_id]), **HX)
    assert response.status_code == 404
    assert "packet-panel" not in response.content.decode()


def test_the_summary_tables_partial_is_the_bureaus_own(world, client_for):
    call = review_call(world, code="htmx-summary")
    job = DocumentJob.objects.create(kind=DocumentKind.COUNTY_SUMMARY, fmt="xlsx", call=call, region=world.zhanggong,
                                     province=world.jx, input_hash="htmx-s", requested_by=world.county_reviewer)
    url = reverse("summary-jobs")
    own = client_for(world.county_reviewer).get(url, **HX)
    assert own.status_code == 200 and "hx-request" in _vary(own)
    html = own.content.decode()
    assert f'data-job="{job.pk}"' in html and f'hx-get="{url}"' in html  # still being built: asks again
    queue = client_for(world.county_reviewer).get(reverse("review-queue"), **EN).content.decode()
    assert f'hx-get="{url}"' in queue
    assert f'data-job="{job.pk}"' not in client_for(world.neighbour_reviewer).get(url, **HX).content.decode()
    assert client_for(world.applicant_admin).get(url, **HX).status_code == 403
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentStatus.FAILED, error="缺少材料")
    failed = client_for(world.county_reviewer).get(url, **HX).content.decode()
    assert "缺少材料" in failed and "hx-get" not in failed


# --- the form's autosave -----------------------------------------------------------------------------


@pytest.fixture
def draft(world, media):
    return start(world.applicant_admin, make_call(world.jx))


def test_the_autosave_answers_htmx_with_the_status_line_and_the_new_version(world, draft, client_for):
    client = client_for(world.applicant_admin)
    url = reverse("applicant-autosave", args=[draft.pk])
    form = client.get(reverse("applicant-application-edit", args=[draft.pk]), **EN).content.decode()
    assert f'hx-post="{url}"' in form and 'hx-target="#save-state"' in form and 'id="draft-version"' in form
    assert 'id="save-state" class="save-state saved"' in form
    assert f'hx-post="{reverse("applicant-score", args=[draft.pk])}"' in form  # the live self-score
    saved = client.post(url, {"version": draft.version, "summary": "第一稿"}, **HX)
    assert saved.status_code == 200 and saved["X-Save-State"] == "saved" and "hx-request" in _vary(saved)
    html = saved.content.decode()
    assert html.lstrip().startswith("{") is False and 'id="save-state"' in html and "Saved at" in html
    assert f'id="draft-version" value="{draft.version + 1}" hx-swap-oob="true"' in html
    # a second browser still holding the old version: the conflict notice with its link, 409
    stale = client.post(url, {"version": draft.version, "summary": "第二稿"}, **HX)
    assert stale.status_code == 409 and stale["X-Save-State"] == "conflict"
    html = stale.content.decode()
    link = re.search(r'<a href="(/my/applications/\d+/conflicts/\d+/)">Compare the two versions</a>', html)
    assert link and "someone else saved this draft" in html and "draft-version" not in html
    draft.refresh_from_db()
    assert draft.data["summary"] == "第一稿"
    assert "第二稿" in client.get(link.group(1), **EN).content.decode()  # nothing typed is lost
    # the JSON answer for callers that are not htmx is unchanged
    assert client.post(url, {"version": draft.version, "summary": "第三稿"}).json()["status"] == "saved"


def test_the_autosave_and_score_partials_keep_to_the_application_s_people(world, draft, client_for):
    autosave = reverse("applicant-autosave", args=[draft.pk])
    score = reverse("applicant-score", args=[draft.pk])
    for intruder in ("other_applicant", "county_reviewer", "lanzhou_reviewer"):
        client = client_for(getattr(world, intruder))
        assert client.post(autosave, {"version": draft.version, "summary": "入侵"}, **HX).status_code in (403, 404)
        assert client.post(score, {"summary": "入侵"}, **HX).status_code in (403, 404)
    viewer = client_for(world.applicant_viewer).post(autosave, {"version": draft.version, "summary": "看"}, **HX)
    assert viewer.status_code == 403 and viewer["X-Save-State"] == "refused"
    draft.refresh_from_db()
    assert draft.data.get("summary") != "入侵" and draft.data.get("summary") != "看"
