"""Reading an uploaded XLSX table for an import: the first sheet, a header row naming the columns
(in Chinese or English), then one record per row. Each record keeps its row number in the sheet so
that a preview can say which row is wrong and why."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


@dataclass
class RowProblem:
    row: int  # the row number in the sheet (the header is row 1)
    column: str  # the column's label as the sheet names it
    message: str


@dataclass
class ImportCheck:
    """What an import would store, and every problem found; nothing is stored unless `ok`."""

    records: list[dict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.records) and not self.problems

    def add(self, row: int, column: str, message: str) -> None:
        self.problems.append(RowProblem(row=row, column=str(column), message=str(message)))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(content: bytes, columns: dict[str, tuple[str, ...]]) -> list[tuple[int, dict]]:
    """The rows of the first sheet as (row number, {key: text}); `columns` maps each key to the
    header names that may stand for it. Refuses a file that is not a workbook or lacks a column."""
    import openpyxl  # noqa: PLC0415 - loaded only by the import pages

    if len(content) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 5 MB."))
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ValidationError(_("The file is not an Excel workbook (.xlsx).")) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_cell(v) for v in next(rows, ())]
    positions = {}
    for key, names in columns.items():
        wanted = {n.lower() for n in names}
        found = next((i for i, h in enumerate(header) if h.lower() in wanted), None)
        if found is None:
            raise ValidationError(_("The first row must name the column “%(name)s”.") % {"name": names[0]})
        positions[key] = found
    out = []
    for number, values in enumerate(rows, start=2):
        values = list(values or ())
        record = {key: _cell(values[i]) if i < len(values) else "" for key, i in positions.items()}
        if not any(record.values()):
            continue  # an empty row
        out.append((number, record))
        if len(out) > MAX_ROWS:
            raise ValidationError(_("The file has more than %(n)d rows; split it.") % {"n": MAX_ROWS})
    book.close()
    return out
