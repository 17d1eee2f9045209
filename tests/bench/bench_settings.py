"""Settings of the web benchmark's server (bench_web.py): the portal's own settings, with the bare
reference page added to the URLs and without DEBUG."""

from portal.project.settings import *  # noqa: F401,F403

ROOT_URLCONF = "tests.bench.bench_urls"
DEBUG = False
