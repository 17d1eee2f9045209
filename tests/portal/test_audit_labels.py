"""Audit entries are shown with a label in the reader's language, never as a code."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from portal.audit_labels import action_label, is_labelled
from portal.services import audit_record
from submissions.workflow import TRANSITIONS

BASE = Path(settings.BASE_DIR)


def recorded_actions() -> set[str]:
    """Every literal action the code records (action="x.y" or the review helper's action="y")."""
    found = set()
    for package in ("portal", "programs", "scoring", "submissions"):
        for path in (BASE / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
            if "_audit_review(" in text:
                found |= {f"review.{a}" for a in re.findall(r'_audit_review\([^)]*action="([a-z_]+)"', text, re.S)}
    return found


def test_every_recorded_action_has_a_label():
    actions = recorded_actions()
    assert "rubric_version.publish" in actions and "review.site_visit" in actions  # the scan sees them
    unlabelled = sorted(a for a in actions if not is_labelled(a))
    assert unlabelled == []


def test_labels_follow_the_language():
    with translation.override("zh-hans"):
        assert action_label("rubric_version.publish") == "自评表版本已发布"
        assert action_label("application.submit") == str(TRANSITIONS["submit"].label)
    with translation.override("en"):
        assert action_label("rubric_version.publish") == "Rubric version published"
    assert not is_labelled("something.unknown")
    with translation.override("zh-hans"):
        assert action_label("something.unknown") == "其他操作记录"  # a neutral label, never the code


@pytest.mark.django_db
def test_the_home_page_shows_recent_entries_by_label(world, client_for):
    from portal.access import actor_for

    audit_record(actor=actor_for(world.province_officer), action="call.publish", obj=world.dept_jx, province=world.jx)
    html = client_for(world.province_officer).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Call published" in html and "call.publish" not in html
