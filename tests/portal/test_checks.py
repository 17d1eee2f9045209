"""The start-up checks: WeasyPrint's HarfBuzz subsetting and a Chinese font must be there."""

import subprocess

from django.core.checks import run_checks

from portal import checks


def ids(errors):
    return [e.id for e in errors]


def test_this_machine_has_what_the_pdfs_need():
    assert checks.harfbuzz_subset_available()
    assert any("CJK" in family for family in checks.cjk_font_families())
    assert checks.pdf_dependencies() == []


def test_missing_harfbuzz_subsetting_is_an_error_naming_the_package(monkeypatch):
    from weasyprint.text import ffi

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    errors = checks.pdf_dependencies()
    assert ids(errors) == ["portal.E001"]
    assert "libharfbuzz-subset0" in errors[0].hint and "harfbuzz_subset" in errors[0].msg
    assert "portal.E001" in ids(run_checks(tags=["portal_pdf"]))  # registered at start-up (PortalConfig.ready)


def test_no_chinese_font_is_an_error_naming_the_package(monkeypatch):
    def no_fonts(*args, **kwargs):
        return subprocess.CompletedProcess(args, 0, stdout="", stderr="")

    monkeypatch.setattr(checks.subprocess, "run", no_fonts)
    errors = checks.pdf_dependencies()
    assert ids(errors) == ["portal.E002"] and "fonts-noto-cjk" in errors[0].hint

    def no_fontconfig(*args, **kwargs):
        raise FileNotFoundError("fc-list")

    monkeypatch.setattr(checks.subprocess, "run", no_fontconfig)
    assert ids(checks.pdf_dependencies()) == ["portal.E002"]


def test_both_missing_are_both_reported(monkeypatch):
    from weasyprint.text import ffi

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    monkeypatch.setattr(checks, "cjk_font_families", lambda: [])
    assert ids(run_checks(tags=["portal_pdf"])) == ["portal.E001", "portal.E002"]
