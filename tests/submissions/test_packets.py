"""The application packet: one PDF of an application as submitted (cover, contents, form, materials,
a footer stamp on every page), built by a Celery task, served only through the access layer."""

import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from pypdf import PdfReader

from portal.models import AuditEntry
from programs.models import RequiredMaterial
from submissions.constants import DocumentStatus
from submissions.documents import packet as packets
from submissions.filing import services
from submissions.models import DocumentJob, Receipt
from tests.conftest import needs_worker
from tests.submissions.test_applicant_support import (  # noqa: F401 - fixtures
    DEADLINE,
    actor,
    attach,
    image_bytes,
    make_call,
    media,
    ready,
    start,
)

pytestmark = pytest.mark.django_db

RARE_NAME = "赣州𠀾精密机械有限公司"  # 𠀾 U+2003E: CJK Extension B


def text_pdf(label: str, pages: int) -> bytes:
    """A PDF whose pages say which material and page they are (to find where a part starts)."""
    html = "".join(f'<p style="page-break-after: always">{label}-P{n}</p>' for n in range(1, pages + 1))
    return packets.pdf_of(packets.render_pdf(f"<html><body>{html}</body></html>"))


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def call(world):
    call = make_call(world.jx)
    RequiredMaterial.objects.create(call=call, order=3, code="photo", name="现场照片", allowed_types=["png", "jpg"],
                                    max_size_mb=5, is_required=False)
    return call


@pytest.fixture
def app(world, call, media, time_machine):
    """A submitted application of 章贡甲企业 (renamed with a rare character) with two PDF materials
    (3 and 2 pages) and one PNG."""
    time_machine.move_to(DEADLINE, tick=False)
    world.ent_zg.name = RARE_NAME
    world.ent_zg.save(update_fields=["name"])
    app = ready(world.applicant_admin, call)
    attach(world.applicant_admin, app, "application-material", text_pdf("MATERIAL-A", 3), "申报材料.pdf")
    attach(world.applicant_admin, app, "evidence", text_pdf("MATERIAL-B", 2), "证明材料.pdf")
    attach(world.applicant_admin, app, "photo", image_bytes("PNG"), "现场照片.png")
    services.application_submit(actor=actor(world.applicant_admin), application=app, now=DEADLINE)
    app.refresh_from_db()
    return app


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what a request leaves for after the commit (the task's dispatch), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def built(commit, eager_tasks):
    def build(user, app) -> DocumentJob:
        with commit():
            job = packets.packet_request(actor=actor(user), application=app)
        job.refresh_from_db()
        assert job.status == DocumentStatus.DONE, job.error
        return job

    return build


def read(job) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def test_the_packet_binds_cover_contents_form_and_materials_with_a_stamp_on_every_page(
        world, app, built, artifacts_dir):
    job = built(world.applicant_admin, app)
    data = read(job)
    receipt = app.receipts.get()
    texts = page_texts(data)
    total = len(texts)
    assert job.pages == total and job.size == len(data)
    assert job.sha256 == __import__("hashlib").sha256(data).hexdigest()

    # contents: the parts and where they start, as printed on page 2
    toc = texts[1]
    with translation.override("zh-hans"):
        form_title = str(packets._("Application form"))
    starts = {}
    for title in (form_title, "申报材料", "证明材料（扫描件）", "现场照片"):
        line = next(line for line in toc.splitlines() if line.split(" ", 1)[-1].startswith(title))
        starts[title] = int(line.rsplit(" ", 1)[1])
    form_start = starts[form_title]
    assert form_start == 3  # cover, contents, then the form
    form_pages = starts["申报材料"] - form_start
    assert form_pages >= 1
    # page count = cover + contents + form + 3 + 2 PDF pages + 1 page for the PNG
    assert total == 2 + form_pages + 3 + 2 + 1
    assert starts["证明材料（扫描件）"] == starts["申报材料"] + 3
    assert starts["现场照片"] == starts["证明材料（扫描件）"] + 2 == total
    # the parts start where the contents say
    assert form_title in texts[form_start - 1].splitlines()[0]
    assert "MATERIAL-A-P1" in texts[starts["申报材料"] - 1] and "MATERIAL-A-P3" in texts[starts["申报材料"] + 1]
    assert "MATERIAL-B-P1" in texts[starts["证明材料（扫描件）"] - 1]
    photo = PdfReader(io.BytesIO(data)).pages[total - 1]
    assert any(x.get_object().get("/Subtype") == "/Image" for x in photo["/Resources"]["/XObject"].values())

    # the cover: call, applicant (with its rare character), code, region, receipt, fingerprint
    cover = texts[0]
    assert RARE_NAME in cover, cover  # 𠀾 rendered with a CJK font (a missing glyph would not extract)
    assert world.ent_zg.credit_code in cover and app.call.title in cover and "章贡区" in cover
    assert receipt.number in cover and receipt.fingerprint[:32] in cover.replace("\n", "")

    # the footer: "number · page N / M" on every page, N counted from 1 to M (no off-by-one)
    with translation.override("zh-hans"):
        for n, text in enumerate(texts, start=1):
            assert packets.stamp_text(receipt.number, n, total) in text, (n, text[-120:])
    def numbers(text):
        return re.findall(rf"(?<!\d)(\d+) / {total}(?!\d)", text)

    assert numbers(texts[0]) == ["1"] and numbers(texts[1]) == ["2"]
    assert numbers(texts[-1]) == [str(total)] and numbers(texts[-2]) == [str(total - 1)]

    # the form as submitted: labels from the call's form, figures, self-score, declarations
    form_text = "".join(texts[form_start - 1:form_start - 1 + form_pages])
    assert "主营业务" in form_text and "数控机床" in form_text and "10000" in form_text
    assert str(app.self_score) in form_text and "申请受理截止日期前两年内" in form_text

    # the glyph of 𠀾 comes from an embedded CJK font
    reader = PdfReader(io.BytesIO(data))
    fonts = set()
    for page in reader.pages[:1]:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("CJK" in f for f in fonts), fonts

    # look at it: the cover and the contents as PNG
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is installed by `make install`"
    target = f"{artifacts_dir}/40-packet"
    with open(f"{target}.pdf", "wb") as out:
        out.write(data)
    subprocess.run([pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "3", f"{target}.pdf", target], check=True,
                   timeout=60)


def test_a_request_is_audited_reuses_the_built_job_and_a_new_receipt_builds_anew(world, app, built):
    from submissions.documents.tasks import build_document

    before = AuditEntry.objects.filter(action="document.request").count()
    job = built(world.applicant_admin, app)
    again = built(world.county_reviewer, app)
    assert again.pk == job.pk  # same receipt: the packet built is reused
    entries = AuditEntry.objects.filter(action="document.request").order_by("id")
    assert entries.count() == before + 2
    assert [e.data["reused"] for e in entries[before:]] == [False, True]
    assert entries.last().object_id == str(job.pk) and entries.last().actor == world.county_reviewer

    # the task is idempotent: a done job is not rebuilt
    name, digest = job.file.name, job.sha256
    assert build_document(job.pk) == DocumentStatus.DONE
    job.refresh_from_db()
    assert (job.file.name, job.sha256, job.attempts) == (name, digest, 1)

    # a new receipt (a resubmission) is a new packet
    old = app.receipts.get()
    newer = Receipt.objects.create(application=app, number=old.number[:-2] + "02", submitted_at=old.submitted_at,
                                   submitted_by=world.applicant_admin, fingerprint="f" * 64, snapshot=old.snapshot)
    third = built(world.applicant_admin, app)
    assert third.pk != job.pk and third.receipt == newer
    assert newer.number in page_texts(read(third))[0]


def test_a_draft_has_no_packet(world, call, media, time_machine, client_for, api_for, eager_tasks):
    time_machine.move_to(DEADLINE, tick=False)
    draft = start(world.applicant_admin, call)
    with pytest.raises(PermissionDenied):
        packets.packet_request(actor=actor(world.applicant_admin), application=draft)
    page = client_for(world.applicant_admin).post(f"/applications/{draft.pk}/packet/", follow=True)
    assert page.status_code == 200 and DocumentJob.objects.count() == 0
    assert "草稿" in page.content.decode()
    api = api_for(world.applicant_admin).post("/api/documents/packets/", {"application": draft.pk}, format="json")
    assert api.status_code == 403 and DocumentJob.objects.count() == 0
    # a bureau does not even see the draft
    api = api_for(world.county_reviewer).post("/api/documents/packets/", {"application": draft.pk}, format="json")
    assert api.status_code == 404


def test_pages_offer_the_packet_and_the_api_builds_and_serves_it(world, app, client_for, api_for, eager_tasks,
                                                                commit):
    client = client_for(world.applicant_admin)
    detail = client.get(f"/my/applications/{app.pk}/").content.decode()
    assert 'id="packet-panel"' in detail and f'action="/applications/{app.pk}/packet/"' in detail
    with commit():
        response = client.post(f"/applications/{app.pk}/packet/", {"next": f"/my/applications/{app.pk}/"})
    response = client.get(response["Location"])
    job = DocumentJob.objects.get()
    html = response.content.decode()
    assert f'href="/documents/{job.pk}/download/"' in html and 'data-status="done"' in html
    download = client.get(f"/documents/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert "attachment" in download["Content-Disposition"] and download["Cache-Control"] == "private, no-store"
    status = api_for(world.applicant_admin).get(f"/api/documents/{job.pk}/").json()
    assert status["status"] == "done" and status["download_url"].endswith(f"/documents/{job.pk}/download/")

    review = client_for(world.county_reviewer).get(f"/review/applications/{app.pk}/").content.decode()
    assert 'id="packet-panel"' in review and f'href="/documents/{job.pk}/download/"' in review

    api = api_for(world.city_reviewer)
    created = api.post("/api/documents/packets/", {"application": app.pk}, format="json")
    assert created.status_code == 200 and created.json()["id"] == job.pk  # reused
    got = api.get(f"/api/documents/{job.pk}/").json()
    assert got["status"] == "done" and got["pages"] == job.pages and got["sha256"] == job.sha256
    assert got["receipt_number"] == app.receipts.get().number
    file = api.get(got["download_url"])
    assert file.status_code == 200 and b"".join(file.streaming_content) == read(job)
    listed = api.get("/api/documents/", {"kind": "packet"}).json()
    assert [row["id"] for row in listed["results"]] == [job.pk]

    schema = client_for(world.applicant_admin).get("/api/schema/").content.decode()
    for path in ("/api/documents/packets/", "/api/documents/{id}/download/", "/api/documents/summaries/"):
        assert path in schema


def test_only_those_who_may_read_the_application_get_its_packet(world, app, client_for, api_for, built):
    job = built(world.applicant_admin, app)
    for user in (world.applicant_viewer, world.applicant_filer, world.county_reviewer, world.city_head,
                 world.province_officer, world.operator):
        client = client_for(user)
        assert client.get(f"/documents/{job.pk}/download/").status_code == 200, user
        assert api_for(user).get(f"/api/documents/{job.pk}/download/").status_code == 200, user
        client.logout()
    for user in (world.other_applicant, world.neighbour_reviewer, world.other_city_reviewer, world.lanzhou_reviewer,
                 world.other_province_officer):
        client = client_for(user)
        for url in (f"/documents/{job.pk}/download/", f"/applications/{app.pk}/packet/panel/"):
            assert client.get(url).status_code == 404, (user, url)
        client.logout()
        api = api_for(user)
        assert api.get(f"/api/documents/{job.pk}/").status_code == 404, user
        assert api.get(f"/api/documents/{job.pk}/download/").status_code == 404, user
        assert api.get("/api/documents/").json()["results"] == [], user
        assert api.post("/api/documents/packets/", {"application": app.pk}, format="json").status_code == 404
        assert client_for(user).post(f"/applications/{app.pk}/packet/").status_code == 404
    assert DocumentJob.objects.count() == 1
    # a file shows only once complete
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentStatus.RUNNING)
    assert client_for(world.applicant_admin).get(f"/documents/{job.pk}/download/").status_code == 404


def test_weasyprint_fetches_nothing_but_data_uris_and_user_content_is_escaped(world, app, tmp_path):
    fetcher = packets.url_fetcher()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    for url in (f"file://{secret}", "http://127.0.0.1:9/x.png", "https://example.com/font.otf",
                "portal-font:../../settings.py", "portal-font:nothing.otf"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    # an image pointing at a local file is not loaded: the document renders without it
    html = f'<html><body><p>x</p><img src="file://{secret}"><img src="http://127.0.0.1:9/a.png"></body></html>'
    assert packets.pdf_of(packets.render_pdf(html)).startswith(b"%PDF-")
    # markup typed by the applicant is printed as text
    app.data = {**app.data, "summary": '<img src="file:///etc/passwd"><b>加粗</b>'}
    receipt = app.receipts.get()
    receipt.snapshot = {**receipt.snapshot, "data": app.data}
    data, _pages = packets.build_packet(app, receipt)
    joined = "".join(page_texts(data))
    assert '<img src="file:///etc/passwd"><b>加粗</b>' in joined.replace("\n", "")


def test_a_packet_whose_material_is_missing_fails_with_the_reason(world, app, eager_tasks, commit):
    attachment = app.attachments.get(material__code="evidence")
    attachment.file.storage.delete(attachment.file.name)
    with commit():
        job = packets.packet_request(actor=actor(world.applicant_admin), application=app)
    job.refresh_from_db()
    assert job.status == DocumentStatus.FAILED and "证明材料.pdf" in job.error and not job.file
    # a failed job is not reused: the next request tries again
    assert packets.packet_request(actor=actor(world.applicant_admin), application=app).pk != job.pk


def test_the_stamp_sits_at_the_bottom_of_turned_pages():
    import pikepdf

    stamps = pikepdf.open(io.BytesIO(packets.pdf_of(packets.render_pdf(
        '<html><style>@page { size: A4; @bottom-center { content: "STAMP-" counter(page) } }'
        '.b { break-before: page; height: 1pt }</style><body><div></div>'
        + '<div class="b"></div>' * 3 + "</body></html>"))))
    pdf = pikepdf.new()
    for rotate in (0, 90, 180, 270):
        pdf.add_blank_page(page_size=(400, 600))
        if rotate:
            pdf.pages[-1].obj["/Rotate"] = rotate
        packets.overlay_stamp(pdf, pdf.pages[-1], stamps.pages[len(pdf.pages) - 1])
    s0, s90 = 400 / packets.STAMP_WIDTH, 600 / packets.STAMP_WIDTH
    assert packets._placement(pdf.pages[0]) == (s0, 0, 0, s0, 0, 0)
    assert packets._placement(pdf.pages[1]) == (0, s90, -s90, 0, 400, 0)  # shown bottom = the right edge
    assert packets._placement(pdf.pages[2]) == (-s0, 0, 0, -s0, 400, 600)
    assert packets._placement(pdf.pages[3]) == (0, -s90, s90, 0, 0, 600)
    texts = page_texts(packets.save_pdf(pdf))
    assert [t.strip() for t in texts] == ["STAMP-1", "STAMP-2", "STAMP-3", "STAMP-4"]


@needs_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_packet_requested_through_the_api(world, call, media, time_machine, api_for):
    from celery.contrib.testing.worker import start_worker
    from celery.result import AsyncResult

    from portal.project.celery import app as celery_app

    time_machine.move_to(DEADLINE - dt.timedelta(hours=1))  # the clock runs: the worker needs it
    application = ready(world.applicant_admin, call)
    services.application_submit(actor=actor(world.applicant_admin), application=application, now=DEADLINE)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        response = api_for(world.county_reviewer).post("/api/documents/packets/", {"application": application.pk},
                                                       format="json")
        assert response.status_code == 201, response.content
        job = DocumentJob.objects.get(pk=response.json()["id"])
        assert AsyncResult(job.task_id, app=celery_app).get(timeout=120) == DocumentStatus.DONE
    job.refresh_from_db()
    assert job.status == DocumentStatus.DONE and job.pages >= 4
    assert page_texts(read(job))[0].count(application.receipts.get().number) >= 1
    assert re.search(r"1 / \d+", page_texts(read(job))[0])
