"""The recommendation letter (推荐函, GB/T 9704-2012 layout) made when a bureau head signs off a
batch, county → city and city → province, as PDF and DOCX, signed; the bureau's seal on it."""

import io
import re
import shutil
import subprocess
import threading
from unittest import mock

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from docx import Document
from PIL import Image
from pypdf import PdfReader

from portal.access import actor_for
from portal.models import AuditEntry
from submissions.constants import DocumentFormat, DocumentKind, DocumentStatus
from submissions.documents import letter as letters
from submissions.models import BureauSeal, DocumentJob
from submissions.review import services as review
from tests.conftest import needs_postgres
from tests.submissions.test_applicant_support import media  # noqa: F401 - fixture
from tests.submissions.test_review_support import at_city, review_call, submitted

pytestmark = pytest.mark.django_db
MM = 72 / 25.4


def seal_png(transparent=True) -> bytes:
    img = Image.new("RGBA" if transparent else "RGB", (300, 300), (0, 0, 0, 0) if transparent else (255, 255, 255))
    from PIL import ImageDraw

    ImageDraw.Draw(img).ellipse((10, 10, 290, 290), outline=(220, 0, 0, 255) if transparent else (220, 0, 0),
                                width=12)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def page_words(data: bytes) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's (text, xMin, yMin, xMax, yMax) words (pdftotext -bbox), in points from the top left."""
    out = subprocess.run([shutil.which("pdftotext"), "-bbox", "-", "-"], input=data, capture_output=True,
                         check=True, timeout=60).stdout.decode()
    return [[(m.group(5), *(float(m.group(i)) for i in range(1, 5))) for m in WORD.finditer(page)]
            for page in out.split("<page ")[1:]]


def words(data: bytes) -> list[tuple[str, float, float, float, float]]:
    return [w for page in page_words(data) for w in page]


def assert_record_at_the_foot(last_page, details, copy_to=""):
    """版记 (GB/T 9704 7.4) on the letter's last page: 印发机关 (the bureau) one character in and
    2024年4月15日印发 at the right, on the last line of the text block (whose lower edge is 262 mm
    down), below the signature and date; 抄送 (if any) on the line above."""
    issued = next(w for w in last_page if w[0] == f"{details['date']}印发")
    issuer = next(w for w in last_page if w[0] == details["bureau"] and w[2] > issued[2] - 1)
    date = next(w for w in last_page if w[0] == details["date"])
    line_mm = 225 / 22
    assert 262 - line_mm <= issued[2] / MM and issued[4] / MM <= 262, issued  # the text block's last line
    assert abs(issuer[2] - issued[2]) < 1 and issuer[1] < issued[1]  # one line, 印发机关 at the left
    assert abs(issuer[1] / MM - (28 + 14 / MM)) <= 1, issuer  # one 4号 character in
    assert abs(issued[3] / MM - (28 + 156 - 14 / MM)) <= 1, issued  # one character from the right
    assert date[4] < issued[2]  # below the body, the signature and the date
    if copy_to:
        line = next(w for w in last_page if w[0].startswith("抄送："))
        assert line[0] == copy_to and 0 < issued[2] - line[2] <= line_mm * MM + 1 and line[4] > date[4], line


def signed_off_batch(world, commit, call_code="letter-county"):
    call = review_call(world, code=call_code)
    apps = [submitted(org, call) for org in (world.ent_zg, world.ent_zg2)]
    for app, score in zip(apps, ("72", "86.5"), strict=True):
        review.application_recommend(actor=actor_for(world.county_reviewer), application=app, opinion="同意",
                                     score=score)
    with commit(execute=True):
        review.sign_off_batch(actor=actor_for(world.county_head), call=call)
    return call, apps


def test_signing_off_a_batch_makes_the_letter_in_gbt_9704_layout(world, media, eager_tasks,
                                                                django_capture_on_commit_callbacks, artifacts_dir):
    BureauSeal.objects.all().delete()
    call, _apps = signed_off_batch(world, django_capture_on_commit_callbacks)
    jobs = {j.fmt: j for j in DocumentJob.objects.filter(kind=DocumentKind.LETTER)}
    assert set(jobs) == {DocumentFormat.PDF, DocumentFormat.DOCX}
    pdf_job = jobs[DocumentFormat.PDF]
    assert all(j.status == DocumentStatus.DONE for j in jobs.values()), [j.error for j in jobs.values()]
    number = pdf_job.details["number"]
    assert re.fullmatch(r"章贡区工信局〔\d{4}〕1号", number)  # 六角括号, no leading zero, no 第
    with pdf_job.file.open("rb") as handle:
        data = handle.read()
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "章贡区工信局" in text and number in text.replace(" ", "") and "赣州市工信局：" in text.replace(" ", "")
    # the units recommended with their scores, the higher score first
    assert text.index("章贡乙企业") < text.index("章贡甲企业") and "86.50" in text and "72.00" in text

    # A4, top margin 37 mm (the masthead's top), left margin 28 mm (the addressee), within 1 mm
    with pikepdf.open(io.BytesIO(data)) as pdf:
        box = [float(v) for v in pdf.pages[0].mediabox]
        assert abs(box[2] - 210 * MM) < MM and abs(box[3] - 297 * MM) < MM
    found = words(data)
    masthead = next(w for w in found if w[0] == "章贡区工信局")
    addressee = next(w for w in found if w[0].startswith("赣州市工信局"))
    assert abs(masthead[2] / MM - 37) <= 1, masthead
    assert abs(addressee[1] / MM - 28) <= 1, addressee
    centre = (masthead[1] + masthead[3]) / 2
    assert abs(centre / MM - (28 + 156 / 2)) <= 1  # centred on the text block
    # the masthead is red
    with pikepdf.open(io.BytesIO(data)) as pdf:
        content = pdf.pages[0].obj.Contents.read_bytes()
    red = rb"0\.90\d* 0 0\.07\d* (rg|RG)"  # #E60012
    assert len(re.findall(red, content)) >= 2, content[:400]  # the masthead and the rule

    # the 版记 at the foot of the (last) page: 印发机关 and 印发日期
    pages = page_words(data)
    assert len(pages) == 1
    assert_record_at_the_foot(pages[-1], pdf_job.details)
    assert pdf_job.details["date"] == letters.chinese_date(timezone.localdate())

    # the DOCX: the same text, A4 with the same margins, the same 版记, the page number a PAGE field
    with jobs[DocumentFormat.DOCX].file.open("rb") as handle:
        doc = Document(io.BytesIO(handle.read()))
    section = doc.sections[0]
    assert abs(section.page_width.mm - 210) < 1 and abs(section.page_height.mm - 297) < 1
    assert abs(section.top_margin.mm - 37) < 1 and abs(section.left_margin.mm - 28) < 1
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "章贡区工信局" and any(number in p for p in paragraphs)
    assert_docx_record_and_page_number(doc, pdf_job.details)

    # seen by the bureau and the levels above, 404 for a neighbour
    from django.test import Client

    for user, code in ((world.county_head, 200), (world.city_reviewer, 200), (world.province_officer, 200),
                       (world.neighbour_reviewer, 404), (world.applicant_admin, 404)):
        client = Client()
        client.force_login(user)
        response = client.get(f"/documents/{pdf_job.pk}/download/")
        assert response.status_code == code, user
        if code == 200:
            disposition = response["Content-Disposition"]
            assert "filename*=utf-8''" in disposition and disposition.endswith(".pdf")

    with open(f"{artifacts_dir}/41-letter.pdf", "wb") as out:
        out.write(data)
    subprocess.run([shutil.which("pdftoppm"), "-png", "-r", "50", f"{artifacts_dir}/41-letter.pdf",
                    f"{artifacts_dir}/41-letter"], check=True, timeout=60)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


def assert_docx_record_and_page_number(doc, details, copy_to=""):
    """The DOCX's 版记: the 印发 line a frame at the foot of the text block (yAlign bottom), as wide as
    it, its rules 0.35 mm (w:sz 8: eighths of a point); 抄送 (if any) a frame just above it, a thin
    rule (0.25 mm) between. Its page number: a PAGE field between dashes, odd pages right, even left."""
    issued = next(p for p in doc.paragraphs if p.text.endswith(f"{details['date']}印发"))
    assert issued.text == f"\u3000{details['bureau']}\t{details['date']}印发"
    frame = issued._p.find(f"{W}pPr/{W}framePr")
    assert frame is not None and frame.get(f"{W}yAlign") == "bottom" and frame.get(f"{W}vAnchor") == "margin"
    assert abs(int(frame.get(f"{W}w")) / 1440 * 25.4 - 156) < 1
    rules = {e.tag.removeprefix(W): e.get(f"{W}sz") for e in issued._p.find(f"{W}pPr/{W}pBdr")}
    if copy_to:
        line = next(p for p in doc.paragraphs if p.text.startswith("抄送："))
        assert line.text == copy_to and rules == {"bottom": "8"}
        assert {e.tag.removeprefix(W): e.get(f"{W}sz") for e in line._p.find(f"{W}pPr/{W}pBdr")} == {
            "top": "8", "bottom": "6"}
        above = line._p.find(f"{W}pPr/{W}framePr")
        assert above is not None and above.get(f"{W}yAlign") is None and int(above.get(f"{W}y")) > 0
    else:
        assert rules == {"top": "8", "bottom": "8"}
    section = doc.sections[0]
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        p = footer._element.find(f".//{W}p")
        assert p.find(f"{W}pPr/{W}jc").get(f"{W}val") == align
        instructions = [e.text.strip() for e in p.iter(f"{W}instrText")] + [
            e.get(f"{W}instr").strip() for e in p.iter(f"{W}fldSimple")]
        assert instructions == ["PAGE"]
        assert [e.get(f"{W}fldCharType") for e in p.iter(f"{W}fldChar")] in (["begin", "separate", "end"], [])
        shown = "".join(e.text for e in p.iter(f"{W}t"))
        assert shown == "— 1 —"  # the field's last result between the dashes


def test_the_head_uploads_the_seal_once_and_it_is_on_the_letter(world, media, eager_tasks, client,
                                                               django_capture_on_commit_callbacks):
    client.force_login(world.county_reviewer)
    assert client.get("/review/seal/").status_code == 403  # a reviewer is not the head
    client.force_login(world.county_head)
    assert client.get("/review/seal/").status_code == 200
    flat = client.post("/review/seal/", {"seal": SimpleUploadedFile("seal.png", seal_png(False))}, follow=True)
    assert not BureauSeal.objects.exists() and "透明" in flat.content.decode()
    client.post("/review/seal/", {"seal": SimpleUploadedFile("seal.png", seal_png())})
    seal = BureauSeal.objects.get(organization=world.bureau_zg)
    assert AuditEntry.objects.filter(action="seal.upload", object_id=str(seal.pk)).exists()
    assert client.get("/review/seal/image/").status_code == 200

    signed_off_batch(world, django_capture_on_commit_callbacks, call_code="letter-seal")
    job = DocumentJob.objects.get(kind=DocumentKind.LETTER, fmt=DocumentFormat.PDF)
    with pikepdf.open(job.file.path) as pdf:
        images = list(pdf.pages[0].get_images().values())
        assert images and any(img.get("/SMask") is not None for img in images)  # the seal, with its transparency
    docx_job = DocumentJob.objects.get(kind=DocumentKind.LETTER, fmt=DocumentFormat.DOCX)
    with docx_job.file.open("rb") as handle:
        doc = Document(io.BytesIO(handle.read()))
    # the seal floats over the signature (anchored to it, in front, moving no text), not inline
    assert len(doc.inline_shapes) == 0
    paragraphs = doc.paragraphs
    at = max(n for n, p in enumerate(paragraphs) if p.text == job.details["bureau"])  # (the masthead first)
    signature = paragraphs[at]
    assert paragraphs[at + 1].text == job.details["date"]
    anchors = signature._p.findall(f".//{WP}anchor")
    assert len(anchors) == 1 and not list(doc.element.body.iter(f"{WP}inline"))
    anchor = anchors[0]
    assert anchor.get("behindDoc") == "0" and anchor.find(f"{WP}wrapNone") is not None
    assert anchor.find(f"{WP}positionV").get("relativeFrom") == "paragraph"
    assert abs(int(anchor.find(f"{WP}extent").get("cx")) / 36000 - 42) < 1  # 42 mm, EMU
    assert anchor.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}blip") is not None


def test_the_city_head_signing_off_writes_to_the_province(world, media, eager_tasks,
                                                         django_capture_on_commit_callbacks):
    call = review_call(world, code="letter-city")
    app = at_city(world, world.ent_zg, call)
    review.application_recommend(actor=actor_for(world.city_reviewer), application=app, opinion="市级推荐",
                                 score="80")
    with django_capture_on_commit_callbacks(execute=True):
        review.sign_off_batch(actor=actor_for(world.city_head), call=call)
    job = DocumentJob.objects.get(kind=DocumentKind.LETTER, fmt=DocumentFormat.PDF, region=world.ganzhou)
    assert job.status == DocumentStatus.DONE and job.details["level"] == "city"
    assert job.details["addressee"] and job.details["number"].endswith("〔%s〕1号" % job.details["year"])
    assert [u["name"] for u in job.details["units"]] == ["章贡甲企业"]
    assert letters.chinese_date(__import__("datetime").date(2024, 4, 5)) == "2024年4月5日"


def test_the_seal_sits_at_the_summary_tables_recommending_region(world, media, eager_tasks,
                                                                 django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    from submissions.documents import seals, summary

    seals.seal_upload(actor=actor_for(world.county_head), data=seal_png())
    call, _apps = signed_off_batch(world, django_capture_on_commit_callbacks, call_code="letter-summary")
    built = {}
    for fmt in ("pdf", "xlsx"):
        with django_capture_on_commit_callbacks(execute=True):
            built[fmt] = summary.summary_request(actor=actor_for(world.county_head), call=call, fmt=fmt)
        built[fmt].refresh_from_db()
        assert built[fmt].status == DocumentStatus.DONE, built[fmt].error
    with pikepdf.open(built["pdf"].file.path) as pdf:
        assert any(img.get("/SMask") is not None for img in pdf.pages[0].get_images().values())
    with built["xlsx"].file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert len(sheet._images) == 1


def test_the_level_up_downloads_the_batch_as_one_zip(world, media, eager_tasks, django_capture_on_commit_callbacks):
    import zipfile

    from django.test import Client
    from django.utils import timezone

    from submissions.models import Receipt

    _call, apps = signed_off_batch(world, django_capture_on_commit_callbacks, call_code="letter-zip")
    for n, app in enumerate(apps):
        Receipt.objects.create(application=app, number=f"ZIP-{n}", submitted_at=timezone.now(), fingerprint="0" * 64,
                               snapshot={"data": app.data})
    letter = DocumentJob.objects.get(kind=DocumentKind.LETTER, fmt=DocumentFormat.PDF)
    neighbour = Client()
    neighbour.force_login(world.neighbour_reviewer)
    assert neighbour.post(f"/documents/{letter.pk}/bundle/").status_code == 404
    city = Client()
    city.force_login(world.city_reviewer)
    page = city.get("/review/").content.decode()
    assert f'action="/documents/{letter.pk}/bundle/"' in page
    with django_capture_on_commit_callbacks(execute=True):
        assert city.post(f"/documents/{letter.pk}/bundle/").status_code == 302
    bundle = DocumentJob.objects.get(kind=DocumentKind.BUNDLE)
    assert bundle.status == DocumentStatus.DONE, bundle.error
    response = city.get(f"/documents/{bundle.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = archive.namelist()
        packets = [n for n in names if n.endswith(".pdf") and n.startswith("3-")]
        assert len(packets) == 2 and all(archive.read(n).startswith(b"%PDF-") for n in packets)
        assert sum(n.startswith("1-推荐函") for n in names) == 2  # PDF and DOCX
        assert {n.rsplit(".", 1)[1] for n in names if n.startswith("2-")} == {"xlsx", "pdf"}
        for name in packets:
            assert any(app.organization.name in name for app in apps)


def long_letter(units=14, copy_to=("赣州市发展和改革委员会", "章贡区财政局")) -> dict:
    return {"year": 2024, "date": "2024年4月15日", "number": "章贡区工信局〔2024〕3号", "bureau": "章贡区工信局",
            "signer": "张三", "addressee": "赣州市工信局", "title": "关于推荐2024年专精特新中小企业的函",
            "call": "2024年专精特新申报通知", "program": "专精特新中小企业", "level": "county",
            "units": [{"application": n, "name": f"章贡第{n}企业有限公司", "credit_code": "", "score": f"{90 - n:.2f}"}
                      for n in range(units)],
            "copy_to": list(copy_to)}


def test_the_record_closes_the_last_page_of_a_longer_letter_with_its_copies(artifacts_dir):
    """A letter of two pages with 抄送: the 版记 on the second page only, 抄送 above 印发, between the rules;
    in the DOCX too (frames and a PAGE field)."""
    details = long_letter()
    data, count = letters.letter_pdf(details)
    pages = page_words(data)
    assert count == len(pages) == 2
    assert not any("印发" in w[0] or w[0].startswith("抄送") for w in pages[0])
    assert_record_at_the_foot(pages[1], details, copy_to="抄送：赣州市发展和改革委员会，章贡区财政局。")
    with open(f"{artifacts_dir}/41-letter-long.pdf", "wb") as out:
        out.write(data)
    doc = Document(io.BytesIO(letters.letter_docx(details)))
    assert_docx_record_and_page_number(doc, details, copy_to="抄送：赣州市发展和改革委员会，章贡区财政局。")


# --- 发文字号: 1, 2, 3 … per bureau and year, taken under the counter's lock ----------------------------


def test_letter_numbers_go_one_two_three_per_bureau_and_year(world):
    from submissions.models import LetterCounter

    def number(bureau, region, year):
        return letters.next_number(bureau, region, year)

    assert [number(world.bureau_zg, world.zhanggong, 2024) for _ in range(3)] == [
        "章贡区工信局〔2024〕1号", "章贡区工信局〔2024〕2号", "章贡区工信局〔2024〕3号"]
    assert number(world.bureau_nk, world.nankang, 2024) == "南康区工信局〔2024〕1号"  # another bureau: its own
    assert number(world.bureau_zg, world.zhanggong, 2025) == "章贡区工信局〔2025〕1号"  # a new year: from 1
    assert number(world.bureau_zg, world.zhanggong, 2024) == "章贡区工信局〔2024〕4号"
    assert LetterCounter.objects.get(region=world.zhanggong, year=2024).last == 4


def test_a_new_counter_starts_after_the_letters_the_bureau_already_wrote(world):
    """Letters written before the counters existed keep their numbers: the first counter of the year
    starts after them."""
    call = review_call(world, code="letter-before")
    for n in (1, 2):
        DocumentJob.objects.create(kind=DocumentKind.LETTER, fmt=DocumentFormat.PDF, call=call, region=world.zhanggong,
                                   province=world.jx, input_hash=f"before-{n}", details={"year": 2024, "number": n})
    DocumentJob.objects.create(kind=DocumentKind.LETTER, fmt=DocumentFormat.DOCX, call=call, region=world.zhanggong,
                               province=world.jx, input_hash="before-docx", details={"year": 2024})
    assert letters.next_number(world.bureau_zg, world.zhanggong, 2024) == "章贡区工信局〔2024〕3号"
    assert letters.next_number(world.bureau_zg, world.zhanggong, 2023) == "章贡区工信局〔2023〕1号"


def test_a_number_is_taken_only_inside_the_sign_offs_transaction(world):
    from django.db import transaction

    with mock.patch.object(transaction, "get_connection") as get_connection:
        get_connection.return_value.in_atomic_block = False
        with pytest.raises(RuntimeError):
            letters.next_number(world.bureau_zg, world.zhanggong, 2024)


def _allocate_together(world, year: int, threads: int) -> list:
    """`threads` connections take a number of one bureau and year at the same moment (a barrier)."""
    from django.db import connection, transaction

    barrier = threading.Barrier(threads)
    results, lock = [], threading.Lock()

    def worker():
        outcome = None
        try:
            barrier.wait(timeout=60)
            with transaction.atomic():
                outcome = letters.next_number(world.bureau_zg, world.zhanggong, year)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            outcome = exc
        finally:
            connection.close()
            with lock:
                results.append(outcome)

    started = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=120)
    return results


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_sign_offs_of_one_bureau_get_distinct_numbers(world):
    """Two (and eight) connections released together by a barrier, the counter row new (both insert
    it) or there already: every one gets its own number, 1 … n, none repeated."""
    from django.db import connection, connections

    from submissions.models import LetterCounter

    assert connection.vendor == "postgresql"
    try:
        for round_no in range(10):
            year = 2000 + round_no
            for threads in (2, 8):
                results = _allocate_together(world, year, threads)
                assert not [r for r in results if not isinstance(r, str)], results
                first = LetterCounter.objects.get(region=world.zhanggong, year=year).last - threads + 1
                assert sorted(results, key=lambda n: int(n.split("〕")[1][:-1])) == [
                    f"章贡区工信局〔{year}〕{n}号" for n in range(first, first + threads)], results
                assert len(set(results)) == threads
    finally:
        for alias in connections:
            connections[alias].close()


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_counter_stays_locked_until_the_sign_off_commits(world):
    """A sign-off that took a number holds the counter row until it commits: another connection cannot
    lock it meanwhile (NOWAIT fails at once) and can once it has committed."""
    from django.db import DatabaseError, connection, connections, transaction

    from submissions.models import LetterCounter

    assert connection.vendor == "postgresql"
    with transaction.atomic():  # the counter row there (committed): the year's first letter
        assert letters.next_number(world.bureau_zg, world.zhanggong, 2024) == "章贡区工信局〔2024〕1号"
    taken, release = threading.Event(), threading.Event()
    numbers = []

    def sign_off():
        try:
            with transaction.atomic():
                numbers.append(letters.next_number(world.bureau_zg, world.zhanggong, 2024))
                taken.set()
                release.wait(timeout=60)
        finally:
            taken.set()
            connection.close()

    thread = threading.Thread(target=sign_off)
    thread.start()
    try:
        assert taken.wait(timeout=60) and numbers == ["章贡区工信局〔2024〕2号"]
        with pytest.raises(DatabaseError), transaction.atomic():
            LetterCounter.objects.select_for_update(nowait=True).get(region=world.zhanggong, year=2024)
    finally:
        release.set()
        thread.join(timeout=60)
    with transaction.atomic():
        counter = LetterCounter.objects.select_for_update(nowait=True).get(region=world.zhanggong, year=2024)
    assert counter.last == 2
    for alias in connections:
        connections[alias].close()
