"""The application packet: one PDF of an application as submitted (cover, contents, form, materials,
a footer stamp on every page), built by a Celery task, served only through the access layer."""

import datetime as dt
import io
import re
import shutil
import subprocess

import pikepdf
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


def outline_of(data: bytes) -> list:
    """The bookmarks as (title, page number 1.., children) triples."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        index = {page.objgen: n for n, page in enumerate(pdf.pages, start=1)}

        def walk(items):
            return [(item.title, index[item.destination[0].objgen], walk(item.children)) for item in items]

        with pdf.open_outline() as outline:
            return walk(outline.root)


def test_the_packet_is_bound_cover_contents_categories_materials_spine_with_bookmarks_and_labels(
        world, app, built, artifacts_dir):
    job = built(world.applicant_admin, app)
    data = read(job)
    receipt = app.receipts.get()
    texts = page_texts(data)
    total = len(texts)
    assert job.pages == total and job.size == len(data)
    assert job.sha256 == __import__("hashlib").sha256(data).hexdigest()
    with translation.override("zh-hans"):
        names = {key: str(packets._(key)) for key in ("Cover", "Contents", "Application form", "Spine",
                                                      "Contents of the category")}

    # bookmarks: every section and every material, each pointing at the page where it starts
    outline = outline_of(data)
    titles = [title for title, _page, _children in outline]
    assert titles == [names["Cover"], names["Contents"], names["Application form"], "申报材料",
                      "证明材料（扫描件）", "现场照片", names["Spine"]]
    pages = {title: page for title, page, _children in outline}
    children = {title: kids for title, _page, kids in outline}
    assert pages[names["Cover"]] == 1 and pages[names["Contents"]] == 2 and pages[names["Application form"]] == 3
    assert [kid[0] for kid in children["申报材料"]] == [names["Contents of the category"], "申报材料.pdf"]
    assert [kid[0] for kid in children["证明材料（扫描件）"]] == [names["Contents of the category"], "证明材料.pdf"]
    assert [kid[0] for kid in children["现场照片"]] == [names["Contents of the category"], "现场照片.png"]
    material_a = children["申报材料"][1][1]
    material_b = children["证明材料（扫描件）"][1][1]
    photo = children["现场照片"][1][1]
    # each category: its contents page, then its materials
    assert material_a == pages["申报材料"] + 1 and pages["证明材料（扫描件）"] == material_a + 3
    assert material_b == pages["证明材料（扫描件）"] + 1 and pages["现场照片"] == material_b + 2
    assert photo == pages["现场照片"] + 1 and pages[names["Spine"]] == photo + 1 == total
    assert "MATERIAL-A-P1" in texts[material_a - 1] and "MATERIAL-A-P3" in texts[material_a + 1]
    assert "MATERIAL-B-P1" in texts[material_b - 1]
    # the photo is bound: its page draws the image (the material's own page, fitted on the sheet)
    image_page = PdfReader(io.BytesIO(data)).pages[photo - 1]
    assert any(x.get_object().get("/Subtype") == "/Image" for x in image_page["/Resources"]["/XObject"].values())

    # the master contents and the category contents print the same pages as the bookmarks
    def printed(page_text, title):
        line = next(line for line in page_text.splitlines() if title in line)
        return int(line.rsplit(" ", 1)[1])

    assert printed(texts[1], names["Application form"]) == 3
    assert printed(texts[1], "申报材料.pdf") == material_a and printed(texts[1], "证明材料.pdf") == material_b
    assert printed(texts[1], names["Spine"]) == total
    assert printed(texts[pages["证明材料（扫描件）"] - 1], "证明材料.pdf") == material_b
    assert names["Contents of the category"] in texts[pages["现场照片"] - 1]

    # continuous page labels 1 … M, every page A4 (portrait)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        nums = pdf.Root.PageLabels.Nums
        assert len(nums) == 2 and int(nums[0]) == 0 and nums[1].S == "/D" and int(nums[1].get("/St", 1)) == 1
        for page in pdf.pages:
            width, height = float(page.mediabox[2]) - float(page.mediabox[0]), \
                float(page.mediabox[3]) - float(page.mediabox[1])
            assert abs(min(width, height) - 595.28) < 1 and abs(max(width, height) - 841.89) < 1, (width, height)

    # the spine: applicant, program, year
    spine = texts[-1].replace("\n", "")
    assert "".join(RARE_NAME.split()) in spine and app.call.program.name in spine and str(app.call.year) in spine

    # the cover: call, applicant (with its rare character), code, region, receipt, fingerprint
    cover = texts[0]
    assert RARE_NAME in cover, cover  # 𠀾 rendered with a CJK font (a missing glyph would not extract)
    assert world.ent_zg.credit_code in cover and app.call.title in cover and "章贡区" in cover
    assert receipt.number in cover and receipt.fingerprint[:32] in cover.replace("\n", "")

    # the footer: "number · page N / M" on every page, N counted from 1 to M (no off-by-one)
    with translation.override("zh-hans"):
        for n, text in enumerate(texts, start=1):
            assert packets.stamp_text(receipt.number, n, total) in text, (n, text[-120:])

    # the form as submitted: labels from the call's form, figures, self-score, declarations
    form_text = "".join(texts[2:pages["申报材料"] - 1])
    assert "主营业务" in form_text and "数控机床" in form_text and "10000" in form_text
    assert str(app.self_score) in form_text and "申请受理截止日期前两年内" in form_text

    # the glyph of 𠀾 comes from an embedded CJK font
    reader = PdfReader(io.BytesIO(data))
    fonts = set()
    for page in reader.pages[:1]:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("CJK" in f for f in fonts), fonts

    # look at it
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is installed by `make install`"
    target = f"{artifacts_dir}/40-packet"
    with open(f"{target}.pdf", "wb") as out:
        out.write(data)
    subprocess.run([pdftoppm, "-png", "-r", "40", f"{target}.pdf", target], check=True, timeout=60)


def _odd_page(pdf, media, crop=None, trim=None, rotate=None, unit=None):
    """A page with a frame, a red corner mark and a word, with the given boxes and attributes."""
    page = pdf.add_blank_page(page_size=(media[2] - media[0], media[3] - media[1]))
    page.obj.MediaBox = pikepdf.Array(list(media))
    for key, value in (("/CropBox", crop), ("/TrimBox", trim)):
        if value is not None:
            page.obj[key] = pikepdf.Array(list(value))
    if rotate is not None:
        page.obj.Rotate = rotate
    if unit is not None:
        page.obj.UserUnit = unit
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    x0, y0, x1, y1 = media
    page.contents_add(pdf.make_stream((
        f"0 0 1 RG 6 w {x0 + 3} {y0 + 3} {x1 - x0 - 6} {y1 - y0 - 6} re S 1 0 0 rg {x0 + 10} {y0 + 10} 40 20 re f "
        f"BT /F1 24 Tf {x0 + 60} {y0 + (y1 - y0) / 2} Td (PAGE) Tj ET").encode()))
    return page


ODD_PAGES = [
    {"media": (0, 0, 595, 842)},
    {"media": (0, 0, 842, 595)},
    {"media": (0, 0, 612, 792), "rotate": 0},
    {"media": (0, 0, 595, 842), "rotate": 90},
    {"media": (0, 0, 595, 842), "rotate": 180},
    {"media": (0, 0, 595, 842), "rotate": 270},
    {"media": (0, 0, 595, 842), "rotate": -90},
    {"media": (100, 50, 500, 350), "crop": (120, 60, 480, 340), "rotate": 90},
    {"media": (-50, -80, 400, 600), "crop": (-40, -60, 380, 560), "trim": (-30, -50, 370, 500), "rotate": 180},
    {"media": (0, 0, 300, 200), "unit": 2},
    {"media": (10, 20, 310, 220), "rotate": 270, "unit": 1.5},
]


def test_a_material_pages_geometry_is_that_of_its_form_xobject():
    """``page_form_geometry`` gives the box and matrix qpdf gives the page's form XObject (with its
    transformations handled), for every rotation, offset boxes and a user unit."""
    pdf = pikepdf.new()
    for spec in ODD_PAGES:
        page = _odd_page(pdf, **spec)
        form = page.as_form_xobject(handle_transformations=True)
        bbox, matrix = packets.page_form_geometry(page)
        assert bbox == pytest.approx([float(v) for v in form.BBox]), spec
        assert matrix == pytest.approx([float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0])]), spec


def test_a_material_page_fitted_in_place_looks_as_its_form_drawn_on_a_sheet(tmp_path):
    """A material page made an A4 sheet in place (``fit_on_sheet``: its content is not copied) looks,
    pixel for pixel, as the page drawn as a form XObject, fitted and centred, on a blank A4 sheet."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is installed by `make install`"
    source = pikepdf.new()
    for spec in ODD_PAGES:
        _odd_page(source, **spec)
    drawn, fitted = pikepdf.new(), pikepdf.new()
    for page in source.pages:
        wide = packets.is_landscape(page)
        sheet = drawn.add_blank_page(page_size=(packets.A4[1], packets.A4[0]) if wide else packets.A4)
        form = drawn.copy_foreign(page.as_form_xobject(handle_transformations=True))
        width, height, (left, bottom) = packets._shown_box([float(v) for v in form.BBox],
                                                           [float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0])])
        tw, th = float(sheet.mediabox[2]), float(sheet.mediabox[3])
        scale = min(tw / width, th / height)
        dx, dy = (tw - width * scale) / 2 - left * scale, (th - height * scale) / 2 - bottom * scale
        name = sheet.add_resource(form, pikepdf.Name.XObject, prefix="Material")
        sheet.contents_add(drawn.make_stream(f"q {scale:.5f} 0 0 {scale:.5f} {dx:.3f} {dy:.3f} cm {name} Do Q"
                                             .encode()))
        fitted.pages.append(page)
        packets.fit_on_sheet(fitted, fitted.pages[-1], wide)
    images = {}
    for name, pdf in (("drawn", drawn), ("fitted", fitted)):
        pdf.save(tmp_path / f"{name}.pdf")
        subprocess.run([pdftoppm, "-png", "-r", "30", tmp_path / f"{name}.pdf", tmp_path / name], check=True,
                       timeout=60)
        images[name] = sorted(tmp_path.glob(f"{name}-*.png"))
    assert len(images["drawn"]) == len(images["fitted"]) == len(ODD_PAGES)
    for (spec, a), b in zip(zip(ODD_PAGES, images["drawn"], strict=True), images["fitted"], strict=True):
        assert a.read_bytes() == b.read_bytes(), spec
    assert all(sorted(page.obj.keys()) == ["/Contents", "/MediaBox", "/Parent", "/Resources", "/Type"]
               for page in fitted.pages)


@pytest.mark.parametrize("content", [
    b"q 1 0 0 1 10 10 cm 0 0 50 50 re f",  # a save never restored
    b"q 2 0 0 2 0 0 cm q 0 0 9 9 re f Q",  # two saves, one restored
    b"0 0 50 50 re f Q Q 0 0 5 5 re f",  # restores it never saved
    b"BT /F1 9 Tf (q q Q) Tj ET q 0 0 5 5 re f",  # a q in a string, and one save never restored
])
def test_a_material_page_that_leaves_its_graphics_state_unbalanced_is_contained(content):
    """What a material page saves it must restore; one that does not (against the PDF rules, but
    seen in scanners' output) is contained as its form XObject contained it: the sheet's content
    is balanced, so the footer drawn after it is drawn in the sheet's own coordinates."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(300, 400))
    page.obj.Contents = pdf.make_stream(content)
    packets.fit_on_sheet(pdf, pdf.pages[0], wide=False)
    depth = lowest = 0
    for _operands, operator in pikepdf.parse_content_stream(pdf.pages[0], "q Q"):
        depth += 1 if str(operator) == "q" else -1
        lowest = min(lowest, depth)
    assert (lowest, depth) == (0, 0)


def test_landscape_and_odd_sized_material_pages_are_bound_on_a4_readable(world, call, media, time_machine, built):
    time_machine.move_to(DEADLINE, tick=False)
    application = ready(world.applicant_admin, call)
    wide = pikepdf.new()
    wide.add_blank_page(page_size=(842, 595))  # A4 landscape
    wide.add_blank_page(page_size=(612, 792))  # US letter
    turned = wide.add_blank_page(page_size=(595, 842))
    turned.obj["/Rotate"] = 90  # a portrait page shown turned: landscape
    for page, label in zip(wide.pages, ("WIDE", "LETTER", "TURNED"), strict=True):
        font = wide.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                     BaseFont=pikepdf.Name.Helvetica))
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.contents_add(wide.make_stream(f"BT /F1 24 Tf 100 300 Td ({label}) Tj ET".encode()))
    out = io.BytesIO()
    wide.save(out)
    attach(world.applicant_admin, application, "evidence", out.getvalue(), "横版.pdf")
    services.application_submit(actor=actor(world.applicant_admin), application=application, now=DEADLINE)
    data = read(built(world.applicant_admin, application))
    texts = page_texts(data)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        shapes = {}
        for page, text in zip(pdf.pages, texts, strict=True):
            for label in ("WIDE", "LETTER", "TURNED"):
                if label in text:
                    box = [float(v) for v in page.mediabox]
                    shapes[label] = (round(box[2] - box[0]), round(box[3] - box[1]), int(page.obj.get("/Rotate", 0)))
    # landscape pages on A4 landscape (not shrunk onto a portrait page), the rest on A4 portrait
    assert shapes == {"WIDE": (842, 595, 0), "LETTER": (595, 842, 0), "TURNED": (842, 595, 0)}, shapes


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


def test_a_packet_failing_by_a_fault_of_the_portal_shows_nothing_internal(world, app, eager_tasks, commit,
                                                                           monkeypatch):
    from submissions.documents import tasks

    def broken(job, target):
        raise RuntimeError("pikepdf.Job: internal detail /tmp/portal-packet-x/merged.pdf")

    monkeypatch.setattr(tasks, "_build", broken)
    with commit():
        job = packets.packet_request(actor=actor(world.applicant_admin), application=app)
    job.refresh_from_db()
    assert job.status == DocumentStatus.FAILED and not job.file
    assert job.error.startswith("因平台故障，文件未能生成") and str(job.pk) in job.error
    assert "RuntimeError" not in job.error and "pikepdf" not in job.error and "/tmp" not in job.error


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


def test_building_a_packet_leaves_no_laid_out_document_behind(world, app, tmp_path):
    """A laid-out WeasyPrint document is a web of reference cycles (~100 MiB for a few pages); the
    builder frees it at once instead of leaving it to the collector (a worker building packet after
    packet grew by that much each time). Checked with the automatic collector off."""
    import gc

    from weasyprint.css import ComputedStyle
    from weasyprint.formatting_structure.boxes import Box

    receipt = app.receipts.get()
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        packets.write_packet(app, receipt, tmp_path / "packet.pdf")
        alive = [obj for obj in gc.get_objects() if issubclass(type(obj), (ComputedStyle, Box))]
    finally:
        if enabled:
            gc.enable()
    assert len(alive) == 0, f"{len(alive)} styles and boxes of laid-out pages left to the collector"


def test_documents_share_one_font_configuration_per_thread_and_render_the_same():
    """WeasyPrint's font configuration is made once per process and thread (pdf_fonts): a second
    document reuses it and embeds the same fonts; another thread gets its own."""
    import threading

    from submissions.documents import pdf_fonts

    first = packets.render_pdf("<html><body><p>申报书 第一份</p></body></html>")
    second = packets.render_pdf("<html><body><p>申报书 第一份</p></body></html>")
    assert pdf_fonts.font_config() is pdf_fonts.font_config()
    fonts = [sorted(str(f.BaseFont).split("+", 1)[1] for page in pikepdf.open(io.BytesIO(packets.pdf_of(doc))).pages
                    for f in page.Resources.Font.values()) for doc in (first, second)]
    assert fonts[0] == fonts[1] and fonts[0]
    other = []
    thread = threading.Thread(target=lambda: other.append(pdf_fonts.font_config()))
    thread.start()
    thread.join()
    assert other and other[0] is not pdf_fonts.font_config()


def test_fonts_are_embedded_byte_for_byte_as_weasyprint_embeds_them(monkeypatch):
    """pdf_fonts.SubsetFont (installed for the pinned WeasyPrint: a new version fails here until it
    is checked again) embeds the same font files WeasyPrint's own class does: CJK serif and sans,
    regular and bold, Latin, a character beyond the BMP (𠀾), accents."""
    import weasyprint
    from weasyprint.pdf import fonts as weasy_fonts
    from weasyprint.pdf import stream as weasy_stream
    from weasyprint.text import fonts as text_fonts

    from submissions.documents import pdf_fonts

    assert weasyprint.__version__ == pdf_fonts.SUPPORTED_VERSION and pdf_fonts.installed()
    html = ('<html><body style="font-family: \'Noto Serif CJK SC\', serif">'
            f'<p>申报书 第一份 {RARE_NAME} Résumé naïve 1234 · 第 5 / 205 页</p><p><b>书脊 加粗 Bold</b></p>'
            '<p style="font-family: \'Noto Sans CJK SC\', sans-serif">黑体 文字 Sans <b>加粗</b></p></body></html>')

    def font_files(data: bytes) -> dict[str, bytes]:
        files = {}
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                for font in page.Resources.Font.values():
                    descriptor = (font.DescendantFonts[0] if "/DescendantFonts" in font else font).FontDescriptor
                    stream = next(descriptor[key] for key in ("/FontFile3", "/FontFile2", "/FontFile")
                                  if key in descriptor)
                    files[str(font.BaseFont).split("+", 1)[1]] = stream.read_bytes()
        return files

    ours = font_files(packets.pdf_of(packets.render_pdf(html)))
    monkeypatch.setattr(weasy_stream, "Font", weasy_fonts.Font)
    monkeypatch.setattr(weasy_fonts, "get_hb_object_data", text_fonts.get_hb_object_data)
    theirs = font_files(packets.pdf_of(packets.render_pdf(html)))
    assert len(ours) >= 4 and ours.keys() == theirs.keys(), (sorted(ours), sorted(theirs))
    for name, data in ours.items():
        assert data == theirs[name], name
