import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; the Django ORM calls made by the
# test itself (fixtures, assertions) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make install` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, artifacts_dir):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def laptop(browser):
    """Open pages as on a 1366×768 laptop screen (the screenshots of the htmx tests are taken at that
    size): `laptop()` gives a new page in a context of its own (its own cookies and storage)."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1366, "height": 768}, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def mark_page(page) -> None:
    """Mark the loaded document: `page_was_reloaded` tells whether it was replaced since (a reload or
    a navigation), i.e. whether an update came without one."""
    page.evaluate("() => { window.__sameDocument = true; }")


def page_was_reloaded(page) -> bool:
    return not page.evaluate("() => window.__sameDocument === true")


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def demo(seeded, settings, tmp_path):
    """The demo data of `make demo` (accounts for every role, enterprises, calls, applications)."""
    import io

    from django.core.management import call_command

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PORTAL_SHOW_DEMO_PASSWORDS = True
    call_command("load_rubrics", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())
