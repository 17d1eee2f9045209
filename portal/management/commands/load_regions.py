from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.regions import load_fixture


class Command(BaseCommand):
    help = "Load the region tree from fixtures/regions.json (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.BASE_DIR / "fixtures" / "regions.json"))

    def handle(self, *args, **opts):
        created, updated = load_fixture(Path(opts["path"]))
        self.stdout.write(f"regions: {created} created, {updated} updated")
