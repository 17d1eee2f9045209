"""The recommendation letter (推荐函) a bureau sends one level up when its head signs off a batch
(county → city, city → province), laid out as GB/T 9704-2012 prescribes, as PDF and DOCX.

GB/T 9704-2012 in figures: A4; text block 156 mm × 225 mm with the top margin 37 mm and the left
margin 28 mm (so right 26 mm, bottom 35 mm); body 3号 (16 pt) 仿宋, 22 lines of 28 characters;
masthead (发文机关标志) centred, red, 小标宋; the document number (发文字号) two lines below, an
upward letter's number one character from the left with 签发人 one character from the right; a red
rule as wide as the text block 4 mm below it; the title (2号 小标宋) two lines below the rule; the
addressee flush left; body paragraphs indented two characters; the attachment line; signature and
date at the right, the date four characters from the right edge; the seal over signature and date;
page numbers (4号, — 1 —) 7 mm below the text block, odd pages right, even pages left.

Fonts: the open stand-ins (Noto Serif CJK SC for 仿宋 and, bold, for 小标宋; AR PL UKai for 楷体)
unless the settings LETTER_FONT_FANGSONG / LETTER_FONT_XIAOBIAOSONG / LETTER_FONT_KAITI name the
licensed families installed on the machine.

What the letter says is fixed when it is requested (``DocumentJob.details``): its number, addressee,
the units recommended with their scores and the date; the files are built from that by the task.
"""

from __future__ import annotations

import base64
import io
import json

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.constants import OrgKind, RegionLevel
from portal.models import Organization
from submissions.constants import DocumentFormat, DocumentKind, Level
from submissions.documents.packet import SHANGHAI, inputs_hash, pdf_of, render_pdf, request_job
from submissions.models import BureauSeal, DocumentJob, Review

LETTER_LAYOUT = 1

# GB/T 9704-2012, in millimetres
PAGE_MM = (210, 297)
TOP_MM, LEFT_MM, TEXT_WIDTH_MM, TEXT_HEIGHT_MM = 37, 28, 156, 225
RIGHT_MM = PAGE_MM[0] - LEFT_MM - TEXT_WIDTH_MM  # 26
BOTTOM_MM = PAGE_MM[1] - TOP_MM - TEXT_HEIGHT_MM  # 35
BODY_PT = 16  # 3号
LINE_PT = TEXT_HEIGHT_MM / 22 * 72 / 25.4  # 22 lines a page
TITLE_PT = 22  # 2号
MASTHEAD_PT = 36
PAGE_NUMBER_PT = 14  # 4号
RED = "#E60012"


def fonts() -> dict:
    return {
        "fangsong": settings.LETTER_FONT_FANGSONG or "Noto Serif CJK SC",
        "xiaobiaosong": settings.LETTER_FONT_XIAOBIAOSONG or "Noto Serif CJK SC",
        "kaiti": settings.LETTER_FONT_KAITI or "AR PL UKai CN",
        "heiti": "Noto Sans CJK SC",
    }


def chinese_date(day) -> str:
    """2024年4月15日: Arabic numerals, no leading zeros (GB/T 9704 7.3.5.2)."""
    return f"{day.year}年{day.month}月{day.day}日"


def bureau_of(region) -> Organization | None:
    kinds = {RegionLevel.COUNTY: OrgKind.COUNTY_BUREAU, RegionLevel.CITY: OrgKind.CITY_BUREAU,
             RegionLevel.PROVINCE: OrgKind.PROVINCIAL_DEPARTMENT}
    return Organization.objects.filter(region=region, kind=kinds.get(region.level)).order_by("pk").first()


def _upper_region(region):
    if region.level == RegionLevel.COUNTY:
        return region.city or region.parent
    return region.province or region.parent


def seal_of(organization) -> BureauSeal | None:
    if organization is None:
        return None
    return BureauSeal.objects.filter(organization=organization).first()


def seal_data_uri(seal) -> str:
    if seal is None:
        return ""
    try:
        with seal.image.open("rb") as handle:
            return "data:image/png;base64," + base64.b64encode(handle.read()).decode("ascii")
    except (FileNotFoundError, OSError, ValueError):
        return ""


def next_number(organization, region, year: int) -> str:
    """The next 发文字号 of the bureau this year: 章贡区工信局〔2024〕3号 (六角括号, no leading zero)."""
    issued = DocumentJob.objects.filter(kind=DocumentKind.LETTER, fmt=DocumentFormat.PDF, region=region,
                                        details__year=year).count()
    return f"{organization.name if organization else region.name}〔{year}〕{issued + 1}号"


def letter_details(*, actor, call, applications, level: str, now=None) -> dict:
    """What the letter says, fixed at the sign-off."""
    now = timezone.localtime(now or timezone.now(), SHANGHAI)
    region = actor.region
    bureau = actor.organization
    upper_region = _upper_region(region)
    upper = bureau_of(upper_region) if upper_region else None
    scores = dict(Review.objects.filter(application__in=[a.pk for a in applications], level=level)
                  .values_list("application_id", "score"))
    units = sorted(
        ({"application": a.pk, "name": a.organization.name, "credit_code": a.organization.credit_code or "",
          "score": None if scores.get(a.pk) is None else f"{scores[a.pk]:.2f}"} for a in applications),
        key=lambda u: (u["score"] is None, -float(u["score"] or 0), u["name"]))
    with translation.override(settings.LANGUAGE_CODE):
        program = call.program.name
        return {
            "year": now.year,
            "date": chinese_date(now.date()),
            "number": next_number(bureau, region, now.year),
            "bureau": bureau.name if bureau else region.name,
            "signer": actor.user.get_full_name() or actor.user.get_username(),
            "addressee": upper.name if upper else (upper_region.name if upper_region else ""),
            "title": _("Letter recommending applicants for the %(year)s %(program)s") % {
                "year": call.year, "program": program},
            "call": call.title,
            "program": program,
            "level": level,
            "units": units,
        }


def letter_paragraphs(details: dict) -> dict:
    """The letter's text, in the portal's language (Chinese)."""
    with translation.override(settings.LANGUAGE_CODE):
        count = len(details["units"])
        return {
            "opening": _("In accordance with the notice “%(call)s”, after reviewing the applications of our "
                         "region, we recommend the following %(count)s units for the %(program)s:") % {
                "call": details["call"], "count": count, "program": details["program"]},
            "units": [
                _("%(n)s. %(name)s (initial score: %(score)s)") % {
                    "n": n, "name": u["name"], "score": u["score"] if u["score"] is not None else "—"}
                for n, u in enumerate(details["units"], start=1)],
            "closing": _("Please consider the recommendation."),
            "attachment": _("Attachment: summary table of the recommended applications"),
            "attachment_label": _("Attachment:"),
            "signer_label": _("Signed by:"),
        }


def letter_pdf(details: dict, seal_uri: str = "") -> tuple[bytes, int]:
    html = render_to_string("submissions/packets/letter.html", {
        "d": details, "text": letter_paragraphs(details), "seal": seal_uri, "fonts": fonts(), "red": RED,
        "top": TOP_MM, "left": LEFT_MM, "right": RIGHT_MM, "bottom": BOTTOM_MM, "body_pt": BODY_PT,
        "line_pt": f"{LINE_PT:.2f}", "title_pt": TITLE_PT, "masthead_pt": MASTHEAD_PT,
        "page_number_pt": PAGE_NUMBER_PT,
    })
    document = render_pdf(html)
    return pdf_of(document), len(document.pages)


def letter_docx(details: dict, seal_png: bytes | None = None) -> bytes:
    """The same letter as a Word document (python-docx): A4 with GB/T 9704's margins."""
    from docx import Document  # noqa: PLC0415 - python-docx only where a DOCX is made
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING  # noqa: PLC0415
    from docx.oxml import OxmlElement  # noqa: PLC0415
    from docx.oxml.ns import qn  # noqa: PLC0415
    from docx.shared import Mm, Pt, RGBColor  # noqa: PLC0415

    text = letter_paragraphs(details)
    face = fonts()
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.footer_distance = Mm(BOTTOM_MM - 7 - 5)

    def paragraph(content="", *, size=BODY_PT, font=face["fangsong"], bold=False, color=None, align=None,
                  indent=0, right=0, space_before=0):
        p = doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(max(LINE_PT, size * 1.2))
        fmt.space_after = Pt(0)
        fmt.space_before = Pt(space_before)
        if indent:
            fmt.first_line_indent = Pt(BODY_PT * indent)
        if right:
            fmt.right_indent = Pt(BODY_PT * right)
        if align is not None:
            p.alignment = align
        if content:
            run = p.add_run(content)
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.name = font
            run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
            if color:
                run.font.color.rgb = RGBColor.from_string(color.lstrip("#"))
        return p

    paragraph(details["bureau"], size=MASTHEAD_PT, font=face["xiaobiaosong"], bold=True, color=RED,
              align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph()
    number = paragraph(f"\u3000{details['number']}", align=WD_ALIGN_PARAGRAPH.LEFT)
    number.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - Pt(BODY_PT),
                                                   alignment=2)  # right-aligned tab: 签发人 at the right
    run = number.add_run(f"\t{text['signer_label']}")
    run.font.size = Pt(BODY_PT)
    signer = number.add_run(details["signer"])
    signer.font.size = Pt(BODY_PT)
    signer.font.name = face["kaiti"]
    # the red rule: the number's paragraph border, 4 mm below it
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "8"), ("w:space", "11"), ("w:color", RED.lstrip("#"))):
        bottom.set(qn(key), value)
    border.append(bottom)
    number._p.get_or_add_pPr().append(border)
    paragraph()
    paragraph(details["title"], size=TITLE_PT, font=face["xiaobiaosong"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
              space_before=LINE_PT)
    paragraph()
    paragraph(f"{details['addressee']}：")
    paragraph(text["opening"], indent=2)
    for line in text["units"]:
        paragraph(line, indent=2)
    paragraph(text["closing"], indent=2)
    paragraph()
    paragraph(text["attachment"], indent=2)
    paragraph()
    if seal_png:
        p = paragraph(align=WD_ALIGN_PARAGRAPH.RIGHT, right=4)
        p.add_run().add_picture(io.BytesIO(seal_png), width=Mm(42))
    paragraph(details["bureau"], align=WD_ALIGN_PARAGRAPH.RIGHT, right=4)
    paragraph(details["date"], align=WD_ALIGN_PARAGRAPH.RIGHT, right=4)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    page_run = footer.add_run("— 1 —")
    page_run.font.size = Pt(PAGE_NUMBER_PT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build_letter(job) -> tuple[bytes, int | None]:
    seal = seal_of(bureau_of(job.region))
    if job.fmt == DocumentFormat.DOCX:
        png = None
        if seal is not None:
            with seal.image.open("rb") as handle:
                png = handle.read()
        return letter_docx(job.details, png), None
    return letter_pdf(job.details, seal_data_uri(seal))


def letters_request(*, actor, call, applications, level: str) -> list:
    """The letter of a batch signed off (PDF and DOCX), built after the commit. Called by the
    sign-off service inside its transaction; a province (which decides) writes no letter."""
    if level not in (Level.COUNTY, Level.CITY) or actor.region is None:
        return []
    details = letter_details(actor=actor, call=call, applications=applications, level=level)
    seal = seal_of(bureau_of(actor.region))
    payload = json.dumps(details, ensure_ascii=False, sort_keys=True)
    jobs = []
    for fmt in (DocumentFormat.PDF, DocumentFormat.DOCX):
        job = request_job(actor=actor, kind=DocumentKind.LETTER, fmt=fmt, call=call, region=actor.region,
                          input_hash=inputs_hash("letter", LETTER_LAYOUT, fmt, payload, seal.sha256 if seal else ""),
                          organization=actor.organization, details=details)
        jobs.append(job)
    return jobs

