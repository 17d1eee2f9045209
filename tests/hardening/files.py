"""Small real files of every type the portal accepts, and hostile ones (built in memory, cheaply)."""

import io
import zipfile

from tests.submissions.test_applicant_support import image_bytes, pdf_bytes


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "研发经费"
    wb.active["B1"] = 230
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                   'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>承诺书</w:t></w:r></w:p></w:body></w:document>')
    return out.getvalue()


def ole_bytes() -> bytes:
    """The compound-file header of .xls/.doc files, then padding."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"\xff" * 512


def mp4_bytes() -> bytes:
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + b"\x00" * 64


FILES = {
    "pdf": ("申报材料.pdf", pdf_bytes),
    "jpeg": ("现场照片.jpg", lambda: image_bytes("JPEG")),
    "png": ("证书.png", lambda: image_bytes("PNG")),
    "xlsx": ("财务数据表.xlsx", xlsx_bytes),
    "docx": ("承诺书.docx", docx_bytes),
    "xls": ("财务数据表.xls", ole_bytes),
    "doc": ("承诺书.doc", ole_bytes),
    "mp4": ("课程视频.mp4", mp4_bytes),
}


def zip_bomb(path, size=1024 ** 3, name="xl/sheet.xml") -> None:
    """An .xlsx-looking zip whose one part unpacks to `size` bytes of zeros (about 1 MB on disk per GiB)."""
    chunk = b"\x00" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open(name, "w", force_zip64=True) as part:
            for _ in range(size // len(chunk)):
                part.write(chunk)


def pdf_with(kind: str) -> bytes:
    """A one-page PDF carrying JavaScript (an OpenAction), a Launch action or an embedded file."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(pdf_bytes()))
    if kind == "javascript":
        pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
    elif kind == "names-javascript":
        action = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
        pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), action])))
    elif kind == "launch":
        pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")))
    elif kind == "embedded":
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00payload", mime_type="application/octet-stream")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
