from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from programs.loaders import FixtureError, load_paths


def default_paths() -> list[Path]:
    fixtures = Path(settings.BASE_DIR) / "fixtures"
    return [fixtures / "programs.yaml", *sorted((fixtures / "calls").glob("*.yaml"))]


class Command(BaseCommand):
    help = (
        "Load program types and calls from YAML fixtures (idempotent). Default: fixtures/programs.yaml, "
        "then every fixtures/calls/*.yaml. Files or directories may be given instead; a file with a "
        "top-level 'program_types' list is loaded as program types, any other as calls."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="YAML files or directories (default: the fixtures).")

    def handle(self, *args, **opts):
        paths = [Path(p) for p in opts["paths"]] or default_paths()
        try:
            report = load_paths(paths)
        except FixtureError as exc:
            raise CommandError(str(exc)) from exc
        for path in report.files:
            self.stdout.write(f"read {path}")
        types = report.program_types
        if any(types.values()):
            self.stdout.write(
                "program types: " + ", ".join(f"{len(codes)} {state}" for state, codes in types.items())
            )
            for state in ("created", "updated"):
                if types[state]:
                    self.stdout.write(f"  {state}: {', '.join(types[state])}")
        for result in report.calls:
            self.stdout.write(f"call {result.describe()}")
        tally = {}
        for result in report.calls:
            tally[result.action] = tally.get(result.action, 0) + 1
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.calls)} calls: " + ", ".join(f"{n} {state}" for state, n in sorted(tally.items()))
                if report.calls
                else "no calls"
            )
        )
