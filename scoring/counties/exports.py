"""The ranking table of a round as XLSX (openpyxl) and PDF (WeasyPrint, one lean page per class
table; nothing fetched from outside)."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from weasyprint import HTML
from weasyprint.urls import URLFetcher


def title_of(table) -> str:
    r = table.round
    return _("%(city)s county evaluation, %(year)d Q%(q)d: ranking by class") % {
        "city": r.city.name, "year": r.year, "q": r.quarter}


def headers(table) -> list[str]:
    return [_("Rank"), _("County"), *[f"{g['label']} ({g['max']})" for g in table.groups], _("Bonus"), _("Total"),
            _("Remark")]


def remark(row) -> str:
    parts = []
    if row["praised"]:
        parts.append(_("praised"))
    if row["interviewed"]:
        parts.append(_("interviewed"))
    parts.extend(row["reasons"])
    return "；".join(str(p) for p in parts)


def ranking_xlsx(table) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Ranking")[:31]
    ws.append([title_of(table)])
    ws["A1"].font = Font(bold=True)
    for cls in table.classes:
        ws.append([])
        ws.append([cls["label"]])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        ws.append(headers(table))
        for row in cls["rows"]:
            ws.append([row["rank"], row["name"], *row["groups"], row["bonus"], row["total"], remark(row)])
    ws.column_dimensions["B"].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class _NoFetch(URLFetcher):
    def fetch(self, url, headers=None):
        raise ValueError("the ranking document loads nothing from outside")


def ranking_pdf(table) -> bytes:
    html = render_to_string("scoring/counties/ranking_pdf.html", {
        "title": title_of(table), "headers": headers(table),
        "classes": [{"label": c["label"], "rows": [{**r, "remark": remark(r)} for r in c["rows"]]}
                    for c in table.classes],
    })
    return HTML(string=html, url_fetcher=_NoFetch(allowed_protocols=set()), base_url=None).write_pdf()
