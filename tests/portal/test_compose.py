"""docker-compose.yml cannot rot unseen: its migrate, web and worker commands are started here,
as written, against the local PostgreSQL and Redis (no Docker engine needed)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from django.conf import settings

from tests.conftest import needs_worker

BASE = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((BASE / "docker-compose.yml").read_text(encoding="utf-8"))
DB_NAME = "portal_compose_check"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nginx_accepts_the_largest_material_slot_of_the_seeded_calls():
    import re

    nginx_conf = (BASE / "deploy" / "nginx.conf").read_text()
    limit_mb = int(re.search(r"client_max_body_size\s+(\d+)m;", nginx_conf).group(1))
    slots = [int(m) for path in (BASE / "fixtures" / "calls").glob("*.yaml")
             for m in re.findall(r"max_size_mb:\s*(\d+)", path.read_text(encoding="utf-8"))]
    assert slots and limit_mb > max(slots)  # room for the multipart envelope


def test_compose_describes_the_production_stack():
    services = COMPOSE["services"]
    assert {"db", "redis", "web", "worker", "beat", "nginx"} <= set(services)
    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:3] == ["celery", "-A", "portal.project"]
    assert "beat" in services["beat"]["command"]
    assert services["web"]["environment"]["DJANGO_ENV"] == "production"
    nginx_conf = (BASE / "deploy" / "nginx.conf").read_text()
    assert "proxy_pass http://portal_web" in nginx_conf and "client_max_body_size" in nginx_conf
    for name in ("web", "worker", "beat"):
        assert (BASE / services[name]["command"][0]).exists() is False  # a program, found on PATH
        assert Path(sys.executable).with_name(services[name]["command"][0]).exists()


def _env(port_db_url, redis_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(COMPOSE["services"]["web"]["environment"])
    env.update(
        DATABASE_URL=port_db_url,
        REDIS_URL=redis_url,
        SECRET_KEY="compose-check-" + "9fK2mQ7xLp4Rz8Tb3Vn6Wc1Hd5Jg0Ys" * 2,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        MEDIA_ROOT=str(BASE / "var" / "compose-media"),
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    )
    return env


def _recreate_database(admin_url):
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def _wait_http(url, headers, deadline_s=60):
    start = time.monotonic()
    last = None
    while time.monotonic() - start < deadline_s:
        try:
            req = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, resp.read().decode()
        except Exception as exc:  # not up yet
            last = exc
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer: {last}")


@needs_worker
def test_compose_web_and_worker_commands_run_against_local_services(tmp_path):
    db = settings.DATABASES["default"]
    host, port, user = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432, db.get("USER") or "postgres"
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    _recreate_database(f"postgresql://{auth}{host}:{port}/postgres")
    db_url = f"postgres://{auth}{host}:{port}/{DB_NAME}"
    redis_url = settings.REDIS_URL.rsplit("/", 1)[0] + "/9"
    env = _env(db_url, redis_url)

    migrate = subprocess.run(COMPOSE["services"]["migrate"]["command"], cwd=BASE, env=env, capture_output=True,
                             text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr

    # the image runs collectstatic at build time (Dockerfile); do the same here
    env["STATIC_ROOT"] = str(tmp_path / "static")
    static = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=BASE, env=env,
                            capture_output=True, text=True, timeout=300)
    assert static.returncode == 0, static.stderr

    web_cmd = list(COMPOSE["services"]["web"]["command"])
    http_port = free_port()
    web_cmd[web_cmd.index("--bind") + 1] = f"127.0.0.1:{http_port}"
    web_cmd[web_cmd.index("--workers") + 1] = "2"
    worker_cmd = list(COMPOSE["services"]["worker"]["command"]) + ["--hostname", f"compose-check-{os.getpid()}@%h"]
    procs = []
    try:
        procs.append(subprocess.Popen(web_cmd, cwd=BASE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        procs.append(subprocess.Popen(worker_cmd, cwd=BASE, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE))
        status, body = _wait_http(f"http://127.0.0.1:{http_port}/healthz", {})
        assert (status, body) == (200, "ok")
        # behind nginx the scheme arrives in X-Forwarded-Proto; the production settings trust it
        status, body = _wait_http(f"http://127.0.0.1:{http_port}/calls/", {"X-Forwarded-Proto": "https"})
        assert status == 200 and "<html" in body

        # a task sent to the broker is executed by the worker started from the compose command
        code = (
            "import django; django.setup();"
            "from programs.tasks import warn_missing_calendar_years as t;"
            "r = t.delay(); print(r.get(timeout=60))"
        )
        result = subprocess.run([sys.executable, "-c", code], cwd=BASE, env={**env, "DJANGO_SETTINGS_MODULE":
                                "portal.project.settings"}, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().startswith("[")  # the list of years without a calendar
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
