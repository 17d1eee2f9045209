"""The county summary table (推荐申报汇总表, seed 000 附件1) of a county bureau for one call.

Rows: the applications of the county's region that the county bureau recommended to the call
(an active county-level recommendation, signed off or not), by the county's score (材料初评分,
highest first). Columns as in the seed: 序号 / 企业名称 / 统一社会信用代码 / 所属行业 / 主营业务 /
材料初评分 / 申请受理截止日期前两年内有无严重违法违规行为、严重违法失信行为、重大质量事故或安全责任
事故 (有/无, from the applicant's declaration of the call's serious-violation statement); then
"推荐地区（盖章）：" with the county and the notes (备注) the call's notice prints under its table.

The title and the notes come from the call's notice when it prints the table (“附件1 2024 年（第
27/28 批）省级企业技术中心推荐申报汇总表”, “备注：1. …”, “2. …”); otherwise the title is made from
the call's year, batch and program. Built as XLSX (openpyxl, write-only) or PDF (ReportLab, landscape A4:
``tables``) by the document task; requested by the county bureau (``summary_request``).
"""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from portal.access import Actor
from portal.constants import RegionLevel
from submissions.constants import DocumentFormat, DocumentKind, Level
from submissions.documents.packet import SHANGHAI, inputs_hash, request_job
from submissions.documents.tables import LongTableDocument, long_table_pdf
from submissions.forms import form_spec, get_path
from submissions.models import Application, Recommendation, Review
from submissions.policy import can_request_summary
from submissions.review.selectors import declared_flag

SUMMARY_LAYOUT = 2  # bump when the layout changes: tables are rebuilt
_TITLE_IN_ATTACHMENT = re.compile(r"附件\s*1\s*[:：]?\s*(\d{4}\s*年\s*[（(][^）)\n]*[）)]\s*[^\s，。,；;]*?推荐申报汇总表)")
_TITLE_ANYWHERE = re.compile(r"(\d{4}\s*年\s*[（(][^）)\n]*[）)]\s*[^\s，。,；;]*?推荐申报汇总表)")
_BATCH_NUMBER = re.compile(r"第\s*(\d+)\s*批")
VIOLATION_WORDS = ("严重违法",)


def headers() -> list[str]:
    return [
        pgettext("summary table", "No."),
        pgettext("summary table", "Company name"),
        pgettext("summary table", "Unified social credit code"),
        pgettext("summary table", "Industry"),
        pgettext("summary table", "Main business"),
        pgettext("summary table", "Initial score of the material"),
        pgettext("summary table", "Serious violations of laws or regulations, serious dishonest conduct, major "
                                  "quality accidents or safety accidents within two years before the filing "
                                  "deadline"),
    ]


def table_title(call) -> str:
    notice = call.notice_text or ""
    for pattern in (_TITLE_IN_ATTACHMENT, _TITLE_ANYWHERE):
        found = pattern.search(notice)
        if found and str(call.year) in found.group(1):
            return found.group(1).strip()
    batch = _BATCH_NUMBER.search(call.batch or "")
    if batch:
        return _("%(year)s (batch %(batch)s) %(program)s: summary table of recommended applications") % {
            "year": call.year, "batch": batch.group(1), "program": call.program.name}
    return _("%(year)s %(program)s: summary table of recommended applications") % {
        "year": call.year, "program": call.program.name}


def table_notes(call) -> list[str]:
    """The notes (备注) printed under the table in the call's notice."""
    lines = [line.strip() for line in (call.notice_text or "").splitlines()]
    start = next((i for i, line in enumerate(lines) if "推荐申报汇总表" in line and re.match(r"附件\s*1", line)), None)
    if start is None:
        return []
    notes = []
    for line in lines[start + 1:]:
        if not notes:
            if line.startswith("备注"):
                notes.append(line)
            continue
        if re.match(r"\d+\s*[.．、]", line):
            notes.append(line)
        else:
            break
    return notes


def _violation_path(spec) -> str | None:
    for f in spec.declarations:
        if any(word in str(f.label) for word in VIOLATION_WORDS):
            return f.path
    return None


@dataclass
class Row:
    application_id: int
    name: str
    credit_code: str
    industry: str
    main_business: str
    score: object  # Decimal | None
    violations: str  # 有 / 无 / ""
    group: str = ""  # a roll-up's recommending region (county or city)


def _violation_labels() -> tuple[str, str]:
    """The column's two answers: (the statement made, refused)."""
    # the statement reads "no serious violations…": made → 无, refused → 有
    return pgettext("violations", "None"), pgettext("violations", "Some")


def _declared_violations(data: dict, path, labels: tuple[str, str] | None = None) -> str:
    """The row's 有/无 (`labels`: ``_violation_labels()``, looked up once for a whole table)."""
    if path is None:
        return ""
    flag = declared_flag(get_path(data, path))
    if flag is None:
        return ""
    made, refused = labels or _violation_labels()
    return made if flag else refused


def _recommended(call, region):
    """The applications a table lists, and the level whose recommendation and score it shows:
    a county's own recommendations; a city's roll-up of its counties' recommendations; the
    province's roll-up of its cities' recommendations."""
    if region.level == RegionLevel.CITY:
        level, where = Level.COUNTY, Q(application__region__city=region) | Q(application__region=region)
    elif region.level == RegionLevel.PROVINCE:
        level, where = Level.CITY, Q(application__province=region)
    else:
        level, where = Level.COUNTY, Q(application__region=region)
    recommended = Recommendation.objects.filter(where, level=level, is_active=True, application__call=call)
    return recommended.values("application_id"), level


def _group_of(row: dict, region) -> str:
    """The recommending region of a row of a roll-up: the county (city table) or the city (province)."""
    if region.level == RegionLevel.CITY:
        return row["region__name"]
    if region.level == RegionLevel.PROVINCE:
        return row["region__city__name"] or row["region__name"]
    return ""


def summary_rows(call, county) -> list[Row]:
    """The table's rows: only the columns it prints are read (no model instances: a 1,000-row table
    spent most of its time building four objects a row)."""
    recommended, level = _recommended(call, county)
    apps = list(Application.objects.filter(pk__in=recommended).values(
        "pk", "data", "organization__name", "organization__credit_code", "organization__industry",
        "organization__main_business", "region__name", "region__city__name"))
    # the same applications, as a subquery (1,000 ids as parameters cost more than the rows)
    scores = dict(Review.objects.filter(application_id__in=recommended, level=level)
                  .values_list("application_id", "score"))
    path = _violation_path(form_spec(call)) if apps else None
    labels = _violation_labels()
    rows = []
    for app in apps:
        data = app["data"] if isinstance(app["data"], dict) else {}
        profile = data.get("profile") if isinstance(data.get("profile"), dict) else {}
        rows.append(Row(
            application_id=app["pk"], name=app["organization__name"],
            credit_code=app["organization__credit_code"] or "",
            industry=str(profile.get("industry") or app["organization__industry"] or ""),
            main_business=str(profile.get("main_business") or app["organization__main_business"] or ""),
            score=scores.get(app["pk"]), violations=_declared_violations(data, path, labels),
            group=_group_of(app, county),
        ))
    rows.sort(key=lambda r: (r.group, r.score is None, -(r.score or 0), r.name, r.application_id))
    return rows


def summary_content(call, county) -> dict:
    from submissions.documents.letter import bureau_of, seal_data_uri, seal_of  # noqa: PLC0415 - letter imports this

    seal = seal_of(bureau_of(county))
    rollup = county.level in (RegionLevel.CITY, RegionLevel.PROVINCE)
    with translation.override(settings.LANGUAGE_CODE):
        columns = headers()
        if rollup:
            columns.insert(1, pgettext("summary table", "Recommending region"))
        return {
            "title": table_title(call),
            "region_label": pgettext("summary table", "Recommending region (seal):"),
            "region": county.full_name,
            "headers": columns,
            "rollup": rollup,
            "rows": summary_rows(call, county),
            "notes": table_notes(call),
            "seal": seal_data_uri(seal),
            "seal_sha256": seal.sha256 if seal else "",
            "generated_at": timezone.localtime(timezone.now(), SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        }


def _fingerprint(content: dict, fmt: str) -> str:
    rows = [[r.application_id, r.group, r.name, r.credit_code, r.industry, r.main_business,
             None if r.score is None else str(r.score), r.violations] for r in content["rows"]]
    payload = json.dumps([content["title"], content["region"], content["headers"], rows, content["notes"],
                          content["seal_sha256"]], ensure_ascii=False, sort_keys=True)
    return inputs_hash("county_summary", SUMMARY_LAYOUT, fmt, payload)


def _xlsx_seal(ws, data_uri: str) -> None:
    """The bureau's seal over 推荐地区（盖章） (row 2)."""
    from openpyxl.drawing.image import Image as SheetImage  # noqa: PLC0415 - only when a seal is placed

    image = SheetImage(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1])))
    image.width = image.height = 110
    ws.add_image(image, "C1")


def summary_xlsx(content: dict) -> bytes:
    """The table as XLSX, written row by row (openpyxl's write-only mode: no cell objects kept)."""

    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 - only the XLSX needs it
    from openpyxl.worksheet.cell_range import CellRange  # noqa: PLC0415

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(pgettext("summary table", "Summary table")[:31])
    ncols = len(content["headers"])
    widths = [6, 34, 22, 16, 30, 12, 40]
    if content["rollup"]:
        widths.insert(1, 14)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4

    def merged(row: int) -> None:
        ws.merged_cells.add(CellRange(min_row=row, min_col=1, max_row=row, max_col=ncols))

    title = WriteOnlyCell(ws, value=content["title"])
    title.font = Font(bold=True, size=14)
    title.alignment = Alignment(horizontal="center")
    ws.append([title])
    merged(1)
    ws.append([f"{content['region_label']}{content['region']}"])
    merged(2)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_font = Font(bold=True)
    header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    header_cells = []
    for header in content["headers"]:
        cell = WriteOnlyCell(ws, value=header)
        cell.font, cell.alignment, cell.border = header_font, header_alignment, border
        header_cells.append(cell)
    ws.row_dimensions[3].height = 48
    ws.append(header_cells)
    code_column = 4 if content["rollup"] else 3
    wrapped, plain = Alignment(vertical="center", wrap_text=True), Alignment(vertical="center")
    wrapped_columns = (2, 4, 5)
    # one styled cell per column, reused for every row: a write-only sheet writes a row out when it
    # is appended, so the cells only take the next row's values (no 7,000 cell objects, no style
    # hashed or copied per cell)
    cells = []
    for col in range(1, ncols + 1):
        cell = WriteOnlyCell(ws)
        cell.border = border
        cell.alignment = wrapped if col in wrapped_columns else plain
        if col == code_column:
            cell.number_format = "@"  # the credit code is text, never a number
        cell.column = col
        cells.append(cell)

    def placed(values, row_idx):
        # openpyxl's own conversion (``_values_to_row``) first tries every cell as a value and takes
        # it as a cell once that fails: an exception (with the cell's repr) per cell, most of the
        # time of a 1,000-row table. The row's values go into the column's cell here instead, with
        # the same conversion (``Cell.value``: type, illegal characters), styled or empty alike.
        for cell, value in zip(cells, values, strict=True):
            cell.value = value
            cell.row = row_idx
            yield cell

    ws._values_to_row = placed  # only for the body rows: removed again below
    try:
        for n, row in enumerate(content["rows"], start=1):
            values = [n, row.name, row.credit_code, row.industry, row.main_business,
                      float(row.score) if row.score is not None else None, row.violations]
            if content["rollup"]:
                values.insert(1, row.group)
            ws.append(values)
    finally:
        del ws._values_to_row
    ws.append([])
    line = 3 + len(content["rows"]) + 2
    for note in content["notes"]:
        ws.append([note])
        merged(line)
        line += 1
    if content["seal"]:
        _xlsx_seal(ws, content["seal"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def summary_pdf(content: dict) -> tuple[bytes, int]:
    """The table as a landscape A4 PDF (ReportLab: ``tables``), the bureau's seal at 推荐地区（盖章）."""
    rows = []
    for n, row in enumerate(content["rows"], start=1):
        values = [n, row.name, row.credit_code, row.industry, row.main_business,
                  "" if row.score is None else row.score, row.violations]
        if content["rollup"]:
            values.insert(1, row.group)
        rows.append(values)
    widths, centred, code = [5, 21, 15, 11, 20, 8, 20], {0, 2, 5, 6}, 2
    if content["rollup"]:
        widths, centred, code = [5, 9, 16, 15, 11, 20, 8, 20], {0, 1, 3, 6, 7}, 3
    seal = base64.b64decode(content["seal"].split(",", 1)[1]) if content["seal"] else None
    return long_table_pdf(LongTableDocument(
        title=content["title"], line=f"{content['region_label']}{content['region']}", head=content["headers"],
        rows=rows, widths=widths, centred=tuple(centred), small=(code,), plain=(0, code, code + 3, code + 4),
        notes=tuple(content["notes"]), empty=_("No application recommended yet."), seal_png=seal,
        author=content["region"],
    ))


def build_summary(job) -> tuple[bytes, int | None]:
    content = summary_content(job.call, job.region)
    with translation.override(settings.LANGUAGE_CODE):
        if job.fmt == DocumentFormat.XLSX:
            return summary_xlsx(content), None
        return summary_pdf(content)


SUMMARY_KINDS = {RegionLevel.COUNTY: DocumentKind.COUNTY_SUMMARY, RegionLevel.CITY: DocumentKind.CITY_SUMMARY,
                 RegionLevel.PROVINCE: DocumentKind.PROVINCE_SUMMARY}


@transaction.atomic
def summary_request(*, actor: Actor, call, fmt: str):
    """The bureau has its summary table of `call` built (XLSX or PDF), or reuses the one built from
    the same rows: a county its recommendations, a city the roll-up of its counties', the province
    the roll-up of its cities'."""

    if fmt not in (DocumentFormat.PDF, DocumentFormat.XLSX):
        raise ValidationError(_("Choose XLSX or PDF."))
    region = actor.region
    if region is None:
        raise PermissionDenied(_("The summary table is made by the county bureau that recommends."))
    decision = can_request_summary(actor, call, region)
    if not decision:
        raise PermissionDenied(decision.reason)
    content = summary_content(call, region)
    return request_job(actor=actor, kind=SUMMARY_KINDS[region.level], fmt=fmt, call=call, region=region,
                       input_hash=_fingerprint(content, fmt), organization=actor.organization)
