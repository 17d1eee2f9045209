"""The four journeys people walk through the portal (enterprise clerk, county reviewer, city reviewer,
provincial officer) on the demo data, and the checks every page of them must pass: axe-core (served
by the portal from static/vendor/axe-core, pinned by package-lock.json) and nothing internal on
screen. Used by the browser tests and by `make screenshots`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse

DEMO_PASSWORD = "demo-portal-2026"

# journey name, demo account
JOURNEYS = [
    ("enterprise-clerk", "qiandong_filer"),
    ("county-reviewer", "zhanggong_reviewer"),
    ("city-reviewer", "ganzhou_reviewer"),
    ("provincial-officer", "jx_officer"),
]

# Links followed from a list to one object (the first of each kind on a page).
DETAIL_LINKS = [
    r"^/my/applications/\d+/$", r"^/my/applications/\d+/edit/$", r"^/my/applications/\d+/submit/$",
    r"^/my/applications/\d+/receipts/\d+/$", r"^/my/calls/[^/]+/apply/$",
    r"^/review/applications/\d+/$", r"^/review/applications/\d+/timeline/$", r"^/review/[a-z-]+/$",
    r"^/review/results/[^/]+/$", r"^/calls/[^/]+/$", r"^/rubrics/[^/]+/$", r"^/organizations/\d+/$",
]
SKIP = re.compile(r"(logout|/admin/|/api/|download|/files?/|\.pdf$|\.xlsx$|export|/media|/i18n/|#)")

# What must never reach a screen: Django's default object names, snake_case keys and version codes.
INTERNAL = [
    (re.compile(r"\bobject \(\d+\)"), "a default object name"),
    (re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"), "a snake_case key"),
    (re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+ v\d+\b"), "a code with a version"),
    (re.compile(r"\b[a-z]+\.\d{4}\.[a-z_]+\b"), "a dotted field key"),
]


@dataclass
class Visit:
    url: str
    title: str
    axe: list = field(default_factory=list)  # serious or critical violations
    internal: list = field(default_factory=list)


def sign_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def run_axe(page) -> list[dict]:
    """axe-core's serious and critical violations on the current page: [{id, impact, help, targets}]."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def visible_text(page) -> str:
    """The text a person sees or hears: the body's text, option labels, and accessible names
    given by aria-label, title and alt."""
    return page.evaluate("""() => {
        const parts = [document.body.innerText, document.title];
        document.querySelectorAll('option').forEach(o => parts.push(o.textContent));
        document.querySelectorAll('[aria-label],[title],[alt],[placeholder]').forEach(el => {
            for (const a of ['aria-label', 'title', 'alt', 'placeholder']) {
                if (el.getAttribute(a)) parts.push(el.getAttribute(a));
            }
        });
        return parts.join('\\n');
    }""")


URL = re.compile(r"https?://\S+")


def internal_text(page) -> list[str]:
    text = URL.sub(" ", visible_text(page))  # addresses quoted from a notice are the notice's
    found = []
    for pattern, what in INTERNAL:
        for m in pattern.finditer(text):
            found.append(f"{what}: {m.group(0)!r}")
    return sorted(set(found))


def journey_urls(page, base_url: str) -> list[str]:
    """The home page, every menu entry, and the first object of each kind linked from them."""
    urls = [f"{base_url}/"]
    page.goto(urls[0])
    urls += [urljoin(base_url, h) for h in page.eval_on_selector_all(
        "nav.mainnav a", "els => els.map(a => a.getAttribute('href'))")]
    seen_kinds = set()
    for url in urls:  # grows while it is walked: two levels deep, one object of each kind
        page.goto(url)
        for href in page.eval_on_selector_all("main a[href]", "els => els.map(a => a.getAttribute('href'))"):
            path = urlparse(urljoin(url, href)).path
            if SKIP.search(href):
                continue
            for kind in DETAIL_LINKS:
                target = urljoin(base_url, path)
                if kind not in seen_kinds and re.match(kind, path) and target not in urls:
                    seen_kinds.add(kind)
                    urls.append(target)
    return list(dict.fromkeys(urls))


def walk(page, base_url: str, username: str, on_page=None) -> list[Visit]:
    """Sign in as `username` and visit every page of the journey; `on_page(page, visit)` runs on each."""
    sign_in(page, base_url, username)
    visits = []
    for url in journey_urls(page, base_url):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        visit = Visit(url=url, title=page.title(), axe=run_axe(page), internal=internal_text(page))
        if on_page:
            on_page(page, visit)
        visits.append(visit)
    return visits


def prepare(journey: str) -> None:
    """Give the journey's reviewer work at its level: the city reviewer an application the county
    recommended and signed off, the provincial officer one the city passed on too (through the
    review services, as the bureaus would)."""
    from django.contrib.auth import get_user_model

    from portal.access import actor_for
    from submissions.models import Application
    from submissions.review import services as review

    users = get_user_model().objects
    bureaus = {"county": ("zhanggong_reviewer", "zhanggong_head"), "city": ("ganzhou_reviewer", "ganzhou_head")}

    def waiting(level):
        return Application.objects.filter(region__code="360702", status="submitted", level=level).order_by("pk").last()

    def pass_on(app):
        reviewer, head = bureaus[app.level]
        review.application_recommend(actor=actor_for(users.get(username=reviewer)), application=app,
                                     opinion="经审核，同意推荐。", score="80")  # the demo call requires a score
        review.sign_off_batch(actor=actor_for(users.get(username=head)), call=app.call, applications=[app.pk])
        app.refresh_from_db()
        return app

    if journey == "city-reviewer" and waiting("city") is None:
        pass_on(waiting("county"))
    if journey == "provincial-officer" and waiting("province") is None:
        pass_on(waiting("city") or pass_on(waiting("county")))
