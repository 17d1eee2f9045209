"""The settings module: embedded default, production hardening."""

import os
import subprocess
import sys

from django.conf import settings

BASE = str(settings.BASE_DIR)


def run_manage(*args, env_extra=None, drop=()):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for the live server thread; a deployment never does.
    env = {k: v for k, v in os.environ.items() if k not in drop and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE, env=env, capture_output=True, text=True, timeout=120
    )


PROD = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3y-for-the-deploy-check-" + "x7Qp2Lm9Zr4Tn8Vb1Cw6Hd3Jf5Gs0Ka" * 2,
    "ALLOWED_HOSTS": "portal.example.cn",
}


def test_production_passes_check_deploy_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PROD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = dict(PROD)
    env.pop("SECRET_KEY")
    result = run_manage("check", env_extra=env, drop=("SECRET_KEY",))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "refuses to start" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = dict(PROD)
    env.pop("ALLOWED_HOSTS")
    result = run_manage("check", env_extra=env, drop=("ALLOWED_HOSTS",))
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_embedded_default_when_nothing_is_set(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.project.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.LANGUAGE_CODE, s.TIME_ZONE,"
        " s.EMAIL_BACKEND, str(s.MEDIA_ROOT).endswith('var/media'))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "EMAIL_URL")}
    out = subprocess.run([sys.executable, "-c", code], cwd=BASE, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "django.db.backends.sqlite3", "True", "zh-hans", "Asia/Shanghai",
        "django.core.mail.backends.console.EmailBackend", "True",
    ]


def test_database_and_redis_urls_switch_to_postgres_and_real_workers():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.project.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )
    env = dict(os.environ, DATABASE_URL="postgres://postgres@127.0.0.1:5432/x", REDIS_URL="redis://127.0.0.1:6379/3")
    out = subprocess.run([sys.executable, "-c", code], cwd=BASE, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["django.db.backends.postgresql", "False", "redis://127.0.0.1:6379/3"]


def test_every_beat_schedule_entry_names_a_task_the_worker_knows():
    from portal.project.celery import app

    app.loader.import_default_modules()
    names = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "submissions.review.tasks.send_stage_deadline_reminders" in names
    unknown = [name for name in names if name not in app.tasks]
    assert unknown == []
