"""XLSX export of selected applications (openpyxl), laid out like the recommendation summary
table of seed 000 附件1 plus the review columns, then one column per declaration of the calls'
forms (e.g. the serious-violation statement of the Ganzhou summary table), valued 是/否. The
caller passes rows already scoped by the access layer (e.g.
``selectors_review.queue_base(actor).filter(pk__in=...)``, which annotates the bureau's score)."""

from __future__ import annotations

import io
from typing import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from submissions.forms import form_spec, get_path
from submissions.models import Review
from submissions.review.selectors import declared_flag


def _declaration_columns(apps: list) -> tuple[list[str], dict[int, dict[str, str]]]:
    """The declarations of the calls of `apps` (one column per statement, in the forms' order; the
    same statement in two calls shares its column) and, per call, which column each path fills."""

    texts: list[str] = []
    by_call: dict[int, dict[str, str]] = {}
    for app in apps:
        if app.call_id in by_call:
            continue
        paths = {}
        for f in form_spec(app.call).declarations:
            text = str(f.label).strip() or f.path
            paths[f.path] = text
            if text not in texts:
                texts.append(text)
        by_call[app.call_id] = paths
    return texts, by_call


def _bureau_score(app):
    """The bureau's score at the application's current level (annotated by the queue, else read)."""
    if hasattr(app, "bureau_score"):
        return app.bureau_score

    return Review.objects.filter(application=app, level=app.level).values_list("score", flat=True).first()


def applications_xlsx(applications: Iterable, *, title: str = "") -> bytes:

    apps = list(applications)
    declarations, by_call = _declaration_columns(apps)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Applications")[:31]
    headers = [
        _("No."), _("Applicant"), _("Unified social credit code"), _("Industry"), _("Main business"),
        _("Region"), _("Call"), _("Status"), _("With"), _("Self-score"), _("Bureau score"), _("Submitted at"),
        _("Receipt number"),
    ]
    date_col = headers.index(_("Submitted at")) + 1
    headers += [_("Declaration: %(text)s") % {"text": text} for text in declarations]
    row_offset = 1
    if title:
        ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
        row_offset = 2
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=row_offset, column=col, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    yes, no = _("Yes"), _("No")
    for n, app in enumerate(apps, start=1):
        org = app.organization
        submitted = timezone.localtime(app.submitted_at).replace(tzinfo=None) if app.submitted_at else None
        bureau = _bureau_score(app)
        receipt = app.current_receipt()
        values = [
            n, org.name, org.credit_code or "", org.industry, org.main_business, app.region.full_name,
            app.call.title, app.get_status_display(), app.get_level_display() if app.level else "",
            float(app.self_score) if app.self_score is not None else None,
            float(bureau) if bureau is not None else None,
            submitted, receipt.number if receipt else "",
        ]
        stated = {text: path for path, text in by_call.get(app.call_id, {}).items()}
        for text in declarations:
            path = stated.get(text)
            if path is None:  # not a statement of this application's call
                values.append(None)
            else:
                values.append(yes if declared_flag(get_path(app.data or {}, path)) else no)
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row_offset + n, column=col, value=value)
            if col == 3:
                cell.number_format = "@"  # the credit code is text, never a number
            if col == date_col and value is not None:
                cell.number_format = "yyyy-mm-dd hh:mm"
    widths = [6, 32, 22, 16, 28, 20, 36, 18, 14, 10, 10, 18, 18] + [24] * len(declarations)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=row_offset + 1, column=1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
