"""XLSX export of selected applications (openpyxl), laid out like the recommendation summary
table of seed 000 附件1 plus the review columns. The caller passes rows already scoped by the
access layer (e.g. ``selectors_review.queue_base(actor).filter(pk__in=...)``)."""

from __future__ import annotations

import io
from typing import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter


def applications_xlsx(applications: Iterable, *, title: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Applications")[:31]
    headers = [
        _("No."), _("Applicant"), _("Unified social credit code"), _("Industry"), _("Main business"),
        _("Region"), _("Call"), _("Status"), _("With"), _("Self-score"), _("Bureau score"), _("Submitted at"),
        _("Receipt number"),
    ]
    row_offset = 1
    if title:
        ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
        row_offset = 2
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=row_offset, column=col, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for n, app in enumerate(applications, start=1):
        org = app.organization
        submitted = timezone.localtime(app.submitted_at).replace(tzinfo=None) if app.submitted_at else None
        bureau = getattr(app, "bureau_score", None)
        values = [
            n, org.name, org.credit_code or "", org.industry, org.main_business, app.region.full_name,
            app.call.title, app.get_status_display(), app.get_level_display() if app.level else "",
            float(app.self_score) if app.self_score is not None else None,
            float(bureau) if bureau is not None else None,
            submitted, app.number,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row_offset + n, column=col, value=value)
            if col == 3:
                cell.number_format = "@"  # the credit code is text, never a number
            if col == 12 and value is not None:
                cell.number_format = "yyyy-mm-dd hh:mm"
    widths = [6, 32, 22, 16, 28, 20, 36, 18, 14, 10, 10, 18, 18]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=row_offset + 1, column=1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
