"""Load fixtures/rubrics/*.yaml as published rubric versions.

Idempotent by content: a file whose SHA-256 matches a stored version of its rubric creates
nothing; a changed file becomes a new published version (the old one stays, immutable).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.rubric_loader import RUBRIC_DIR
from scoring.services import RubricFileRefused, rubric_fixture_load


class Command(BaseCommand):
    help = "Load every fixtures/rubrics/*.yaml (or the given files) as published rubric versions."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="rubric files or directories (default: fixtures/rubrics/)")

    def handle(self, *args, **opts):
        files: list[Path] = []
        for p in [Path(x) for x in opts["paths"]] or [RUBRIC_DIR]:
            if p.is_dir():
                files.extend(sorted(p.glob("*.yaml")))
            elif p.is_file():
                files.append(p)
            else:
                raise CommandError(f"no such file or directory: {p}")
        failed = 0
        for path in files:
            try:
                version, created = rubric_fixture_load(path=path)
            except RubricFileRefused as exc:
                failed += 1
                self.stderr.write(f"{path.name}: refused")
                for m in exc.check.errors:
                    self.stderr.write(f"  - {m}")
                continue
            state = "loaded as version" if created else "unchanged, version"
            province = f" ({version.province.name})" if version.province else ""
            self.stdout.write(f"{path.name}: {version.rubric.code} {state} {version.version}{province}")
        if failed:
            raise CommandError(f"{failed} rubric file(s) refused")
