"""In headless Chromium: anyone (no login) uploads a PDF on /verify/ and reads whether the portal
signed it unaltered, and for which application; a changed copy is called altered."""

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from submissions.constants import DocumentKind, DocumentStatus
from submissions.documents import packet as packets
from submissions.documents.signing import sign_pdf
from submissions.models import DocumentJob
from tests.submissions.test_applicant_support import make_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_verify_page_tells_unaltered_from_altered(world, laptop, live_server, artifacts_dir, tmp_path):
    def signed() -> bytes:  # pyHanko runs its own event loop: not on the browser's thread
        return sign_pdf(packets.pdf_of(packets.render_pdf("<html><body><p>验证样张</p></body></html>")),
                        reason="验证样张")

    with ThreadPoolExecutor(max_workers=1) as pool:
        original = pool.submit(signed).result(timeout=120)
    call = make_call(world.jx, code="verify-e2e")
    DocumentJob.objects.create(kind=DocumentKind.LETTER, fmt="pdf", call=call, region=world.zhanggong,
                               province=world.jx, input_hash="e2e", status=DocumentStatus.DONE,
                               sha256=hashlib.sha256(original).hexdigest(),
                               details={"number": "章贡区工信局〔2026〕1号", "units": [{"name": "章贡甲企业"}]})
    good = tmp_path / "样张.pdf"
    good.write_bytes(original)
    altered = bytearray(original)
    altered[len(altered) // 2] ^= 0x01
    bad = tmp_path / "改动.pdf"
    bad.write_bytes(bytes(altered))

    page = laptop()
    page.goto(f"{live_server.url}/verify/")
    page.set_input_files("#verify-file", str(good))
    with page.expect_navigation():
        page.get_by_role("button", name="验证").click()
    result = page.locator(".verify-result")
    assert result.get_attribute("data-verified") == "yes"
    shown = result.inner_text()
    assert "未被改动" in shown and "章贡区工信局〔2026〕1号" in shown and "章贡甲企业" in shown and "推荐函" in shown
    page.screenshot(path=f"{artifacts_dir}/42-verify-unaltered.png", full_page=True)

    page.set_input_files("#verify-file", str(bad))
    with page.expect_navigation():
        page.get_by_role("button", name="验证").click()
    result = page.locator(".verify-result")
    assert result.get_attribute("data-verified") == "no" and "改动" in result.inner_text()
    page.screenshot(path=f"{artifacts_dir}/42-verify-altered.png", full_page=True)
