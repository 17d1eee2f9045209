"""The dashboard's charts as XLSX: each sheet holds exactly the figures its chart shows."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

CHARTS = ("regions", "statuses", "industries", "deadlines")


def _rows(board, chart: str) -> tuple[str, list[str], list[list]]:
    if chart == "regions":
        return (_("Per region"), [_("Region"), _("Applications submitted"), _("Recommended"), _("Quota")],
                [[r.region.name, r.submitted, r.recommended,
                  _("no limit") if r.unlimited else ("" if r.quota is None else r.quota)] for r in board.regions])
    if chart == "statuses":
        return _("By status"), [_("Status"), _("Applications")], [[s["label"], s["count"]] for s in board.statuses]
    if chart == "industries":
        return (_("By industry"), [_("Industry"), _("Applications")],
                [[i["label"], i["count"]] for i in board.industries])
    return (_("Deadlines"), [_("Call"), _("Stage"), _("Deadline"), _("Days left")],
            [[d["call"], d["stage"], timezone.localtime(d["at"]).strftime("%Y-%m-%d %H:%M:%S"), d["days_left"]]
             for d in board.deadlines])


def chart_xlsx(board, chart: str) -> bytes:
    title, headers, rows = _rows(board, chart)
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([f"{title}{' · ' + board.call.title if board.call else ''}"])
    ws["A1"].font = Font(bold=True)
    ws.append(headers)
    for row in rows:
        ws.append(row)
    ws.column_dimensions["A"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
