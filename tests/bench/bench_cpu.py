"""CPU per request, in process: the bare reference page, the county queue page (2,000 applications in
one county) and the autosave, each fetched N times with Django's test client, one after the other in
one run, in turns. No HTTP server, no concurrency: this is the steady figure to compare before and
after a change (the load of a shared machine moves req/s far more than it moves CPU time).

Run:  .venv/bin/python tests/bench/bench_cpu.py [--n 200] [--rounds 10] [--queue 2000] [--profile queue|autosave|bare]

The data lives in a database of its own (``bench_cpu_<pid>`` on the DATABASE_URL's PostgreSQL server,
or a temporary SQLite file), seeded as bench_web.py seeds it, and dropped at the end. "CPU ms" is this
process's CPU time (time.process_time) per request: Django, the templates and the database driver;
PostgreSQL's own CPU is not in it (with SQLite the database engine runs in this process and is).
"median" is the median request's CPU time; "wall ms" the median request's elapsed time.
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.bench_settings")
os.environ.setdefault("DJANGO_ENV", "test")

CSRF = "benchcsrfsecret0123456789abcdefX"


def setup_database():
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    scratch = None
    if connection.vendor == "sqlite":
        scratch = tempfile.NamedTemporaryFile(prefix="bench_cpu_", suffix=".sqlite3", delete=False).name
        connection.settings_dict["TEST"]["NAME"] = scratch
    else:
        connection.settings_dict["TEST"]["NAME"] = f"bench_cpu_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return connection, old_name, scratch


def client_of(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF
    return client


def warm(label: str, fetch) -> int:
    """Warm up (templates, compiled regexes, the form's cache); return the queries of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        fetch()
    with CaptureQueriesContext(connection) as ctx:
        fetch()
    if os.environ.get("BENCH_SHOW_SQL"):
        print(f"--- {label}")
        for q in ctx.captured_queries:
            print("   ", q["sql"][:int(os.environ["BENCH_SHOW_SQL"])])
    return len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]])


def measure(pages: list, n: int, rounds: int = 10) -> dict:
    """The pages in turns (`rounds` turns of n/rounds requests each), so that a change in the
    machine's load touches them alike; the CPU time and the wall time of every request."""
    cpu = {label: [] for label, _f in pages}
    wall = {label: [] for label, _f in pages}
    for _ in range(rounds):
        for label, fetch in pages:
            for _ in range(max(1, n // rounds)):
                c0, w0 = time.process_time(), time.perf_counter()
                fetch()
                cpu[label].append(time.process_time() - c0)
                wall[label].append(time.perf_counter() - w0)
    return {label: {"cpu": statistics.mean(cpu[label]) * 1000, "cpu_median": statistics.median(cpu[label]) * 1000,
                    "wall": statistics.median(wall[label]) * 1000} for label, _f in pages}


def profile(fetch, n: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(n):
        fetch()
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative"))
    stats.print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 70)
    if os.environ.get("BENCH_PROFILE_CALLERS"):
        stats.print_callers(os.environ["BENCH_PROFILE_CALLERS"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="requests per page")
    parser.add_argument("--queue", type=int, default=2000, help="applications in the county's queue")
    parser.add_argument("--rounds", type=int, default=10, help="turns over the pages")
    parser.add_argument("--profile", choices=["bare", "queue", "autosave"], default="")
    args = parser.parse_args()

    connection, old_name, scratch = setup_database()
    try:
        import datetime as dt
        import json

        from django.utils import timezone

        from portal.dbstats import analyze
        from programs.models import Stage
        from tests.bench.bench_web import seed_applicants, seed_queue
        from tests.conftest import build_world
        from tests.factories import CallFactory
        from tests.submissions.test_applicant_support import make_call

        world = build_world()
        queue_call = CallFactory(code="bench-cpu-queue", province=world.jx)
        Stage.objects.create(call=queue_call, order=1, level="applicant", name="企业申报", deadline_kind="absolute",
                             deadline_at=timezone.now() - dt.timedelta(days=3))
        Stage.objects.create(call=queue_call, order=2, level="county", name="县级审核推荐", deadline_kind="absolute",
                             deadline_at=timezone.now() + dt.timedelta(days=10))
        filing_call = make_call(world.jx, code="bench-cpu-filing")
        applicant = seed_applicants(world, filing_call, 1)[0]
        seed_queue(world, queue_call, args.queue, 0)
        analyze()

        reviewer = client_of(world.county_reviewer)
        filer = client_of(applicant["user"])
        state = {"version": applicant["version"], "n": 0}

        def bare():
            response = reviewer.get("/bench/bare/")
            assert response.status_code == 200 and b'data-row="' in response.content

        def queue():
            response = reviewer.get("/review/")
            assert response.status_code == 200 and response.content.count(b'data-app="') == 50

        def autosave():
            state["n"] += 1
            response = filer.post(f"/my/applications/{applicant['app']}/autosave/",
                                  {"version": state["version"], "summary": f"第{state['n']}次保存：研发投入持续增长。"},
                                  HTTP_X_REQUESTED_WITH="fetch", HTTP_X_CSRFTOKEN=CSRF)
            assert response.status_code == 200, response.content
            state["version"] = json.loads(response.content)["version"]

        pages = [("bare page (5 queries, 50 rows)", bare), (f"queue, {args.queue:,} in the county", queue),
                 ("autosave", autosave)]
        queries = {label: warm(label, fetch) for label, fetch in pages}
        if args.profile:
            profile(dict(zip(("bare", "queue", "autosave"), (f for _l, f in pages)))[args.profile], args.n)
            return 0
        results = measure(pages, args.n, args.rounds)
        load = os.getloadavg()
        print(f"\n{connection.vendor}, {args.n} requests each (in {args.rounds} turns), in process (test client), load average "
              f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"  {'page':<34} {'queries':>7} {'CPU ms':>7} {'median':>7} {'wall ms':>8} {'CPU/bare':>8}")
        bare_cpu = results[pages[0][0]]["cpu"]
        for label, _f in pages:
            r = results[label]
            print(f"  {label:<34} {queries[label]:>7} {r['cpu']:7.1f} {r['cpu_median']:7.1f} {r['wall']:8.1f} "
                  f"{r['cpu'] / bare_cpu:8.2f}")
        return 0
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if scratch and os.path.exists(scratch):
            os.unlink(scratch)


if __name__ == "__main__":
    sys.exit(main())
