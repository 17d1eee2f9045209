from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.regions import DEFAULT_PROVINCES, build_rows, write_fixture


class Command(BaseCommand):
    help = "Build fixtures/regions.json from the GB/T 2260 division list (and the portal's functional zones)."

    def add_arguments(self, parser):
        parser.add_argument("--source", default=str(settings.SHARED_DATA_DIR / "admin-divisions-2024.txt"))
        parser.add_argument("--as-of", default="2024-12-31")
        parser.add_argument("--provinces", default=",".join(DEFAULT_PROVINCES),
                            help="first two digits of the provinces to include")
        parser.add_argument("--output", default=str(settings.BASE_DIR / "fixtures" / "regions.json"))

    def handle(self, *args, **opts):
        rows = build_rows(Path(opts["source"]), opts["provinces"].split(","))
        write_fixture(
            rows, Path(opts["output"]),
            source="GB/T 2260 county-level-and-above division codes, Ministry of Civil Affairs, state at "
                   f"{opts['as_of']} (compiled by yescallop/areacodes, CC0 1.0); functional zones: portal codes",
            as_of=opts["as_of"],
        )
        self.stdout.write(f"{len(rows)} regions written to {opts['output']}")
