"""Draft versions: every save keeps one, the applicant sees the history and restores one (a new
version, audited), compaction keeps the last hour and one per hour, a racing save is never lost."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import AuditEntry
from submissions.filing import services
from submissions.filing.versions import draft_version_restore, draft_versions_compact
from submissions.models import DraftConflict, DraftVersion
from tests.submissions.test_applicant_support import actor, complete_data, fill, make_call, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(world):
    return start(world.applicant_admin, make_call(world.jx))


def summary(app):
    app.refresh_from_db()
    return app.data.get("summary")


def test_each_save_keeps_a_version_with_one_insert(world, app):
    for i in range(3):
        fill(world.applicant_admin, app, data={**complete_data(), "summary": f"第{i}稿"})
    rows = list(DraftVersion.objects.filter(application=app).order_by("version"))
    assert [r.data["summary"] for r in rows] == ["第0稿", "第1稿", "第2稿"]
    assert [r.version for r in rows] == [app.version - 2, app.version - 1, app.version]
    assert all(r.saved_by == world.applicant_admin for r in rows)
    app.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        services.application_save_draft(actor=actor(world.applicant_admin), application=app,
                                        base_version=app.version, data={"summary": "第3稿"})
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT") and "draftversion" in q["sql"]]
    assert len(inserts) == 1


def test_the_applicant_sees_the_history_and_restores_a_version(world, app, client_for):
    fill(world.applicant_admin, app, data={**complete_data(), "summary": "一小时前写的"})
    first = app.version
    fill(world.applicant_admin, app, data={**complete_data(), "summary": "后来改坏了"})
    client = client_for(world.applicant_admin)
    page = client.get(f"/my/applications/{app.pk}/versions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-version="{first}"' in html and f'data-version="{app.version}"' in html
    compare = client.get(f"/my/applications/{app.pk}/versions/?v={first}").content.decode()
    assert "一小时前写的" in compare and "后来改坏了" in compare
    before = app.version
    response = client.post(f"/my/applications/{app.pk}/versions/", {"version": first, "base_version": before})
    assert response.status_code == 302
    assert summary(app) == "一小时前写的"
    assert app.version == before + 1  # the restore is a new version
    newest = DraftVersion.objects.get(application=app, version=app.version)
    assert newest.restored_from == first and newest.data["summary"] == "一小时前写的"
    entry = AuditEntry.objects.get(action="application.draft_restore")
    assert entry.data == {"restored_version": first, "new_version": app.version}
    # the text it replaced is still in the history
    assert DraftVersion.objects.filter(application=app, data__summary="后来改坏了").exists()


def test_restore_clears_fields_typed_only_later(world, app):
    fill(world.applicant_admin, app, data={"summary": "只有概述"})
    first = app.version
    fill(world.applicant_admin, app, data={"profile": {"industry": "后来填的行业"}})
    app.refresh_from_db()
    outcome = draft_version_restore(actor=actor(world.applicant_admin), application=app, version=first,
                                    base_version=app.version)
    assert outcome.saved
    app.refresh_from_db()
    assert app.data["summary"] == "只有概述"
    assert not app.data.get("profile", {}).get("industry")


def test_a_restore_over_someone_elses_newer_save_is_kept_as_a_conflict(world, app):
    fill(world.applicant_admin, app, data={"summary": "甲"})
    first = app.version
    opened_at = first
    fill(world.applicant_filer, app, data={"summary": "乙（同事刚保存）"})
    outcome = draft_version_restore(actor=actor(world.applicant_admin), application=app, version=first,
                                    base_version=opened_at)
    assert not outcome.saved and outcome.conflict is not None
    assert summary(app) == "乙（同事刚保存）"
    assert DraftConflict.objects.filter(application=app).count() == 1


def test_strangers_get_404_viewers_cannot_restore(world, app, client_for):
    fill(world.applicant_admin, app, data={"summary": "甲"})
    first = app.version
    fill(world.applicant_admin, app, data={"summary": "乙"})
    assert client_for(world.other_applicant).get(f"/my/applications/{app.pk}/versions/").status_code == 404
    viewer = client_for(world.applicant_viewer)
    assert viewer.get(f"/my/applications/{app.pk}/versions/").status_code == 200
    viewer.post(f"/my/applications/{app.pk}/versions/", {"version": first, "base_version": app.version})
    assert summary(app) == "乙"
    assert not AuditEntry.objects.filter(action="application.draft_restore").exists()


def test_compaction_keeps_the_last_hour_and_one_per_hour(world, app):
    start_at = timezone.localtime().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3)
    saved = []
    for minutes in (5, 20, 40, 65, 70, 150, 170, 185, 190, 195):  # over 3 h 15 min
        with time_machine.travel(start_at + dt.timedelta(minutes=minutes), tick=False):
            app.refresh_from_db()
            services.application_save_draft(actor=actor(world.applicant_admin), application=app,
                                            base_version=app.version, data={"summary": f"{minutes}"},
                                            now=timezone.now())
            saved.append(minutes)
    now = start_at + dt.timedelta(minutes=200)
    deleted = draft_versions_compact(now=now)
    kept = sorted(int(v.data["summary"]) for v in DraftVersion.objects.filter(application=app))
    # last hour (after minute 140): 150, 170, 185, 190, 195; before: the last of each hour: 40 and 70
    assert kept == [40, 70, 150, 170, 185, 190, 195]
    assert deleted == len(saved) - len(kept)
    assert draft_versions_compact(now=now) == 0  # idempotent
