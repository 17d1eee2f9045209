"""`make screenshots`: the four journeys (enterprise clerk, county reviewer, city reviewer, provincial
officer) walked in headless Chromium at 1366×768 on the demo data, one full-page screenshot of every
page under var/screenshots/<journey>/. Not part of `make test` (the file name is not test_*.py);
run as `pytest tests/e2e/screenshots.py`. axe-core runs on every page too and its serious or critical
findings are listed in var/screenshots/index.txt."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.journeys import JOURNEYS, prepare, walk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = Path(settings.BASE_DIR) / "var" / "screenshots"


def slug(url: str, base: str) -> str:
    path = url.removeprefix(base).strip("/") or "home"
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")


def test_screenshots_of_every_page_of_the_four_journeys(demo, laptop, live_server):
    OUT.mkdir(parents=True, exist_ok=True)
    index = []
    for journey, username in JOURNEYS:
        folder = OUT / journey
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        prepare(journey)
        page = laptop()
        shots = []

        def take(page, visit, folder=folder, shots=shots, journey=journey):
            path = folder / f"{len(shots) + 1:02d}-{slug(visit.url, live_server.url)}.png"
            page.screenshot(path=str(path), full_page=True)
            shots.append(path)
            index.append(f"{journey}\t{path.name}\t{visit.title}\taxe serious/critical: {len(visit.axe)}")

        visits = walk(page, live_server.url, username, on_page=take)
        assert len(shots) == len(visits) >= 6
    (OUT / "index.txt").write_text("\n".join(index) + "\n", encoding="utf-8")
    print(f"\n{len(index)} screenshots under {OUT}")
