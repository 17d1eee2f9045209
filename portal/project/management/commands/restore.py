from django.core.management.base import BaseCommand

from portal.project.backup import restore


class Command(BaseCommand):
    help = "Load an archive written by `backup` into an empty, migrated database and an empty media root."

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, archive="", **options):
        manifest = restore(archive)
        self.stdout.write(f"restored {sum(manifest['rows'].values())} rows and {len(manifest['files'])} files "
                          f"from {archive} (written {manifest['created_at']})")
