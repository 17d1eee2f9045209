"""Uploaded files: checked by their content, stored under a name the portal chooses, served only
through a view that asks the access layer.

`check_upload(file=, filename=, material=)` refuses, each with its reason in the user's language
and before anything is stored:

* a name with a path in it (``../``, ``/``, ``\\``), control characters, or none at all;
* an empty file, or one larger than the slot's limit (`RequiredMaterial.max_size_mb`);
* content that is not one of the slot's allowed types, whatever the name says (an ``.exe``
  renamed ``.pdf`` is a program, not a PDF): PDF by its ``%PDF-`` header and by opening it with
  pypdf (a truncated PDF, missing its ``%%EOF`` trailer or unreadable, is refused, so is one
  locked with a password); JPEG and PNG by their signatures and Pillow's verification (header and
  trailer checks when Pillow is missing); Office files by their container (OOXML zip with the
  right parts, or the OLE2 compound header); MP4 by its ``ftyp`` box;
* a PDF that carries JavaScript, a Launch action or embedded files (pikepdf reads its objects);
* an Office (zip) file that would unpack to more than settings.UPLOAD_ZIP_MAX_UNCOMPRESSED, holds
  more than settings.UPLOAD_ZIP_MAX_MEMBERS parts, or unpacks more than settings.UPLOAD_ZIP_MAX_RATIO
  times its packed size (a zip bomb): decided from the zip directory, before anything is unpacked
  (Python's zipfile never yields more than a member's declared size, and checks its CRC).

The SHA-256 and the size are computed while streaming the file in chunks. The stored name is
chosen by `submissions.models.attachment_path` (a random hex name); the user's name is data only.
`attachment_response` streams a file with ``Content-Disposition``, ``X-Content-Type-Options:
nosniff`` and no caching; the views call it after `submissions.policy.can_view_attachment`.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
import zipfile
from dataclasses import dataclass

import pikepdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image
from pypdf import PdfReader

logging.getLogger("pypdf").setLevel(logging.ERROR)

CHUNK = 64 * 1024
DEFAULT_TYPES = ("pdf", "jpeg", "png")

# type -> (content type, description)
TYPES = {
    "pdf": ("application/pdf", gettext_lazy("PDF document")),
    "jpeg": ("image/jpeg", gettext_lazy("JPEG image")),
    "png": ("image/png", gettext_lazy("PNG image")),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", gettext_lazy("Excel workbook (.xlsx)")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             gettext_lazy("Word document (.docx)")),
    "xls": ("application/vnd.ms-excel", gettext_lazy("Excel 97-2003 workbook (.xls)")),
    "doc": ("application/msword", gettext_lazy("Word 97-2003 document (.doc)")),
    "mp4": ("video/mp4", gettext_lazy("MP4 video")),
}
ALIASES = {"jpg": "jpeg", "jpe": "jpeg"}
INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


class UploadRefused(ValidationError):
    """A file the portal does not accept; `reason` is machine-readable (name, empty, size, type,
    program, damaged, encrypted, active, bomb), the message says why in the user's language."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message, code=f"upload_{reason}")


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str


def allowed_types(material) -> list[str]:
    kinds = []
    for t in (material.allowed_types or DEFAULT_TYPES):
        t = ALIASES.get(str(t).lower().lstrip("."), str(t).lower().lstrip("."))
        if t not in kinds:
            kinds.append(t)
    return kinds


def describe_types(kinds) -> str:
    return "、".join(str(TYPES[k][1]) if k in TYPES else k.upper() for k in kinds)


def accept_attribute(material) -> str:
    """The <input type=file accept=...> hint (the server checks the content anyway)."""
    exts = {"jpeg": ".jpg,.jpeg", "pdf": ".pdf", "png": ".png", "xlsx": ".xlsx", "docx": ".docx", "xls": ".xls",
            "doc": ".doc", "mp4": ".mp4"}
    return ",".join(exts.get(k, "." + k) for k in allowed_types(material))


def check_name(name: str) -> str:
    raw = name or ""
    if not raw.strip():
        raise UploadRefused("name", _("The file has no name."))
    if "/" in raw or "\\" in raw or raw.strip() in (".", "..") or raw.startswith(".."):
        raise UploadRefused("name", _("The file name “%(name)s” contains a path (../ or a slash). Rename the file "
                                      "to a plain name and upload it again.") % {"name": raw[:120]})
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in raw):
        raise UploadRefused("name", _("The file name contains control characters. Rename the file and upload it "
                                      "again."))
    if len(raw) > 200:
        raise UploadRefused("name", _("The file name is longer than 200 characters. Rename the file and upload it "
                                      "again."))
    return raw.strip()


def sniff(head: bytes) -> str | None:
    """What the first bytes say the content is."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head.startswith(b"\xcf\xfa\xed\xfe") \
            or head.startswith(b"#!"):
        return "program"
    lowered = head.lstrip()[:64].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<svg", b"<?xml", b"<script")):
        return "markup"
    return None


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _hash(file) -> tuple[str, int, bytes, bytes]:
    """SHA-256, size, first 8 KiB and last 4 KiB of the file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""
    file.seek(0)
    chunks = file.chunks(CHUNK) if hasattr(file, "chunks") else iter(lambda: file.read(CHUNK), b"")
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if len(head) < 8192:
            head += chunk[: 8192 - len(head)]
        tail = (tail + chunk)[-4096:]
    file.seek(0)
    return digest.hexdigest(), size, head, tail


def _damaged(name: str, what) -> UploadRefused:
    return UploadRefused("damaged", _("“%(name)s” looks like a %(what)s but cannot be opened: it is damaged or "
                                      "incomplete (cut off while copying or uploading?). Please upload the complete "
                                      "file.") % {"name": name, "what": what})


def _check_pdf(file, name: str, tail: bytes) -> None:
    if b"%%EOF" not in tail:
        raise UploadRefused("damaged", _("The PDF “%(name)s” is incomplete: it does not end as a PDF must (no "
                                         "%%%%EOF trailer). It was probably cut off while copying or uploading; please "
                                         "upload the complete file.") % {"name": name})
    try:
        file.seek(0)
        reader = PdfReader(file, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # noqa: BLE001 - any failure means we cannot read it
                opened = 0
            if not opened:
                raise UploadRefused("encrypted", _("The PDF “%(name)s” is protected by a password; reviewers could not "
                                                   "open it. Upload it without the password.") % {"name": name})
        pages = len(reader.pages)
        if pages < 1:
            raise _damaged(name, TYPES["pdf"][1])
        reader.pages[0].mediabox  # noqa: B018 - the first page must be readable
    except UploadRefused:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of errors on broken files
        raise _damaged(name, TYPES["pdf"][1]) from None
    finally:
        file.seek(0)


# What a PDF must not carry: scripts, actions that start programs, files inside the file.
_ACTIVE_ACTIONS = {"/JavaScript": "javascript", "/Launch": "launch"}


def _active_content(path_or_file) -> str | None:
    """The first active feature found in the PDF ("javascript", "launch", "embedded"), or None."""
    with pikepdf.open(path_or_file) as pdf:
        names = pdf.Root.get("/Names")
        if names is not None:
            if "/JavaScript" in names:
                return "javascript"
            if "/EmbeddedFiles" in names:
                return "embedded"
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary):
                continue
            action = obj.get("/S")
            if action is not None and str(action) in _ACTIVE_ACTIONS:
                return _ACTIVE_ACTIONS[str(action)]
            if "/JS" in obj:
                return "javascript"
            if "/EF" in obj or obj.get("/Subtype") == pikepdf.Name.FileAttachment \
                    or obj.get("/Type") == pikepdf.Name.EmbeddedFile:
                return "embedded"
    return None


def _check_pdf_actions(file, name: str) -> None:
    file.seek(0)
    try:
        found = _active_content(file)
    except pikepdf.PdfError:
        raise _damaged(name, TYPES["pdf"][1]) from None
    finally:
        file.seek(0)
    if found == "javascript":
        raise UploadRefused("active", _("The PDF “%(name)s” contains JavaScript, which could run when it is "
                                        "opened: it is refused. Print it to a new PDF (or save it without scripts) "
                                        "and upload that.") % {"name": name})
    if found == "launch":
        raise UploadRefused("active", _("The PDF “%(name)s” contains an action that starts a program (Launch): it "
                                        "is refused. Print it to a new PDF and upload that.") % {"name": name})
    if found == "embedded":
        raise UploadRefused("active", _("The PDF “%(name)s” has other files embedded in it: it is refused. Upload "
                                        "each document as its own material, or print the PDF to a new file.")
                            % {"name": name})


def _check_image(file, name: str, kind: str, tail: bytes) -> None:
    if kind == "png" and b"IEND" not in tail:
        raise _damaged(name, TYPES[kind][1])
    if kind == "jpeg" and b"\xff\xd9" not in tail.rstrip(b"\x00\r\n "):
        raise _damaged(name, TYPES[kind][1])
    try:
        file.seek(0)
        with Image.open(file) as img:
            if (img.format or "").lower() not in (kind, "jpeg" if kind == "jpeg" else kind):
                raise _damaged(name, TYPES[kind][1])
            img.verify()
    except UploadRefused:
        raise
    except Exception:  # noqa: BLE001 - Pillow raises many kinds of errors on broken images
        raise _damaged(name, TYPES[kind][1]) from None
    finally:
        file.seek(0)


def _office_kind(file, name: str = "") -> str | None:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as z:
            members = z.infolist()
            names = {m.filename for m in members}
    except (zipfile.BadZipFile, OSError, ValueError):
        return "damaged"
    finally:
        file.seek(0)
    _check_zip_sizes(members, name)
    if "[Content_Types].xml" not in names:
        return None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    return None


def _check_zip_sizes(members, name: str) -> None:
    """Refuse a zip bomb from its directory: total unpacked size, number of parts, packing ratio."""
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    limit = settings.UPLOAD_ZIP_MAX_UNCOMPRESSED
    bomb = _("“%(name)s” would unpack to %(size)s MB (%(ratio)s times its own size); Office files are accepted up "
             "to %(limit)s MB unpacked and %(max_ratio)s times their size. It is refused: it may be a zip bomb. "
             "Save the document again (or split it) and upload it.")
    values = {"name": name, "size": _mb(unpacked), "limit": limit // (1024 * 1024),
              "ratio": unpacked // max(packed, 1), "max_ratio": settings.UPLOAD_ZIP_MAX_RATIO}
    if len(members) > settings.UPLOAD_ZIP_MAX_MEMBERS:
        raise UploadRefused("bomb", _("“%(name)s” holds %(n)s parts; Office files are accepted with up to "
                                      "%(limit)s. It is refused.") % {"name": name, "n": len(members),
                                                                         "limit": settings.UPLOAD_ZIP_MAX_MEMBERS})
    if unpacked > limit:
        raise UploadRefused("bomb", bomb % values)
    # small archives are never bombs, whatever their ratio (a few KiB of repeated XML packs very well)
    if unpacked > 10 * 1024 * 1024 and unpacked > settings.UPLOAD_ZIP_MAX_RATIO * max(packed, 1):
        raise UploadRefused("bomb", bomb % values)


def check_upload(*, file, filename: str, material) -> CheckedFile:
    """Check one uploaded file for one material slot. Raises UploadRefused; stores nothing."""
    name = check_name(filename)
    kinds = allowed_types(material)
    limit = int(material.max_size_mb or 0) * 1024 * 1024
    declared = getattr(file, "size", None)
    if limit and declared is not None and declared > limit:
        raise UploadRefused("size", _("“%(name)s” is %(size)s MB; this material accepts files up to %(limit)s MB.")
                            % {"name": name, "size": _mb(declared), "limit": material.max_size_mb})
    sha256, size, head, tail = _hash(file)
    if size == 0:
        raise UploadRefused("empty", _("“%(name)s” is empty.") % {"name": name})
    if limit and size > limit:
        raise UploadRefused("size", _("“%(name)s” is %(size)s MB; this material accepts files up to %(limit)s MB.")
                            % {"name": name, "size": _mb(size), "limit": material.max_size_mb})
    detected = sniff(head)
    if detected == "zip":
        detected = _office_kind(file, name)
        if detected == "damaged":
            raise _damaged(name, _("Office document"))
    elif detected == "ole":
        detected = next((k for k in ("doc", "xls") if k in kinds), "doc")
    accepted = describe_types(kinds)
    if detected == "program":
        raise UploadRefused("program", _("“%(name)s” is a program, not a document, whatever its name says: it is "
                                         "refused. This material accepts: %(types)s.")
                            % {"name": name, "types": accepted})
    if detected not in kinds:
        what = str(TYPES[detected][1]) if detected in TYPES else _("a file of an unknown kind")
        raise UploadRefused("type", _("The content of “%(name)s” is %(what)s (files are checked by their content, not "
                                      "their name). This material accepts: %(types)s.")
                            % {"name": name, "what": what, "types": accepted})
    if detected == "pdf":
        _check_pdf(file, name, tail)
        _check_pdf_actions(file, name)
    elif detected in ("jpeg", "png"):
        _check_image(file, name, detected, tail)
    return CheckedFile(name=name, kind=detected, content_type=TYPES[detected][0], size=size, sha256=sha256)


def attachment_response(attachment, *, inline: bool = False) -> FileResponse:
    """Stream a stored file (after the caller checked access)."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404(_("The file is missing from the store.")) from None
    inline = inline and attachment.content_type in INLINE_TYPES
    response = FileResponse(handle, content_type=attachment.content_type or "application/octet-stream",
                            as_attachment=not inline, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Sandboxed, inline or not: the document gets no origin, runs no script, submits no form. PDFs carrying
    # scripts, actions or embedded files are refused at upload (_check_pdf_actions).
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    if inline:
        response["X-Frame-Options"] = "SAMEORIGIN"
    response["ETag"] = f'"{attachment.sha256}"'
    return response
