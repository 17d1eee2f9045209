from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.project.backup import backup


class Command(BaseCommand):
    help = "Write the database's rows and the uploaded files into one archive (.tar.gz); see README, Backup."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", default="", help="the archive to write (default: var/backups/portal-<time>.tar.gz)")

    def handle(self, *args, output="", **options):
        path = Path(output) if output else Path(settings.VAR_DIR) / "backups" / (
            "portal-" + timezone.localtime().strftime("%Y%m%d-%H%M%S") + ".tar.gz")
        manifest = backup(path)
        self.stdout.write(f"{path}: {sum(manifest['rows'].values())} rows, {len(manifest['files'])} files")
