"""One rule, one place: what the layer contracts (import-linter) cannot see.

Views, API endpoints, serializers, template tags and templates ask the access layer's named rules
and the workflow; they never test a role, a level or the transition table themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
APPS = ("portal", "programs", "scoring", "submissions")

ROLE_TEST = re.compile(
    r"\bactor\.(is_provincial|is_bureau|is_applicant|is_operator|role)\b(?!\s*,\s*$)"
    r"|\bmembership\.role\b|\brequest\.actor\.(is_\w+|role)\b"
)
TABLE_READ = re.compile(r"\bTRANSITIONS\b")


def _presentation_files():
    for app in APPS:
        root = BASE / app
        for path in root.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            if path.name.endswith(("views.py", "api.py", "pages.py", "serializers.py")) or "templatetags" in path.parts:
                yield path
    yield from (BASE / "templates").rglob("*.html")


def _hits(pattern):
    found = []
    for path in _presentation_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(BASE)}:{number}: {line.strip()}")
    return found


def test_the_scan_sees_the_presentation_layer():
    names = {p.relative_to(BASE).as_posix() for p in _presentation_files()}
    assert "submissions/review/views.py" in names and "templates/base.html" in names
    assert "portal/project/views.py" in names and "submissions/templatetags/review_tags.py" in names
    assert "submissions/review/expert_pages.py" in names and "submissions/review/expert_api.py" in names
    assert "submissions/review/deliberate_pages.py" in names
    assert ROLE_TEST.search("{% if actor.is_bureau %}") and ROLE_TEST.search("if actor.role == 'x':")


def test_views_templates_and_serializers_do_not_test_roles():
    assert _hits(ROLE_TEST) == []


def test_views_do_not_read_the_transition_table():
    assert _hits(TABLE_READ) == []
