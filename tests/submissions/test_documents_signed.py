"""Every PDF the portal builds is signed (PAdES B-B, pyHanko, the portal's certificate); the public
page /verify/ tells an unaltered portal document from an altered one."""

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from submissions.documents import signing
from tests.submissions.test_applicant_support import DEADLINE, media  # noqa: F401 - fixtures
from tests.submissions.test_packets import app, built, call, commit, read  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_the_packet_is_signed_pades_by_the_portal_and_validates_with_pyhanko(world, app, built):
    data = read(built(world.applicant_admin, app))
    reader = PdfFileReader(io.BytesIO(data))
    [signature] = reader.embedded_signatures
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[signing.portal_certificate()]))
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert app.receipts.get().number in str(signature.sig_object["/Reason"])


def test_verify_page_says_unaltered_for_the_file_and_altered_after_one_byte(world, app, built, client):
    job = built(world.applicant_admin, app)
    data = read(job)
    page = client.get("/verify/")  # public: no login
    assert page.status_code == 200 and 'name="file"' in page.content.decode()

    def verify(content: bytes, name="packet.pdf") -> str:
        response = client.post("/verify/", {"file": _named(content, name)})
        assert response.status_code == 200
        return response.content.decode()

    html = verify(data)
    assert 'data-verified="yes"' in html
    assert app.receipts.get().number in html and world.ent_zg.name in html and job.sha256 in html

    # one byte changed inside the signed bytes (a digit of the page count in the cover's text)
    for position in (len(data) // 3, 200, len(data) - 40):
        altered = bytearray(data)
        altered[position] = (altered[position] + 1) % 256
        html = verify(bytes(altered))
        assert 'data-verified="no"' in html, position
        assert app.receipts.get().number not in html

    # a byte of the signature's own padding (outside the signed bytes)
    start = data.index(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", start)
    padded = bytearray(data)
    padded[end - 10] = ord("1") if padded[end - 10] != ord("1") else ord("2")
    assert not signing.verify_pdf(bytes(padded)).unaltered
    assert 'data-verified="no"' in verify(bytes(padded))

    # something appended after the signature
    assert 'data-verified="no"' in verify(data + b"\n% appended\n")
    # a PDF the portal did not sign, and a file that is no PDF
    assert 'data-verified="no"' in verify(b"%PDF-1.4\n%%EOF\n")
    assert 'data-verified="no"' in verify(b"not a pdf at all")


def _named(content: bytes, name: str):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def test_signing_and_verifying_work_where_an_event_loop_runs():
    """pyHanko's synchronous API starts its own event loop: called from code already inside one (an
    async view, a task run eagerly by a browser-driving test) it refused, and the document failed."""
    import asyncio

    from submissions.documents.packet import pdf_of, render_pdf

    data = pdf_of(render_pdf("<html><body><p>事件循环中签名</p></body></html>"))

    async def inside_a_loop():
        signed = signing.sign_pdf(data, reason="test")
        return signed, signing.verify_pdf(signed)

    signed, verification = asyncio.run(inside_a_loop())
    assert verification.unaltered and signed.startswith(data[:8])
