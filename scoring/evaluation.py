"""Reading inputs and writing results the same way for the command line and the API.

``score_rubric CODE INPUT.json`` and ``POST /api/rubrics/{code}/evaluate`` both go through
:func:`parse_inputs_text` / :func:`check_inputs` and :func:`evaluation_json`, so they print the
same JSON: ``{"base", "bonus", "total", "items": [{"key", "label", "points", "max",
"explanation"}], "missing", "eligible", "reasons"}`` with numbers written as JSON numbers holding
their exact decimal text (never through a float).
"""

from __future__ import annotations

import csv
from typing import Any, Iterable, Mapping

from portal import json_input

from .engine import InputError, Result, Rubric, evaluate, fmt, schema, to_json

ID_COLUMNS = ("id", "name")
FIXED_COLUMNS = ("eligible", "base", "bonus", "total")
TAIL_COLUMNS = ("missing", "reasons", "error")


class BadInput(ValueError):
    """Inputs that cannot be scored. ``errors`` maps input key -> message (may be empty)."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None):
        self.message = message
        self.errors = dict(errors or {})
        super().__init__(message if not self.errors else message + ": " + "; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def parse_inputs_text(text: str | bytes) -> dict:
    """Parse a JSON object of inputs; numbers are read as exact Decimals. Raises BadInput."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadInput("the input is not UTF-8 text / 输入不是 UTF-8 文本") from None
    try:
        data = json_input.loads(text)  # the portal's one JSON reader: exact Decimals, NaN refused
    except json_input.BadJSON as exc:
        raise BadInput(f"the input is not valid JSON / 输入不是有效的 JSON: {exc}") from None
    return unwrap_inputs(data)


def unwrap_inputs(data: Any) -> dict:
    """The inputs mapping: the object itself, or its ``inputs`` member when it wraps one."""
    if isinstance(data, Mapping) and isinstance(data.get("inputs"), Mapping) and set(data) <= {"inputs", "id", "name"}:
        data = data["inputs"]
    if not isinstance(data, Mapping):
        raise BadInput("the input must be a JSON object of input keys and values / 输入应为“输入项: 数值”的 JSON 对象")
    return dict(data)


def check_inputs(inputs: Mapping[str, Any]) -> None:
    """Values must be scalars (number, text, true/false or null). Raises BadInput."""
    bad = {str(k): "must be a number, text, true/false or null / 应为数值、文本、是否或空"
           for k, v in inputs.items() if isinstance(v, (dict, list, tuple))}
    if bad:
        raise BadInput("some values are not scalars / 部分取值无效", bad)


def unknown_keys(rubric: Rubric, inputs: Mapping[str, Any]) -> list[str]:
    return [k for k in inputs if k not in rubric.inputs and k not in ID_COLUMNS]


def evaluate_inputs(rubric: Rubric, inputs: Mapping[str, Any]) -> Result:
    check_inputs(inputs)
    try:
        return evaluate(rubric, inputs)
    except InputError as exc:
        raise BadInput("some inputs cannot be read / 部分输入无法识别", exc.errors) from None


def evaluation_dict(rubric: Rubric, inputs: Mapping[str, Any]) -> dict:
    return evaluate_inputs(rubric, inputs).to_dict()


def evaluation_json(rubric: Rubric, inputs: Mapping[str, Any], indent: int | None = None) -> str:
    """The command's and the API's JSON text for `inputs`. Raises BadInput."""
    return to_json(evaluation_dict(rubric, inputs), indent=indent)


def schema_dict(rubric: Rubric, version: int | None = None) -> dict:

    return {
        "code": rubric.code,
        "version": version,
        "label": rubric.version,
        "title": {"zh": rubric.title_zh, "en": rubric.title_en},
        "inputs": schema(rubric),
    }


def batch_header(rubric: Rubric, id_columns: Iterable[str]) -> list[str]:
    taken = set(ID_COLUMNS) | set(FIXED_COLUMNS) | set(TAIL_COLUMNS)
    items = [it.key if it.key not in taken else f"item_{it.key}" for it in rubric.all_items]
    return [*id_columns, *FIXED_COLUMNS, *items, *TAIL_COLUMNS]


def score_rows(rubric: Rubric, rows: Iterable[Mapping[str, str]], id_columns: list[str]) -> Iterable[tuple[list, bool]]:
    """Score CSV rows; yields (output row, ok). A row that cannot be read gets its message in the
    ``error`` column and empty scores."""
    n_items = len(rubric.all_items)
    for row in rows:
        ids = [row.get(c) or "" for c in id_columns]
        inputs = {k: v for k, v in row.items() if k in rubric.inputs}
        try:
            result = evaluate_inputs(rubric, inputs)
        except BadInput as exc:
            yield [*ids, "", "", "", "", *([""] * n_items), "", "", str(exc)], False
            continue
        yield [
            *ids,
            "true" if result.eligible else "false",
            fmt(result.base),
            fmt(result.bonus),
            fmt(result.total),
            *(fmt(it.points) for it in result.items),
            ";".join(result.missing),
            "；".join(result.reasons),
            "",
        ], True


def score_csv(rubric: Rubric, source, out) -> tuple[int, int, list[str]]:
    """Score a CSV (header = input keys, optional id / name columns) into `out`.

    Returns (rows scored, rows with errors, unknown columns)."""
    reader = csv.DictReader(source)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    if not header:
        raise BadInput("the CSV file has no header row / CSV 文件缺少表头")
    id_columns = [c for c in ID_COLUMNS if c in header]
    unknown = [h for h in header if h not in rubric.inputs and h not in ID_COLUMNS]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(batch_header(rubric, id_columns))
    done = failed = 0
    for row, ok in score_rows(rubric, reader, id_columns):
        writer.writerow(row)
        done += 1
        failed += 0 if ok else 1
    return done, failed, unknown
