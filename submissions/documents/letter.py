"""The recommendation letter (推荐函) a bureau sends one level up when its head signs off a batch
(county → city, city → province), laid out as GB/T 9704-2012 prescribes, as PDF and DOCX.

GB/T 9704-2012 in figures: A4; text block 156 mm × 225 mm with the top margin 37 mm and the left
margin 28 mm (so right 26 mm, bottom 35 mm); body 3号 (16 pt) 仿宋, 22 lines of 28 characters;
masthead (发文机关标志) centred, red, 小标宋; the document number (发文字号) two lines below, an
upward letter's number one character from the left with 签发人 one character from the right; a red
rule as wide as the text block 4 mm below it; the title (2号 小标宋) two lines below the rule; the
addressee flush left; body paragraphs indented two characters; the attachment line; signature and
date at the right, the date four characters from the right edge; the seal over signature and date;
page numbers (4号, — 1 —) 7 mm below the text block, odd pages right, even pages left; the 版记
(7.4) at the foot of the last page, its last rule on the text block's lower edge: 抄送 (if the
details name any), then 印发机关 (the bureau) and 印发日期 (2024年4月15日印发) on one line, 4号, between
rules as wide as the text block (the first and the last 0.35 mm, the ones between 0.25 mm).

Fonts: the open stand-ins (Noto Serif CJK SC for 仿宋 and, bold, for 小标宋; AR PL UKai for 楷体)
unless the settings LETTER_FONT_FANGSONG / LETTER_FONT_XIAOBIAOSONG / LETTER_FONT_KAITI name the
licensed families installed on the machine.

What the letter says is fixed when it is requested (``DocumentJob.details``): its number, addressee,
the units recommended with their scores and the date; the files are built from that by the task.
The number (发文字号) is taken in the sign-off's transaction under the lock of the bureau's counter
row of the year (``next_number``, ``LetterCounter``).
"""

from __future__ import annotations

import base64
import io
import json
import math

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.constants import OrgKind, RegionLevel
from portal.models import Organization
from submissions.constants import DocumentFormat, DocumentKind, Level
from submissions.documents.packet import SHANGHAI, inputs_hash, pdf_of, render_pdf, request_job
from submissions.models import BureauSeal, DocumentJob, LetterCounter, Review

LETTER_LAYOUT = 2  # bump when the layout changes: the inputs' hash changes, letters are rebuilt

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
RECORD_PT = 14  # 版记: 4号
RECORD_THICK_MM, RECORD_THIN_MM = 0.35, 0.25  # its first and last rules, the rules between
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
    """Take the next 发文字号 of the bureau this year: 章贡区工信局〔2024〕3号 (六角括号, no leading zero),
    numbered 1, 2, 3 … per bureau (its region) and year. Inside the sign-off's transaction: the
    counter row stays locked until it commits, so simultaneous sign-offs of one bureau wait for each
    other and get distinct numbers, and a sign-off rolled back gives its number back. A counter
    created for a year starts after the letters the bureau already had that year."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside transaction.atomic()")
    try:
        with transaction.atomic():  # a savepoint: a concurrent sign-off may win the insert
            LetterCounter.objects.get_or_create(region=region, year=year, defaults={"last": lambda: (
                DocumentJob.objects.filter(kind=DocumentKind.LETTER, fmt=DocumentFormat.PDF, region=region,
                                           details__year=year).count())})
    except IntegrityError:
        pass
    counter = LetterCounter.objects.select_for_update().get(region=region, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{organization.name if organization else region.name}〔{year}〕{counter.last}号"


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
            # 版记 (GB/T 9704 7.4): 抄送机关 if any, then 印发机关 and 印发日期 (2024年4月15日印发)
            # (the recipients separated by full-width commas, GB/T 9704 7.4.2: the letter is Chinese)
            "copy_to": (_("Copy to: %(recipients)s") % {"recipients": "，".join(details["copy_to"])}
                        if details.get("copy_to") else ""),
            "issuer": details["bureau"],
            "issued": _("Printed and issued on %(date)s") % {"date": details["date"]},
        }


def letter_pdf(details: dict, seal_uri: str = "") -> tuple[bytes, int]:
    html = render_to_string("submissions/packets/letter.html", {
        "d": details, "text": letter_paragraphs(details), "seal": seal_uri, "fonts": fonts(), "red": RED,
        "top": TOP_MM, "left": LEFT_MM, "right": RIGHT_MM, "bottom": BOTTOM_MM, "body_pt": BODY_PT,
        "line_pt": f"{LINE_PT:.2f}", "title_pt": TITLE_PT, "masthead_pt": MASTHEAD_PT,
        "page_number_pt": PAGE_NUMBER_PT, "record_pt": RECORD_PT, "record_thick_mm": RECORD_THICK_MM,
        "record_thin_mm": RECORD_THIN_MM,
    })
    document = render_pdf(html)
    return pdf_of(document), len(document.pages)


# the order of the paragraph properties this letter sets (OOXML's CT_PPr sequence, the part used here)
_PPR_ORDER = ("w:framePr", "w:pBdr", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr")


def _set_ppr(paragraph, name: str, element) -> None:
    """Put `element` (named `name`: w:framePr, w:pBdr) into the paragraph's properties where the schema
    puts it (OOXML fixes the order of a paragraph's properties; python-docx appends)."""
    ppr = paragraph._p.get_or_add_pPr()
    for old in ppr.findall(element.tag):
        ppr.remove(old)
    ppr.insert_element_before(element, *_PPR_ORDER[_PPR_ORDER.index(name) + 1:])


def _text_width_pt(content: str, size: float) -> float:
    """The width of a line set in a CJK font: full-width characters one em, the rest half."""
    return sum(size if ord(ch) > 0x2E7F else size / 2 for ch in content)


def letter_docx(details: dict, seal_png: bytes | None = None) -> bytes:
    """The same letter as a Word document (python-docx): A4 with GB/T 9704's margins; the page number a
    PAGE field (— 1 —, odd pages right, even pages left, one character in); the seal floating over the
    signature and date (anchored to the signature, in front of the text, moving nothing); the 版记 a
    frame at the foot of the last page's text block, between its rules."""
    from docx import Document  # noqa: PLC0415 - python-docx only where a DOCX is made
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT  # noqa: PLC0415
    from docx.oxml import OxmlElement  # noqa: PLC0415
    from docx.oxml.ns import qn  # noqa: PLC0415
    from docx.shared import Emu, Mm, Pt, RGBColor  # noqa: PLC0415

    text = letter_paragraphs(details)
    face = fonts()
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.footer_distance = Mm(BOTTOM_MM - 7 - 5)

    def styled(run, *, size=BODY_PT, font=face["fangsong"], bold=False, color=None):
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = font
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        if color:
            run.font.color.rgb = RGBColor.from_string(color.lstrip("#"))
        return run

    def paragraph(content="", *, size=BODY_PT, font=face["fangsong"], bold=False, color=None, align=None,
                  indent=0, right=0, space_before=0, line=None):
        p = doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line or max(LINE_PT, size * 1.2))
        fmt.space_after = Pt(0)
        fmt.space_before = Pt(space_before)
        if indent:
            fmt.first_line_indent = Pt(BODY_PT * indent)
        if right:
            fmt.right_indent = Pt(BODY_PT * right)
        if align is not None:
            p.alignment = align
        if content:
            styled(p.add_run(content), size=size, font=font, bold=bold, color=color)
        return p

    def border(*edges, colour="#000000", space_pt=0):  # edges: (top/bottom, width in mm)
        element = OxmlElement("w:pBdr")
        for edge, width_mm in edges:
            rule = OxmlElement(f"w:{edge}")
            # w:sz in eighths of a point; w:space (from the text) in points
            for key, value in (("w:val", "single"), ("w:sz", str(round(width_mm * 72 / 25.4 * 8))),
                               ("w:space", str(space_pt)), ("w:color", colour.lstrip("#"))):
                rule.set(qn(key), value)
            element.append(rule)
        return element

    paragraph(details["bureau"], size=MASTHEAD_PT, font=face["xiaobiaosong"], bold=True, color=RED,
              align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph()
    number = paragraph(f"\u3000{details['number']}", align=WD_ALIGN_PARAGRAPH.LEFT)
    number.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - Pt(BODY_PT), alignment=WD_TAB_ALIGNMENT.RIGHT)
    styled(number.add_run(f"\t{text['signer_label']}"))
    styled(number.add_run(details["signer"]), font=face["kaiti"])
    # the red rule: the number's paragraph border, 4 mm below it
    _set_ppr(number, "w:pBdr", border(("bottom", 0.35), colour=RED, space_pt=11))
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
    signature = paragraph(details["bureau"], align=WD_ALIGN_PARAGRAPH.RIGHT, right=4)
    paragraph(details["date"], align=WD_ALIGN_PARAGRAPH.RIGHT, right=4)
    if seal_png:
        # centred over the signature, its centre 3 mm above the middle of signature and date (as the PDF)
        size_mm = 42
        inline = signature.add_run().add_picture(io.BytesIO(seal_png), width=Mm(size_mm))._inline
        widest = max(_text_width_pt(details["bureau"], BODY_PT), _text_width_pt(details["date"], BODY_PT))
        centre_x = Mm(TEXT_WIDTH_MM) - Pt(BODY_PT * 4) - Pt(widest / 2)
        centre_y = Pt(LINE_PT) - Mm(3)
        _float_picture(inline, x=Emu(centre_x - Mm(size_mm) // 2), y=Emu(centre_y - inline.extent.cy // 2))

    # 版记 (GB/T 9704 7.4) at the foot of the last page's text block, as wide as it, 4号 仿宋: 抄送 (if
    # any), then 印发机关 one character in and 印发日期 one character from the right; the first and the
    # last rules thick, the one between thin. A frame per part (LibreOffice misplaces one frame of
    # several paragraphs): the 印发 line's at the text block's foot, the 抄送 one stacked on it, its
    # height known (exact line spacing; its lines counted as set, full-width characters one em).
    thick_pt, thin_pt = RECORD_THICK_MM * 72 / 25.4, RECORD_THIN_MM * 72 / 25.4

    def frame(y_pt=None):
        element = OxmlElement("w:framePr")
        for key, value in (("w:w", str(round(TEXT_WIDTH_MM / 25.4 * 1440))), ("w:wrap", "notBeside"),
                           ("w:hAnchor", "margin"), ("w:vAnchor", "margin"), ("w:xAlign", "center"),
                           ("w:yAlign", "bottom") if y_pt is None else ("w:y", str(round(y_pt * 20)))):
            element.set(qn(key), value)
        return element

    issued = paragraph(f"\u3000{text['issuer']}", size=RECORD_PT, line=LINE_PT)
    issued.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - Pt(RECORD_PT),
                                                   alignment=WD_TAB_ALIGNMENT.RIGHT)
    styled(issued.add_run(f"\t{text['issued']}"), size=RECORD_PT)
    _set_ppr(issued, "w:framePr", frame())
    if text["copy_to"]:
        _set_ppr(issued, "w:pBdr", border(("bottom", RECORD_THICK_MM)))
        copy_to = paragraph(text["copy_to"], size=RECORD_PT, line=LINE_PT)
        issued._p.addprevious(copy_to._p)
        # a 1 pt paragraph between the two frames: LibreOffice makes one frame of adjacent framed
        # paragraphs (and misplaces it) even when their frames differ
        issued._p.addprevious(paragraph(line=1)._p)
        fmt = copy_to.paragraph_format
        fmt.left_indent, fmt.first_line_indent, fmt.right_indent = (  # wrapped lines under the first recipient
            Pt(RECORD_PT * 4), Pt(-RECORD_PT * 3), Pt(RECORD_PT))
        text_width_pt = TEXT_WIDTH_MM * 72 / 25.4
        first, rest = text_width_pt - 2 * RECORD_PT, text_width_pt - 5 * RECORD_PT
        overflow = _text_width_pt(text["copy_to"], RECORD_PT) - first
        lines = 1 + max(0, math.ceil(overflow / rest))
        height = lines * LINE_PT + thick_pt + thin_pt
        _set_ppr(copy_to, "w:framePr", frame(TEXT_HEIGHT_MM * 72 / 25.4 - (LINE_PT + thick_pt) - height))
        _set_ppr(copy_to, "w:pBdr", border(("top", RECORD_THICK_MM), ("bottom", RECORD_THIN_MM)))
    else:
        _set_ppr(issued, "w:pBdr", border(("top", RECORD_THICK_MM), ("bottom", RECORD_THICK_MM)))

    # the page number, a PAGE field: — 1 —, 4号, odd pages right and even pages left, one character in
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer,
                                                                       WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        p.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Pt(BODY_PT)
        else:
            p.paragraph_format.left_indent = Pt(BODY_PT)
        styled(p.add_run("— "), size=PAGE_NUMBER_PT)
        for part in ("begin", " PAGE ", "separate", "1", "end"):
            run = styled(p.add_run(), size=PAGE_NUMBER_PT)
            if part in ("begin", "separate", "end"):
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), part)
            elif part == " PAGE ":
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = part
            else:
                element = OxmlElement("w:t")
                element.text = part
            run._r.append(element)
        styled(p.add_run(" —"), size=PAGE_NUMBER_PT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _float_picture(inline, *, x: int, y: int) -> None:
    """Replace python-docx's inline picture (wp:inline) by the same picture anchored to its paragraph
    (wp:anchor): x from the left margin, y from the paragraph's top (EMU), in front of the text and
    wrapping none (the signature and date stay where they are, seen through the seal's transparency)."""
    from docx.oxml import parse_xml  # noqa: PLC0415 - python-docx only where a DOCX is made
    from docx.oxml.ns import nsdecls, qn  # noqa: PLC0415
    anchor = parse_xml(
        f'<wp:anchor {nsdecls("wp")} distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="251659264"'
        ' behindDoc="0" locked="1" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="margin"><wp:posOffset>{int(x)}</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="paragraph"><wp:posOffset>{int(y)}</wp:posOffset></wp:positionV>'
        "</wp:anchor>")
    frame_pr = inline.find(qn("wp:cNvGraphicFramePr"))
    anchor.append(inline.extent)
    anchor.append(parse_xml(f'<wp:effectExtent {nsdecls("wp")} l="0" t="0" r="0" b="0"/>'))
    anchor.append(parse_xml(f'<wp:wrapNone {nsdecls("wp")}/>'))
    anchor.append(inline.docPr)
    if frame_pr is not None:
        anchor.append(frame_pr)
    anchor.append(inline.graphic)
    inline.getparent().replace(inline, anchor)


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

