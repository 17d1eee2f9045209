"""The portal under load, side by side in one run: the county queue page (2,000 and 20,000
applications in one county), the autosave endpoint and a bare reference page, each under 20
concurrent clients against gunicorn (4 sync workers) and PostgreSQL; then a deadline-day scenario
(50 applicants autosaving, uploading and submitting for 60 s), checked afterwards: every
submission has its receipt and no saved text was lost.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal make bench-web
      .venv/bin/python tests/bench/bench_web.py [--seconds 15] [--day-seconds 60] [--clients 20]

The data lives in a database of its own (``bench_web_<pid>`` on the DATABASE_URL's server), created,
filled with bulk inserts followed by ANALYZE, and dropped at the end. The bare page
(tests/bench/bench_urls.py) renders 50 rows from 5 simple queries behind the same middleware and
login. Clients are threads of this process, each opening a connection per request (gunicorn's
sync workers close it after each answer). "CPU/req" is the gunicorn workers' CPU time (user +
system, from /proc) divided by the requests served in that scenario; PostgreSQL's own CPU is not in it.
The last line reads: ``queue/bare at 2000: R; at 20000: R; autosave p95: N ms``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.bench_settings")
os.environ.setdefault("DJANGO_ENV", "test")

HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the database -----------------------------------------------------------------------------------


def setup_database():
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench_web needs PostgreSQL: set DATABASE_URL=postgres://...")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    name = f"bench_web_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = name
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return connection, old_name, name


def seed_queue(world, call, n: int, start: int) -> None:
    """n submitted applications in 章贡区 at the county (with their form data), half of them scored."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from portal.constants import OrgKind
    from portal.creditcode import make_credit_code
    from portal.models import Organization
    from submissions.constants import Status
    from submissions.models import Application, Receipt, Review

    statuses = [Status.SUBMITTED, Status.UNDER_REVIEW, Status.UNDER_REVIEW, Status.RECOMMENDED, Status.RETURNED]
    now = timezone.now()
    for chunk in range(start, start + n, 2000):
        size = min(2000, start + n - chunk)
        orgs = Organization.objects.bulk_create([
            Organization(name=f"章贡基准企业{chunk + i:05d}有限公司", kind=OrgKind.ENTERPRISE, region=world.zhanggong,
                         credit_code=make_credit_code(f"91360702MB{chunk + i:07d}"[:17]))
            for i in range(size)
        ])
        apps = Application.objects.bulk_create([
            Application(call=call, organization=org, region=world.zhanggong, province=world.jx, level="county",
                        status=statuses[(chunk + i) % 5], routing=["county", "city", "province"],
                        title=f"{org.name} · {call.title}", self_score=Decimal(40 + (chunk + i) % 60),
                        submitted_at=now - dt.timedelta(minutes=chunk + i), number=f"B{chunk + i:08d}",
                        data={"summary": "企业技术中心成立于2015年，拥有研发人员30人。" * 40},
                        revision_deadline=now + dt.timedelta(days=3) if (chunk + i) % 5 == 4 else None)
            for i, org in enumerate(orgs)
        ])
        Review.objects.bulk_create([
            Review(application=a, level="county", reviewer=world.county_reviewer, score=Decimal(50 + i % 40),
                   opinion="同意")
            for i, a in enumerate(apps) if i % 2 == 0
        ])
        Receipt.objects.bulk_create([
            Receipt(application=a, number=f"B{chunk + i:08d}", submitted_at=a.submitted_at, fingerprint="0" * 64,
                    snapshot={})
            for i, a in enumerate(apps)
        ])


def seed_applicants(world, call, n: int) -> list[dict]:
    """n applicant organizations in 章贡区, each with an administrator and a complete draft."""
    from portal.constants import OrgKind, Role
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
    from tests.submissions.test_applicant_support import ready

    out = []
    for i in range(n):
        org = OrganizationFactory(name=f"章贡截止日企业{i:03d}", kind=OrgKind.ENTERPRISE, region=world.zhanggong)
        user = UserFactory(username=f"deadline_admin_{i:03d}")
        MembershipFactory(user=user, organization=org, role=Role.APPLICANT_ADMIN)
        app = ready(user, call)
        out.append({"user": user, "app": app.pk, "version": app.version})
    return out


def session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


# --- the server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(db_name: str, port: int, log: Path) -> subprocess.Popen:
    url = urlsplit(os.environ["DATABASE_URL"])
    env = {**os.environ, "DATABASE_URL": urlunsplit(url._replace(path="/" + db_name)),
           "DJANGO_SETTINGS_MODULE": "tests.bench.bench_settings", "DJANGO_ENV": "test", "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)  # tasks run in-process, as in the embedded default
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.project.wsgi", "--workers", "4", "--worker-class", "sync",
         "--bind", f"{HOST}:{port}", "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _body, _h = request(port, "GET", "/healthz")
            if status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    stop_gunicorn(proc)
    sys.exit(f"gunicorn did not start; see {log}")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def workers_cpu(proc: subprocess.Popen) -> float:
    """CPU seconds (user + system) of gunicorn's worker processes so far."""
    total = 0.0
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        return 0.0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


# --- the clients ------------------------------------------------------------------------------------


def request(port: int, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, dict(response.getheaders())
    finally:
        conn.close()


CSRF = "benchcsrfsecret0123456789abcdefX"  # 32 characters: the cookie's secret and the header's token


def auth_headers(session: str) -> dict:
    return {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF, "Accept-Language": "zh-hans"}


def form_body(fields: dict) -> tuple[bytes, str]:
    from urllib.parse import urlencode

    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode())
    for name, (filename, content, ctype) in files.items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                     f"Content-Type: {ctype}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Result:
    label: str
    latencies: list = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.n * 1000 if self.n else float("nan")


def run_closed_loop(label: str, port: int, proc, clients: list, seconds: float, make_request) -> Result:
    """`len(clients)` threads, each sending its next request as soon as the previous one is answered."""
    result = Result(label)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(state):
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            try:
                ok = make_request(state)
            except OSError:
                ok = False
            elapsed = time.perf_counter() - t0
            with lock:
                if ok:
                    result.latencies.append(elapsed)
                else:
                    result.errors += 1

    threads = [threading.Thread(target=worker, args=(state,)) for state in clients]
    cpu0, t0 = workers_cpu(proc), time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds, result.cpu = time.monotonic() - t0, workers_cpu(proc) - cpu0
    return result


def get_page(port: int, path: str, marker: bytes):
    def make(state) -> bool:
        status, body, _h = request(port, "GET", path, headers=auth_headers(state["session"]))
        return status == 200 and marker in body
    return make


def autosave(port: int):
    def make(state) -> bool:
        state["n"] = state.get("n", 0) + 1
        text = f"{state['name']} 第{state['n']}次保存：研发投入持续增长。"
        body, ctype = form_body({"version": state["version"], "summary": text})
        status, data, _h = request(port, "POST", f"/my/applications/{state['app']}/autosave/", body=body,
                                   headers={**auth_headers(state["session"]), "Content-Type": ctype,
                                            "X-Requested-With": "fetch"})
        if status != 200:
            return False
        import json

        state["version"] = json.loads(data)["version"]
        state["saved"] = text
        return True
    return make


# --- the deadline day -------------------------------------------------------------------------------


def deadline_day(port: int, proc, applicants: list, seconds: float, pdf: bytes, material_id: int) -> dict:
    """Each applicant autosaves about once a second, uploads a scan twice, and submits between 60%
    and 90% of the way through; the clocks start together."""
    results = {k: Result(k) for k in ("autosave", "upload", "submit")}
    lock = threading.Lock()
    start = time.monotonic()
    rng = random.Random(2026)
    for a in applicants:
        a["submit_at"] = seconds * rng.uniform(0.6, 0.9)
        a["uploads_at"] = sorted(rng.uniform(0.1, 0.55) * seconds for _ in range(2))
        a["submitted"] = False
        a["receipt_url"] = ""

    def timed(kind, fn):
        t0 = time.perf_counter()
        try:
            ok = fn()
        except OSError:
            ok = False
        with lock:
            if ok:
                results[kind].latencies.append(time.perf_counter() - t0)
            else:
                results[kind].errors += 1
        return ok

    def applicant(a):
        headers = auth_headers(a["session"])
        save = autosave(port)
        # saves and uploads until the applicant's moment to submit (or the day's end), then the submission
        # (tried again a second later if it fails, for up to 30 s after the day's end)
        while not a["submitted"] and time.monotonic() - start < seconds + 30:
            now = time.monotonic() - start
            if now >= seconds:
                a["submit_at"] = min(a["submit_at"], now)
            if a["uploads_at"] and now >= a["uploads_at"][0] and now < a["submit_at"]:
                a["uploads_at"].pop(0)

                def upload():
                    body, ctype = multipart({}, {"file": ("扫描件.pdf", pdf, "application/pdf")})
                    status, _d, _h = request(port, "POST", f"/my/applications/{a['app']}/materials/{material_id}/upload/",
                                             body=body, headers={**headers, "Content-Type": ctype,
                                                                 "X-Requested-With": "fetch"})
                    return status == 201
                timed("upload", upload)
            elif now >= a["submit_at"]:
                def submit():
                    status, _d, h = request(port, "POST", f"/my/applications/{a['app']}/submit/", body=b"",
                                            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})
                    a["receipt_url"] = h.get("Location", "")
                    return status == 302 and "/receipts/" in a["receipt_url"]
                a["submitted"] = timed("submit", submit)
                if not a["submitted"]:
                    a["submit_at"] = now + 1  # try again in a second
            else:
                timed("autosave", lambda: save(a))
                time.sleep(max(0.0, 1.0 - (time.monotonic() - start - now)))

    threads = [threading.Thread(target=applicant, args=(a,)) for a in applicants]
    cpu0 = workers_cpu(proc)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    for r in results.values():
        r.seconds = elapsed
    results["cpu"] = workers_cpu(proc) - cpu0
    return results


def verify_deadline_day(applicants: list) -> list[str]:
    from submissions.constants import Status
    from submissions.models import Application, DraftConflict, Receipt

    problems = []
    for a in applicants:
        app = Application.objects.get(pk=a["app"])
        if not a["submitted"]:
            problems.append(f"application {app.pk} was not submitted")
            continue
        if app.status != Status.SUBMITTED:
            problems.append(f"application {app.pk} is {app.status}, not submitted")
        if not Receipt.objects.filter(application=app).exists():
            problems.append(f"application {app.pk} has no receipt")
        if a.get("saved") and app.data.get("summary") != a["saved"]:
            problems.append(f"application {app.pk}: the last saved text is not the stored one")
    conflicts = DraftConflict.objects.filter(application_id__in=[a["app"] for a in applicants]).count()
    if conflicts:
        problems.append(f"{conflicts} saves were refused as conflicts")
    return problems


# --- the report -------------------------------------------------------------------------------------


def row(r: Result, bare: Result | None = None) -> str:
    ratio = f"{r.rps / bare.rps:5.2f}" if bare and bare.rps else "    -"
    cpu = f"{r.cpu_ms:8.1f}" if r.cpu else "       -"
    return (f"  {r.label:<34} {r.n:>6} {r.errors:>4} {r.rps:8.1f} {r.pct(50):8.0f} {r.pct(95):8.0f} "
            f"{r.pct(99):8.0f} {cpu} {ratio}")


HEADER = (f"  {'scenario':<34} {'req':>6} {'err':>4} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'CPU/req':>8} {'/bare':>5}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="duration of each side-by-side scenario")
    parser.add_argument("--day-seconds", type=float, default=60, help="duration of the deadline day")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--applicants", type=int, default=50)
    parser.add_argument("--large", type=int, default=20000)
    args = parser.parse_args()

    connection, old_name, db_name = setup_database()
    proc = None
    log = Path(os.environ.get("BENCH_LOG", "/tmp")) / f"bench_web_gunicorn_{os.getpid()}.log"
    try:
        import datetime as dt

        from django.utils import timezone

        from portal.dbstats import analyze
        from programs.models import Stage
        from tests.conftest import build_world
        from tests.factories import CallFactory
        from tests.submissions.test_applicant_support import make_call, pdf_bytes

        t_seed = time.monotonic()
        world = build_world()
        queue_call = CallFactory(code="bench-web-queue", province=world.jx)
        Stage.objects.create(call=queue_call, order=1, level="applicant", name="企业申报", deadline_kind="absolute",
                             deadline_at=timezone.now() - dt.timedelta(days=3))
        Stage.objects.create(call=queue_call, order=2, level="county", name="县级审核推荐", deadline_kind="absolute",
                             deadline_at=timezone.now() + dt.timedelta(days=10))
        filing_call = make_call(world.jx, code="bench-web-filing")
        material_id = filing_call.materials.get(code="evidence").pk
        applicants = seed_applicants(world, filing_call, max(args.applicants, args.clients))
        seed_queue(world, queue_call, 2000, 0)
        analyze()
        reviewer = session_cookie(world.county_reviewer)
        for a in applicants:
            a["session"], a["name"] = session_cookie(a["user"]), a["user"].username
        connection.close()
        print(f"seeded in {time.monotonic() - t_seed:.0f} s; database {db_name}")

        port = free_port()
        proc = start_gunicorn(db_name, port, log)
        reviewers = [{"session": reviewer} for _ in range(args.clients)]
        bare_page = get_page(port, "/bench/bare/", b'data-row="')
        queue_page = get_page(port, "/review/", b'data-app="')
        for make in (bare_page, queue_page):  # warm every worker up
            for _ in range(8):
                make(reviewers[0])

        results = {}
        results["bare"] = run_closed_loop("bare page (5 queries, 50 rows)", port, proc, reviewers, args.seconds,
                                          bare_page)
        results["q2000"] = run_closed_loop("queue, 2,000 in the county", port, proc, reviewers, args.seconds,
                                           queue_page)
        results["autosave"] = run_closed_loop("autosave (20 drafts)", port, proc, applicants[:args.clients],
                                              args.seconds, autosave(port))
        seed_queue(world, queue_call, args.large - 2000, 2000)
        analyze()
        connection.close()
        for _ in range(8):
            queue_page(reviewers[0])
        results["q20000"] = run_closed_loop(f"queue, {args.large:,} in the county", port, proc, reviewers,
                                            args.seconds, queue_page)
        results["bare2"] = run_closed_loop("bare page again", port, proc, reviewers, args.seconds, bare_page)

        load = os.getloadavg()
        print(f"\n{args.clients} concurrent clients, {args.seconds:.0f} s each, gunicorn 4 sync workers, "
              f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(HEADER)
        bare = results["bare"]
        for key in ("bare", "q2000", "q20000", "autosave", "bare2"):
            print(row(results[key], bare))

        pdf = pdf_bytes(3)
        day = deadline_day(port, proc, applicants[:args.applicants], args.day_seconds, pdf, material_id)
        load = os.getloadavg()
        print(f"\ndeadline day: {args.applicants} applicants for {args.day_seconds:.0f} s "
              f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
        print(HEADER.replace("CPU/req", "       "))
        for key in ("autosave", "upload", "submit"):
            print(row(day[key]))
        served = sum(day[k].n for k in ("autosave", "upload", "submit"))
        print(f"  gunicorn workers' CPU over the day: {day['cpu']:.1f} s for {served} requests "
              f"({day['cpu'] / max(served, 1) * 1000:.1f} ms each)")
        problems = verify_deadline_day(applicants[:args.applicants])
        submitted = sum(1 for a in applicants[:args.applicants] if a["submitted"])
        if problems:
            print("deadline day FAILED:\n  " + "\n  ".join(problems[:20]))
        else:
            print(f"deadline day checked: {submitted} submissions, each with its receipt; every last saved text "
                  "is the stored one; no save refused")

        ratio_small = results["q2000"].rps / bare.rps if bare.rps else 0
        ratio_large = results["q20000"].rps / bare.rps if bare.rps else 0
        time_ratio = results["q20000"].pct(50) / results["q2000"].pct(50) if results["q2000"].n else 0
        print(f"\ntargets: queue >= 1/2 of bare at 2,000 ({ratio_small:.2f}); time at {args.large:,} <= 1.5x "
              f"at 2,000 (p50 {time_ratio:.2f}x); autosave <= 15 ms CPU ({results['autosave'].cpu_ms:.1f}), "
              f"p95 < 300 ms ({results['autosave'].pct(95):.0f})")
        print(f"queue/bare at 2000: {ratio_small:.2f}; at {args.large}: {ratio_large:.2f}; "
              f"autosave p95: {results['autosave'].pct(95):.0f} ms")
        return 1 if problems else 0
    finally:
        if proc is not None:
            stop_gunicorn(proc)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
