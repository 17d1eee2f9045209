"""The expert's page in headless Chromium at 1366×768: the application's PDF in the material viewer
beside the expert's score sheet; the expert picks the levels, writes its opinion and saves; the
bureau then reads the score, the mean and the spread."""

import os

import pytest
from django.core.files.base import ContentFile

from portal.access import actor_for
from programs.models import RequiredMaterial
from submissions.models import Attachment, ExpertReview
from submissions.review import experts
from tests.e2e.conftest import login
from tests.e2e.test_split_review import two_page_pdf
from tests.factories import PASSWORD
from tests.submissions.test_review_support import at_city, review_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_expert_reads_the_pdf_and_scores_beside_it(world, laptop, live_server, artifacts_dir):
    from playwright.sync_api import expect

    call = review_call(world, code="x-e2e", rubric_code="gansu-2022-alliance")
    call.blind_review = True
    call.save(update_fields=["blind_review"])
    material = RequiredMaterial.objects.create(call=call, code="application-form", name="申报书", order=1)
    app = at_city(world, world.ent_zg, call)
    content = two_page_pdf()
    att = Attachment(application=app, material=material, original_name="form.pdf", content_type="application/pdf",
                     size=len(content), sha256="0" * 64)
    att.file.save("form.pdf", ContentFile(content), save=False)
    att.save()
    experts.expert_assign(actor=actor_for(world.city_reviewer), application=app, expert=world.expert)

    page = laptop()
    login(page, live_server, "expert", PASSWORD)
    page.goto(f"{live_server.url}/expert/applications/{app.pk}/")
    page.wait_for_selector("[data-material-viewer][data-rendered-page='1']")
    assert page.evaluate("() => document.querySelector('.mv-canvas').width") > 200
    assert page.locator("#blind-review").count() == 1
    expect(page.locator("#expert-score-form button[type=submit]")).to_be_in_viewport(ratio=1)
    page.select_option("#x-management_rules", "very_complete")
    page.select_option("#x-development_plan", "good")
    page.fill("#x-opinion", "制度健全，规划可行")
    page.screenshot(path=os.path.join(artifacts_dir, "expert-review-1366.png"))
    with page.expect_navigation():
        page.click("#expert-score-form button[type=submit]")
    review = ExpertReview.objects.get(application=app, expert=world.expert)
    assert review.levels == {"management_rules": "very_complete", "development_plan": "good"}
    assert review.score is not None and review.opinion == "制度健全，规划可行"

    bureau = laptop()
    login(bureau, live_server, "city_reviewer", PASSWORD)
    bureau.goto(f"{live_server.url}/review/applications/{app.pk}/experts/")
    assert bureau.inner_text(".expert-round .mean") == str(review.score)
    assert bureau.inner_text(".expert-round .spread") == "0.00"
    bureau.screenshot(path=os.path.join(artifacts_dir, "expert-scores-bureau.png"), full_page=True)
