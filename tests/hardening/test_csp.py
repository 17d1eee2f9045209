"""A strict Content-Security-Policy: no template carries inline script or style, every page says so."""

import re
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
# Rendered only to PDF by WeasyPrint (submissions/documents/packet.py, letter.py), never served as
# a page: their print styles (page counters, the stamp in the page margin) are built per document.
PDF_ONLY = {
    "templates/submissions/packets/packet.html",
    "templates/submissions/packets/_style.html",
    "templates/submissions/packets/letter.html",
    "templates/scoring/counties/ranking_pdf.html",
}
INLINE = [
    ("an inline <script> block", re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("a <style> block", re.compile(r"<style\b", re.I)),
    ("a style=\"\" attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("an on*=\"\" handler", re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)),
    ("a javascript: URL", re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.I)),
]


def all_templates():
    roots = [BASE / "templates"] + [BASE / app / "templates" for app in ("portal", "programs", "scoring", "submissions")]
    for root in roots:
        if root.is_dir():
            yield from sorted(root.rglob("*.html"))


def test_the_scan_sees_the_templates():
    names = {str(p.relative_to(BASE)) for p in all_templates()}
    assert "templates/base.html" in names and len(names) > 50
    assert PDF_ONLY <= names


@pytest.mark.parametrize("what,pattern", INLINE, ids=[w for w, _ in INLINE])
def test_no_template_carries_inline_script_or_style(what, pattern):
    found = []
    for path in all_templates():
        if str(path.relative_to(BASE)) in PDF_ONLY:
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(BASE)}:{no}")
    assert not found, f"{what} in: " + ", ".join(found)


def test_the_scan_catches_each_kind():
    samples = ["<script>alert(1)</script>", "<style>p{}</style>", '<p style="color:red">',
               '<select onchange="x()">', '<a href="javascript:void(0)">']
    for (what, pattern), sample in zip(INLINE, samples):
        assert pattern.search(sample), what
    assert not INLINE[0][1].search('<script src="/static/x.js" defer></script>')


def _policy(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/register/", "/accounts/password-reset/"])
def test_every_page_has_a_strict_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], policy
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.django_db
def test_signed_in_pages_have_the_policy(client_for, world):
    response = client_for(world.applicant_admin).get("/")
    assert response.status_code == 200
    assert _policy(response)["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_swagger_ui_is_served_by_the_portal_under_the_policy(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert _policy(response)["script-src"] == ["'self'"]


@pytest.mark.django_db
@pytest.mark.parametrize("content,name", [("pdf", "申报材料.pdf"), ("png", "证书.png")])
def test_inline_material_views_are_sandboxed(client_for, world, settings, tmp_path, content, name):
    from tests.submissions.test_applicant_support import attach, image_bytes, make_call, pdf_bytes, start

    settings.MEDIA_ROOT = str(tmp_path)
    app = start(world.applicant_admin, make_call(world.jx))
    data = pdf_bytes() if content == "pdf" else image_bytes("PNG")
    att = attach(world.applicant_admin, app, code="application-material" if content == "pdf" else "evidence",
                 content=data, name=name)
    response = client_for(world.applicant_admin).get(f"/applications/{app.pk}/files/{att.pk}/?inline=1")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    policy = _policy(response)
    assert "sandbox" in policy and policy["default-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_gunicorn_sends_no_server_header(tmp_path):
    """A real gunicorn, started as the image starts it (gunicorn.conf.py read from the working directory)."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "portal.project.wsgi:application", "--bind",
                               f"127.0.0.1:{port}", "--workers", "1"], cwd=BASE, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    headers = dict(response.headers)
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "Date" in headers
    assert "Server" not in headers, headers


def test_nginx_hides_the_server():
    conf = (BASE / "deploy" / "nginx.conf").read_text()
    assert re.search(r"^\s*server_tokens off;", conf, re.M)
    assert re.search(r"^\s*proxy_hide_header Server;", conf, re.M)


@pytest.mark.django_db
def test_the_reviewers_material_view_is_sandboxed_too(client_for, world, settings, tmp_path):
    from django.core.files.base import ContentFile

    from programs.models import RequiredMaterial
    from submissions.models import Attachment
    from tests.submissions.test_applicant_support import pdf_bytes
    from tests.submissions.test_review_support import review_call, submitted

    settings.MEDIA_ROOT = str(tmp_path)
    call = review_call(world, code="csp-review")
    app = submitted(world.ent_zg, call)
    material = RequiredMaterial.objects.create(call=call, order=9, code="scan", name="扫描件", allowed_types=["pdf"])
    att = Attachment(application=app, material=material, original_name="a.pdf", content_type="application/pdf",
                     size=1, sha256="0" * 64)
    att.file.save("a.pdf", ContentFile(pdf_bytes()), save=True)
    response = client_for(world.county_reviewer).get(f"/review/applications/{app.pk}/files/{att.pk}/")
    assert response.status_code == 200
    assert "sandbox" in _policy(response) and "'unsafe-inline'" not in response["Content-Security-Policy"]
