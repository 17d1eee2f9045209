"""Time (and peak memory) of every document the portal builds, signed as the task signs them:
a bound packet with a 200-page scanned material; a summary table of 1,000 rows (XLSX, PDF); the
recommendation letter (PDF, DOCX); a packet with a 20-page Word material converted by LibreOffice.

Run:  .venv/bin/python tests/bench/bench_documents.py [--pages 200] [--rows 1000] [--runs 3]

Targets: packet ≤ 1.5 s and ≤ 500 MiB peak bound and signed (≤ 0.5 s bound); summary XLSX ≤ 0.2 s,
PDF ≤ 3 s; letter ≤ 0.5 s.
The data lives in a scratch database created and dropped by the script (as bench_queue.py does), the
files in a temporary media folder. Each document is built as the worker's task builds it (the packet
written to a file and signed file to file; the process's loaded objects frozen as the worker
freezes them, portal/project/celery.py). Memory: the peak resident size of each build (VmHWM, reset
before it through /proc/self/clear_refs) and what the build adds to the size before it.
"""

from __future__ import annotations

import argparse
import os
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


def timed(label: str, runs: int, build, target: float | None = None):
    from tests.submissions.packet_memory_probe import _status_kib  # the probe's reading of /proc/self/status

    times, cpu, result, peaks = [], [], None, []
    for _run in range(runs):
        Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from the current size
        before = _status_kib("VmRSS")
        started, started_cpu = time.perf_counter(), time.process_time()
        result = build()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        peaks.append((_status_kib("VmHWM") / 1024, (_status_kib("VmHWM") - before) / 1024))
    median = statistics.median(times)
    verdict = "" if target is None else (f"  [target ≤ {target} s: {'ok' if median <= target else 'OVER'}]")
    peak, added = max(peaks)
    print(f"{label}: first {times[0]:.3f} s, median {median:.3f} s (CPU {statistics.median(cpu):.3f} s), "
          f"peak {peak:.0f} MiB (+{added:.0f} MiB over the process before it){verdict}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--docx-pages", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from tests.bench.bench_queue import _setup_database

    connection, old_name, scratch = _setup_database()
    media = tempfile.TemporaryDirectory(prefix="bench_documents_")
    try:
        from decimal import Decimal
        from types import SimpleNamespace

        import time_machine
        from django.conf import settings

        settings.MEDIA_ROOT = media.name
        from portal.project.celery import freeze_loaded_objects
        from programs.models import RequiredMaterial
        from submissions.documents.letter import letter_docx, letter_pdf
        from submissions.documents.packet import build_packet, write_packet
        from submissions.documents.signing import ensure_certificate, sign_file, sign_pdf
        from submissions.documents.summary import build_summary
        from submissions.filing import services
        from submissions.models import Application, Recommendation, Review
        from tests.bench.bench_packets import peak_rss_mib, scanned_pdf
        from tests.conftest import build_world
        from tests.factories import OrganizationFactory, application_for
        from tests.submissions.test_applicant_support import DEADLINE, actor, attach, make_call, ready
        from tests.submissions.test_packet_office import docx_bytes

        ensure_certificate()
        world = build_world()
        call = make_call(world.jx, rubric_code="")
        RequiredMaterial.objects.filter(call=call, code="application-material").update(max_size_mb=200)
        RequiredMaterial.objects.filter(call=call, code="evidence").update(allowed_types=["docx"])
        scan = scanned_pdf(args.pages)
        print(f"scanned material: {args.pages} pages, {len(scan) / 1e6:.1f} MB; peak RSS before the packet "
              f"{peak_rss_mib():.0f} MiB")
        with time_machine.travel(DEADLINE, tick=False):
            app = ready(world.applicant_admin, call)
            attach(world.applicant_admin, app, "application-material", scan, "扫描件.pdf")
            receipt = services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)

        freeze_loaded_objects()
        out = Path(media.name)

        def packet():
            pages = write_packet(app, receipt, out / "packet.pdf")
            sign_file(out / "packet.pdf", out / "signed.pdf", reason="bench")
            return pages

        timed(f"packet, {args.pages}-page scan, bound (to a file, unsigned)", args.runs,
              lambda: write_packet(app, receipt, out / "packet.pdf"), 0.5)
        pages = timed(f"packet, {args.pages}-page scan, bound and signed", args.runs, packet, 1.5)
        print(f"  {pages} pages, {(out / 'signed.pdf').stat().st_size / 1e6:.2f} MB")

        # a 20-page Word material: converted by LibreOffice and bound
        other = make_call(world.jx, code="bench-docx", rubric_code="")
        RequiredMaterial.objects.filter(call=other, code="evidence").update(allowed_types=["docx"])
        with time_machine.travel(DEADLINE, tick=False):
            docx_app = ready(world.other_applicant, other)
            attach(docx_app.created_by, docx_app, "evidence", docx_bytes("BENCH", args.docx_pages), "报告.docx")
            docx_receipt = services.application_submit(actor=actor(docx_app.created_by), application=docx_app,
                                                       now=DEADLINE)
        data, pages = timed(f"packet with a {args.docx_pages}-page docx converted and merged", 1,
                            lambda: build_packet(docx_app, docx_receipt))
        print(f"  {pages} pages")

        for i in range(args.rows):
            org = OrganizationFactory(region=world.zhanggong, name=f"章贡基准企业{i:04d}有限公司",
                                      industry="装备制造", main_business="数控机床及配件的研发、生产和销售")
            row = application_for(org, call, data={"declarations": {"no-serious-violations": i % 7 != 0}})
            Application.objects.filter(pk=row.pk).update(status="recommended", level="county")
            Review.objects.create(application=row, level="county", score=Decimal(60 + i % 40))
            Recommendation.objects.create(application=row, level="county", quota_region=world.zhanggong)
        job = SimpleNamespace(call=call, region=world.zhanggong, fmt="xlsx")
        timed(f"summary table, {args.rows} rows, XLSX", args.runs, lambda: build_summary(job), 0.2)
        pdf_job = SimpleNamespace(call=call, region=world.zhanggong, fmt="pdf")
        timed(f"summary table, {args.rows} rows, PDF, signed", args.runs,
              lambda: sign_pdf(build_summary(pdf_job)[0], reason="bench"), 3.0)

        details = {"year": 2024, "date": "2024年4月15日", "number": "章贡区工信局〔2024〕12号",
                   "bureau": "章贡区工业和信息化局", "signer": "张三", "addressee": "赣州市工业和信息化局",
                   "title": "关于推荐2024年省级企业技术中心的函", "call": call.title, "program": "省级企业技术中心",
                   "level": "county", "units": [{"application": n, "name": f"章贡基准企业{n:04d}有限公司",
                                                 "credit_code": "", "score": "80.00"} for n in range(5)]}
        timed("letter, PDF, signed", args.runs, lambda: sign_pdf(letter_pdf(details)[0], reason="bench"), 0.5)
        timed("letter, DOCX", args.runs, lambda: letter_docx(details), 0.5)
        print(f"peak RSS of the whole run: {peak_rss_mib():.0f} MiB; load average "
              f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        return 0
    finally:
        media.cleanup()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if scratch and os.path.exists(scratch):
            os.unlink(scratch)


if __name__ == "__main__":
    sys.exit(main())
