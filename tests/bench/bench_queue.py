"""Query count and median time of the county bureau's queue page, at 20 and at 2,000 applications.

Run:  .venv/bin/python tests/bench/bench_queue.py [--n 2000] [--runs 15] [--max-queries 20]

The data lives in a database of its own, created and dropped by the script: a temporary SQLite
file by default, or — when DATABASE_URL points at PostgreSQL — a database named
``bench_queue_<pid>`` on that server (never the developer's database). The page is fetched with
Django's test client as the 章贡区 county reviewer (the first page of 50 rows, the default sort),
and also with the overdue filter and a score-sorted view. With --max-queries the script exits with
status 1 when the 2,000-row page needs more queries than that, or more than the 20-row page.
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


def _setup_database():
    """Point the default connection at a scratch database and create the schema in it."""
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = False
    scratch = None
    if connection.vendor == "sqlite":
        scratch = tempfile.NamedTemporaryFile(prefix="bench_queue_", suffix=".sqlite3", delete=False).name
        connection.settings_dict["TEST"]["NAME"] = scratch
    else:
        connection.settings_dict["TEST"]["NAME"] = f"bench_queue_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return connection, old_name, scratch


def _seed(world, n: int, call):
    """n applications submitted to the county of 章贡区, half of them scored by the bureau."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from portal.constants import OrgKind
    from portal.creditcode import make_credit_code
    from portal.models import Organization
    from submissions.constants import Status
    from submissions.models import Application, Review

    start = Organization.objects.count()
    orgs = Organization.objects.bulk_create([
        Organization(name=f"章贡基准企业{start + i:05d}有限公司", kind=OrgKind.ENTERPRISE, region=world.zhanggong,
                     credit_code=make_credit_code(f"91360702MB{start + i:07d}"[:17]))
        for i in range(n)
    ])
    now = timezone.now()
    statuses = [Status.SUBMITTED, Status.UNDER_REVIEW, Status.UNDER_REVIEW, Status.RECOMMENDED, Status.RETURNED]
    apps = Application.objects.bulk_create([
        Application(call=call, organization=org, region=world.zhanggong, province=world.jx, level="county",
                    status=statuses[i % len(statuses)], routing=["county", "city", "province"],
                    title=f"{org.name} · {call.title}", self_score=Decimal(40 + i % 60),
                    submitted_at=now - dt.timedelta(minutes=i), number=f"B{start + i:08d}",
                    revision_deadline=now + dt.timedelta(days=3) if statuses[i % len(statuses)] == Status.RETURNED
                    else None)
        for i, org in enumerate(orgs)
    ])
    Review.objects.bulk_create([
        Review(application=app, level="county", reviewer=world.county_reviewer, score=Decimal(50 + i % 40),
               opinion="同意")
        for i, app in enumerate(apps) if i % 2 == 0
    ])


def _measure(client, url: str, runs: int) -> tuple[int, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up (template loading, compiled regexes)
    times = []
    queries = 0
    rows = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
        queries = len(ctx.captured_queries)
        rows = response.content.count(b'data-app="')
    return queries, statistics.median(times) * 1000, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="applications in the large queue")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--max-queries", type=int, default=0, help="fail above this many queries (0: no check)")
    args = parser.parse_args()

    connection, old_name, scratch = _setup_database()
    try:
        import datetime as dt

        from django.test import Client
        from django.utils import timezone

        from programs.constants import QuotaScope
        from programs.models import Quota, Stage
        from tests.conftest import build_world
        from tests.factories import CallFactory

        world = build_world()
        call = CallFactory(code="bench-queue", province=world.jx)
        Stage.objects.create(call=call, order=1, level="applicant", name="企业申报", deadline_kind="absolute",
                             deadline_at=timezone.now() + dt.timedelta(days=30))
        Stage.objects.create(call=call, order=2, level="county", name="县级审核推荐", deadline_kind="absolute",
                             deadline_at=timezone.now() - dt.timedelta(hours=1))  # passed: rows are overdue
        Quota.objects.create(call=call, scope=QuotaScope.PER_COUNTY, limit=5)
        client = Client()
        client.force_login(world.county_reviewer)
        urls = {"default": "/review/", "overdue + score sort": "/review/?overdue=1&sort=-score",
                "search": "/review/?q=基准企业"}
        db = f"{connection.vendor} ({connection.settings_dict['NAME']})"
        print(f"county queue page of 章贡区, database: {db}, {args.runs} runs each, first page of 50 rows")
        results = {}
        seeded = 0
        for size in (20, args.n):
            _seed(world, size - seeded, call)
            seeded = size
            for label, url in urls.items():
                q, ms, rows = _measure(client, url, args.runs)
                results[(size, label)] = q
                print(f"  {size:>6} applications  {label:<22} {q:>3} queries  median {ms:7.1f} ms  ({rows} rows shown)")
        failed = False
        for label in urls:
            if results[(args.n, label)] != results[(20, label)]:
                print(f"FAIL: {label}: {results[(20, label)]} queries at 20 rows, {results[(args.n, label)]} at {args.n}")
                failed = True
            if args.max_queries and results[(args.n, label)] > args.max_queries:
                print(f"FAIL: {label}: {results[(args.n, label)]} queries > {args.max_queries}")
                failed = True
        return 1 if failed else 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if scratch and os.path.exists(scratch):
            os.unlink(scratch)


if __name__ == "__main__":
    sys.exit(main())
