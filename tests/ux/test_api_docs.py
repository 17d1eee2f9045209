"""The API documentation loads Swagger UI from the portal's own static files (drf-spectacular-sidecar,
pinned), not from a public CDN that an intranet blocks."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_swagger_ui_comes_from_the_portal_not_a_cdn(client_for, world):
    page = client_for(world.county_reviewer).get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in s for s in sources), sources
    assert all(s.startswith("/") for s in sources if s.endswith((".js", ".css"))), sources
    assert "cdn" not in html.lower() and "@latest" not in html
    bundle = next(s for s in sources if "swagger-ui-bundle.js" in s)
    assert finders.find(bundle.removeprefix("/static/"))
