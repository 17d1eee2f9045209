"""Time (and peak memory) of the documents built in tasks: an application packet with a 200-page
scanned PDF material, and a county summary table of 50 rows (XLSX and PDF).

Run:  .venv/bin/python tests/bench/bench_packets.py [--pages 200] [--rows 50] [--runs 3]

The data lives in a scratch database created and dropped by the script (as tests/bench/bench_queue.py
does) and the files in a temporary media folder. The scanned material is made of JPEG pages (A4 at
150 dpi, grey, some text-like strokes and noise), as a scanner writes them. Peak RSS is the
process's maximum resident size (getrusage), read after each step.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.project.settings")
os.environ.setdefault("DJANGO_ENV", "test")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scanned_pdf(pages: int) -> bytes:
    """A PDF of `pages` scanned A4 pages (one JPEG each, 1240 × 1754 px), built page by page."""
    import random

    import pikepdf
    from PIL import Image, ImageDraw

    rng = random.Random(7)
    pdf = pikepdf.new()
    for n in range(pages):
        img = Image.new("L", (1240, 1754), 235)
        draw = ImageDraw.Draw(img)
        for line in range(40):
            y = 150 + line * 38
            draw.rectangle([120, y, 120 + rng.randint(500, 1000), y + 14], fill=rng.randint(40, 90))
        draw.text((600, 1680), f"scan {n + 1}", fill=0)
        out = io.BytesIO()
        img.save(out, "JPEG", quality=60)
        image = pikepdf.Stream(pdf, out.getvalue(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                               Width=1240, Height=1754, ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8,
                               Filter=pikepdf.Name.DCTDecode)
        page = pdf.add_blank_page(page_size=(595.28, 841.89))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = pdf.make_stream(b"q 595.28 0 0 841.89 0 0 cm /Im0 Do Q")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="pages of the scanned material")
    parser.add_argument("--rows", type=int, default=50, help="rows of the summary table")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from tests.bench.bench_queue import _setup_database

    connection, old_name, scratch = _setup_database()
    media = tempfile.TemporaryDirectory(prefix="bench_packets_")
    try:
        from decimal import Decimal
        from types import SimpleNamespace

        from django.conf import settings

        settings.MEDIA_ROOT = media.name
        from programs.models import RequiredMaterial
        from submissions.documents.packet import build_packet
        from submissions.documents.summary import build_summary
        from submissions.filing import services
        from submissions.models import Application, Recommendation, Review
        from tests.conftest import build_world
        from tests.submissions.test_applicant_support import DEADLINE, actor, attach, make_call, ready

        world = build_world()
        call = make_call(world.jx, rubric_code="")
        RequiredMaterial.objects.filter(call=call, code="application-material").update(max_size_mb=200)
        started = time.perf_counter()
        scan = scanned_pdf(args.pages)
        print(f"scanned material: {args.pages} pages, {len(scan) / 1e6:.1f} MB, made in "
              f"{time.perf_counter() - started:.1f} s; peak RSS so far {peak_rss_mib():.0f} MiB")
        import time_machine

        with time_machine.travel(DEADLINE, tick=False):  # file within the test call's deadline (as the tests do)
            app = ready(world.applicant_admin, call)
            attach(world.applicant_admin, app, "application-material", scan, "扫描件.pdf")
            receipt = services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)

        times = []
        for run in range(args.runs):
            started = time.perf_counter()
            data, pages = build_packet(app, receipt)
            times.append(time.perf_counter() - started)
            print(f"  packet run {run + 1}: {times[-1]:.2f} s, {pages} pages, {len(data) / 1e6:.2f} MB, "
                  f"peak RSS {peak_rss_mib():.0f} MiB")
        print(f"packet ({args.pages}-page scan + cover, contents, form): first {times[0]:.2f} s (fonts loaded), "
              f"median {statistics.median(times):.2f} s, peak RSS {peak_rss_mib():.0f} MiB")

        # a summary table of `rows` recommended applications of 章贡区
        from tests.factories import OrganizationFactory, application_for

        for i in range(args.rows):
            org = OrganizationFactory(region=world.zhanggong, name=f"章贡基准企业{i:03d}有限公司",
                                      industry="装备制造", main_business="数控机床及配件的研发、生产和销售")
            row = application_for(org, call, data={"declarations": {"no-serious-violations": i % 7 != 0}})
            Application.objects.filter(pk=row.pk).update(status="recommended", level="county")
            Review.objects.create(application=row, level="county", score=Decimal(60 + i % 40))
            Recommendation.objects.create(application=row, level="county", quota_region=world.zhanggong)
        for fmt in ("xlsx", "pdf"):
            times = []
            for _run in range(args.runs):
                started = time.perf_counter()
                data, pages = build_summary(SimpleNamespace(call=call, region=world.zhanggong, fmt=fmt))
                times.append(time.perf_counter() - started)
            print(f"summary table, {args.rows} rows, {fmt.upper()}: median {statistics.median(times):.3f} s "
                  f"({len(data) / 1e3:.0f} kB{f', {pages} pages' if pages else ''})")
        print(f"peak RSS of the whole run: {peak_rss_mib():.0f} MiB")
        return 0
    finally:
        media.cleanup()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if scratch and os.path.exists(scratch):
            os.unlink(scratch)


if __name__ == "__main__":
    sys.exit(main())
