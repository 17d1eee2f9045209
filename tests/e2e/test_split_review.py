"""The review page as a split view, in headless Chromium at 1366×768: the material viewer (PDF.js,
served by the portal under static/vendor/pdfjs) renders a page of the PDF on a canvas, pages, zooms
and searches its text, while the score sheet and the actions stay in view."""

import os

import pytest
from django.core.files.base import ContentFile

from programs.models import RequiredMaterial
from submissions.models import Attachment
from tests.e2e.conftest import login
from tests.factories import PASSWORD
from tests.submissions.test_review_support import review_call, submitted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def two_page_pdf() -> bytes:
    from weasyprint import HTML

    html = ("<style>@page{size:A4;margin:2cm} p{font-size:28pt}</style>"
            "<p>Application form, first page</p><p style='break-before:page'>Research expenditure audit</p>")
    return HTML(string=html).write_pdf()


def attach(app, material, name, content, content_type):
    att = Attachment(application=app, material=material, original_name=name, content_type=content_type,
                     size=len(content), sha256="0" * 64)
    att.file.save(name, ContentFile(content), save=False)
    att.save()
    return att


def painted(page) -> bool:
    """Whether the viewer's canvas holds something else than white."""
    return page.evaluate("""() => {
        const c = document.querySelector('.mv-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) { if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) return true; }
        return false;
    }""")


def test_the_split_view_renders_the_pdf_beside_the_scores_and_the_actions(world, laptop, live_server, artifacts_dir):
    call = review_call(world, code="split", limit=3, rubric_code="gansu-2022-alliance")
    form = RequiredMaterial.objects.create(call=call, code="application-form", name="申报书", order=1)
    photo = RequiredMaterial.objects.create(call=call, code="photo", name="研发场地照片", order=2)
    app = submitted(world.ent_zg, call, score_inputs={"management_rules": "incomplete", "development_plan": "none"})
    attach(app, form, "form.pdf", two_page_pdf(), "application/pdf")
    from tests.submissions.test_review_support import PNG_1PX

    attach(app, photo, "site.png", PNG_1PX, "image/png")

    page = laptop()
    login(page, live_server, "county_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/review/applications/{app.pk}/")
    viewer = page.locator("[data-material-viewer]")
    page.wait_for_selector("[data-material-viewer][data-rendered-page='1']")
    canvas = page.locator(".mv-canvas")
    assert canvas.count() == 1 and canvas.is_visible()
    assert page.evaluate("() => document.querySelector('.mv-canvas').width") > 200
    assert painted(page)  # PDF.js drew the page
    assert page.locator(".mv-count").inner_text() == "2"
    assert "pdf.min.mjs" in viewer.get_attribute("data-pdfjs") and "/static/vendor/pdfjs/" in viewer.get_attribute(
        "data-pdfjs")

    # the score sheet and the actions are in view beside the viewer, without scrolling the page
    from playwright.sync_api import expect

    page.screenshot(path=os.path.join(artifacts_dir, "split-review-1366.png"))
    expect(page.locator(".pane-scores h2")).to_be_in_viewport()
    expect(page.locator("#review-actions h2")).to_be_in_viewport()
    expect(page.locator("#recommend-form button[type=submit]")).to_be_in_viewport(ratio=1)
    viewer_box, work_box = page.locator(".viewer-pane").bounding_box(), page.locator(".work-pane").bounding_box()
    assert viewer_box["x"] + viewer_box["width"] <= work_box["x"]  # side by side
    assert page.evaluate("() => document.documentElement.scrollHeight") < 1600  # no 4,800 px page
    page.screenshot(path=os.path.join(artifacts_dir, "split-review-1366.png"))

    # running totals: picking levels updates the bureau's total at once (nothing saved)
    before = page.inner_text("#bureau-total")
    page.select_option("#l-management_rules", "very_complete")
    page.wait_for_function(f"() => document.querySelector('#bureau-total').textContent.trim() !== '{before}'")
    assert float(page.inner_text("#bureau-total")) == float(before) + 5
    assert page.locator('#scores-table tr.differs[data-item="management_rules"]').count() == 1
    expect(page.locator("#recommend-form button[type=submit]")).to_be_in_viewport(ratio=1)
    # saving the picks is an ordinary POST of the same form (the preview only listens to changes)
    with page.expect_navigation():
        page.click("#levels-form button[type=submit]")
    from submissions.models import InputCorrection

    assert InputCorrection.objects.filter(application=app, input_key="management_rules",
                                          new_value="very_complete").count() == 1
    page.wait_for_selector("[data-material-viewer][data-rendered-page='1']")

    # page navigation and zoom
    page.click(".mv-next")
    page.wait_for_selector("[data-material-viewer][data-rendered-page='2']")
    width = page.evaluate("() => document.querySelector('.mv-canvas').clientWidth")
    page.click(".mv-zoom-in")
    page.wait_for_function(f"() => document.querySelector('.mv-canvas').clientWidth > {width}")
    page.click(".mv-fit")
    page.click(".mv-prev")
    page.wait_for_selector("[data-material-viewer][data-rendered-page='1']")

    # the text search goes to the page holding the words and marks them
    page.fill(".mv-search", "expenditure")
    page.press(".mv-search", "Enter")
    page.wait_for_selector("[data-material-viewer][data-rendered-page='2']")
    page.wait_for_selector(".textLayer span.mv-hit")
    assert page.locator(".mv-status").inner_text() == "1 / 1"
    page.fill(".mv-search", "无此内容")
    page.press(".mv-search", "Enter")
    page.wait_for_function("() => document.querySelector('.mv-status').textContent.length > 0 "
                           "&& !document.querySelector('.mv-status').textContent.includes('/')")

    # an image material is shown inline
    page.click("[data-material='photo'][data-material-url]")
    page.wait_for_selector(".mv-image:not([hidden])")
    assert page.locator(".mv-canvas").is_hidden()
    page.screenshot(path=os.path.join(artifacts_dir, "split-review-image.png"))
