"""Score one enterprise (or a CSV of them) with a rubric, for bureaus doing initial scoring.

    python manage.py score_rubric gansu-2022-etc inputs.json        # one JSON object on stdout
    python manage.py score_rubric gansu-2022-etc - < inputs.json     # the same, from stdin
    python manage.py score_rubric gansu-2022-etc --batch firms.csv [--output scores.csv]
    python manage.py score_rubric gansu-2022-etc --schema            # the inputs, as JSON

CODE is the newest published version in the database (``--rubric-version N`` picks one), or the file
fixtures/rubrics/CODE.yaml when the database has none. The JSON printed is
``{"base", "bonus", "total", "items": [{"key", "label", "points", "max", "explanation"}, ...],
"missing", "eligible", "reasons"}`` with numbers in exact decimal text. A CSV has one row per
enterprise: the header names input keys (and optionally ``id`` and ``name``); the output has the
id/name, eligible, base, bonus, total, the points of every item, missing, reasons and error.
Bad input (unknown code, unreadable JSON or CSV, a value that is not a number) exits with status 1
and a message on stderr; a batch still writes every row and exits 1 if any row failed.
"""

from __future__ import annotations

import io
import sys

from django.core.management.base import BaseCommand, CommandError

from scoring.engine import to_json
from scoring.evaluation import (
    BadInput,
    evaluation_json,
    parse_inputs_text,
    schema_dict,
    score_csv,
    unknown_keys,
)
from scoring.selectors import UnknownRubric, resolve_rubric


class Command(BaseCommand):
    help = "Score inputs (a JSON object, or a CSV with one enterprise per row) with a rubric."

    def add_arguments(self, parser):
        parser.add_argument("code", help="rubric code, e.g. gansu-2022-etc")
        parser.add_argument("input", nargs="?", help="JSON file of inputs ('-' for stdin)")
        parser.add_argument("--batch", metavar="FILE.csv", help="score one enterprise per CSV row")
        parser.add_argument("--output", metavar="FILE", help="write the result here instead of stdout")
        parser.add_argument("--schema", action="store_true", help="print the inputs of the rubric as JSON")
        parser.add_argument("--rubric-version", dest="rubric_version", type=int, help="a published version number")
        parser.add_argument("--indent", type=int, default=None, help="indent the JSON output")

    def handle(self, *args, **opts):
        code = opts["code"]
        modes = sum(bool(x) for x in (opts["input"], opts["batch"], opts["schema"]))
        if modes != 1:
            raise CommandError("give exactly one of INPUT.json, --batch FILE.csv or --schema")
        try:
            resolved = resolve_rubric(code, version=opts["rubric_version"])
        except UnknownRubric:
            raise CommandError(f"unknown rubric {code!r} (no published version, no fixture file) / 未知的评分标准")
        rubric = resolved.rubric
        if resolved.version is not None and not resolved.version.is_published:
            raise CommandError(f"version {resolved.version.version} of {code!r} is not published")

        if opts["schema"]:
            number = resolved.version.version if resolved.version else None
            self._emit(to_json(schema_dict(rubric, number), indent=opts["indent"] if opts["indent"] is not None else 2), opts)
            return

        if opts["batch"]:
            self._batch(rubric, opts)
            return

        text = self._read(opts["input"], binary=True)
        try:
            inputs = parse_inputs_text(text)
            extra = unknown_keys(rubric, inputs)
            out = evaluation_json(rubric, inputs, indent=opts["indent"])
        except BadInput as exc:
            raise CommandError(str(exc))
        if extra:
            self.stderr.write(f"warning: unknown input keys ignored / 未知输入项已忽略: {', '.join(extra)}")
        self._emit(out, opts)

    def _read(self, path: str, binary: bool = False):
        if path == "-":
            return sys.stdin.buffer.read() if binary else sys.stdin.read()
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}")

    def _emit(self, text: str, opts) -> None:
        if opts["output"]:
            try:
                with open(opts["output"], "w", encoding="utf-8") as f:
                    f.write(text + "\n")
            except OSError as exc:
                raise CommandError(f"cannot write {opts['output']}: {exc.strerror or exc}")
        else:
            self.stdout.write(text)

    def _batch(self, rubric, opts) -> None:
        raw = self._read(opts["batch"], binary=True)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(f"{opts['batch']} is not UTF-8 text (save the CSV as UTF-8) / CSV 文件应为 UTF-8 编码")
        buf = io.StringIO()
        try:
            done, failed, unknown = score_csv(rubric, io.StringIO(text, newline=""), buf)
        except BadInput as exc:
            raise CommandError(str(exc))
        if unknown:
            self.stderr.write(f"warning: unknown columns ignored / 未知列已忽略: {', '.join(unknown)}")
        if opts["output"]:
            try:
                # with a BOM, so that Excel opens the Chinese text correctly
                with open(opts["output"], "w", encoding="utf-8-sig", newline="") as f:
                    f.write(buf.getvalue())
            except OSError as exc:
                raise CommandError(f"cannot write {opts['output']}: {exc.strerror or exc}")
        else:
            self.stdout.write(buf.getvalue(), ending="")
        if failed:
            raise CommandError(f"{failed} of {done} rows could not be scored (see the error column) / {failed} 行无法评分")
