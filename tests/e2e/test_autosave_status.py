"""In headless Chromium: the application form's autosave goes through htmx; the status line is the
server's partial swapped in place (saved at …, or the conflict notice with its link), with the new
version out of band; after a conflict nothing more is sent over the other person's save and nothing
typed is lost (the field, this browser's copy, the server's conflict record); an answer that is not
the autosave's (signed out) is not swapped in and the text stays."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from submissions.filing import services
from submissions.models import Application, DraftConflict
from tests.e2e.conftest import login, mark_page, page_was_reloaded
from tests.factories import PASSWORD
from tests.submissions.test_applicant_support import actor, make_call, start

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def kept(page, app) -> dict:
    return json.loads(page.evaluate(f"() => localStorage.getItem('portal-draft-{app.pk}') || 'null'") or "null") or {}


def test_the_autosave_status_is_an_htmx_partial_and_a_conflict_loses_nothing(world, media, laptop, live_server,
                                                                             artifacts_dir):
    year = timezone.localdate().year
    call = make_call(world.jx, code=f"jx-{year}-autosave", year=year, deadline=timezone.now() + dt.timedelta(days=30))
    app = start(world.applicant_admin, call)
    page = laptop()
    login(page, live_server, "applicant_admin", PASSWORD)
    page.goto(f"{live_server.url}/my/applications/{app.pk}/edit/")
    mark_page(page)
    version = int(page.input_value("#draft-version"))
    saves = []
    page.on("request", lambda r: saves.append(r) if r.url.endswith(f"/my/applications/{app.pk}/autosave/") else None)

    # typing: saved after a pause, the status line comes from the server, the version out of band
    page.fill('[name="summary"]', "企业技术中心成立于2016年。")
    page.wait_for_selector("#save-state[data-state=saved] time")
    assert int(page.input_value("#draft-version")) == version + 1
    assert saves and all(r.headers.get("hx-request") == "true" for r in saves)
    assert Application.objects.get(pk=app.pk).data["summary"] == "企业技术中心成立于2016年。"
    assert not page_was_reloaded(page) and kept(page, app) == {}  # saved: no copy left behind
    page.screenshot(path=f"{artifacts_dir}/htmx-06-autosave-saved-1366x768.png")

    # someone else saves meanwhile; the next save is refused with the notice and its link
    other = Application.objects.get(pk=app.pk)
    outcome = services.application_save_draft(actor=actor(world.applicant_filer), application=other,
                                              base_version=other.version, data={"summary": "同事写的文字。"})
    assert outcome.saved
    page.fill('[name="summary"]', "我的第二版文字。")
    page.wait_for_selector("#save-state[data-state=conflict] a")
    link = page.locator("#save-state a").get_attribute("href")
    assert page.input_value('[name="summary"]') == "我的第二版文字。"  # still in the field
    assert kept(page, app)["fields"]["summary"] == "我的第二版文字。"  # and kept in this browser
    assert DraftConflict.objects.get().data["summary"] == "我的第二版文字。"  # and on the server
    page.screenshot(path=f"{artifacts_dir}/htmx-07-autosave-conflict-1366x768.png")
    sent = len(saves)
    page.fill('[name="summary"]', "我的第三版文字。")
    page.wait_for_timeout(2500)
    assert len(saves) == sent  # nothing more is sent over the colleague's save
    assert Application.objects.get(pk=app.pk).data["summary"] == "同事写的文字。"
    assert not page_was_reloaded(page)
    compare = laptop()
    login(compare, live_server, "applicant_admin", PASSWORD)
    compare.goto(live_server.url + link)
    text = compare.inner_text("table.conflict")
    assert "我的第二版文字。" in text and "同事写的文字。" in text


def test_an_autosave_answered_by_the_sign_in_page_is_not_swapped_in(world, media, laptop, live_server,
                                                                    artifacts_dir):
    year = timezone.localdate().year
    call = make_call(world.jx, code=f"jx-{year}-signout", year=year, deadline=timezone.now() + dt.timedelta(days=30))
    app = start(world.applicant_admin, call)
    page = laptop()
    login(page, live_server, "applicant_admin", PASSWORD)
    page.goto(f"{live_server.url}/my/applications/{app.pk}/edit/")
    mark_page(page)
    page.context.clear_cookies(name="sessionid")  # signed out elsewhere (or the session ran out)
    page.fill('[name="summary"]', "断线前写的文字。")
    page.wait_for_selector("#save-state.error")
    assert page.locator("#save-state").get_attribute("data-state") == "saved"  # the page's own line, not swapped
    assert page.locator("#id_username").count() == 0  # the sign-in page was not put into the form
    assert page.input_value('[name="summary"]') == "断线前写的文字。"
    assert kept(page, app)["fields"]["summary"] == "断线前写的文字。"
    assert not page_was_reloaded(page)
    page.screenshot(path=f"{artifacts_dir}/htmx-08-autosave-signed-out-1366x768.png")
