"""The recommendation letter (推荐函, GB/T 9704-2012 layout) made when a bureau head signs off a
batch, county → city and city → province, as PDF and DOCX, signed; the bureau's seal on it."""

import io
import re
import shutil
import subprocess

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from PIL import Image
from pypdf import PdfReader

from portal.access import actor_for
from portal.models import AuditEntry
from submissions.constants import DocumentFormat, DocumentKind, DocumentStatus
from submissions.documents import letter as letters
from submissions.models import BureauSeal, DocumentJob
from submissions.review import services as review
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


def words(data: bytes) -> list[tuple[str, float, float, float, float]]:
    """(text, xMin, yMin, xMax, yMax) of every word (pdftotext -bbox), in points from the top left."""
    out = subprocess.run([shutil.which("pdftotext"), "-bbox", "-", "-"], input=data, capture_output=True,
                         check=True, timeout=60).stdout.decode()
    return [(m.group(5), *(float(m.group(i)) for i in range(1, 5)))
            for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                                 out)]


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

    # the DOCX: the same text, A4 with the same margins
    with jobs[DocumentFormat.DOCX].file.open("rb") as handle:
        doc = Document(io.BytesIO(handle.read()))
    section = doc.sections[0]
    assert abs(section.page_width.mm - 210) < 1 and abs(section.page_height.mm - 297) < 1
    assert abs(section.top_margin.mm - 37) < 1 and abs(section.left_margin.mm - 28) < 1
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "章贡区工信局" and any(number in p for p in paragraphs)

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
        assert len(Document(io.BytesIO(handle.read())).inline_shapes) == 1


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
