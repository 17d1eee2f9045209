"""The score sheet of the review page: Chinese labels (never the rubric's keys), differences
between the self-score and the bureau's highlighted, and running totals while the reviewer picks
levels (computed by the engine, nothing saved until the reviewer saves)."""

import re

import pytest
from django.urls import reverse

from submissions.models import InputCorrection, Review
from tests.submissions.test_review_support import review_call, submitted

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
SELF = {"management_rules": "incomplete", "development_plan": "none"}


def total(html: str, which: str) -> str:
    return re.search(rf'id="{which}-total">([^<]*)<', html).group(1)


def test_running_totals_follow_the_level_picks_without_saving(world, client_for):
    call = review_call(world, code="live", rubric_code="gansu-2022-alliance")
    app = submitted(world.ent_zg, call, score_inputs=SELF)
    client = client_for(world.county_reviewer)
    page = client.get(reverse("review-detail", args=[app.pk]), **ZH).content.decode()
    assert 'hx-post="%s"' % reverse("review-score-preview", args=[app.pk]) in page
    assert "产业联盟管理制度建设" in page
    assert "(management_rules)" not in page and "(rd_expenditure)" not in page  # no raw keys on screen
    before = total(page, "bureau")
    preview = client.post(reverse("review-score-preview", args=[app.pk]),
                          {"level_management_rules": "very_complete", "level_development_plan": "excellent"}, **ZH)
    html = preview.content.decode()
    assert preview.status_code == 200 and html.lstrip().startswith("<div id=\"scores-table\"")
    assert float(total(html, "bureau")) == float(before) + 10  # 很完善 5 + 规划完善可行性高 5
    assert total(html, "self") == total(page, "self")
    row = re.search(r'<tr class="differs" data-item="management_rules">', html)
    assert row, "the item where the bureau differs from the self-score is highlighted"
    assert not InputCorrection.objects.filter(application=app).exists()
    assert not Review.objects.filter(application=app, score__isnull=False).exists()
    # the preview is the acting bureau's only
    for user in (world.city_reviewer, world.neighbour_reviewer, world.applicant_admin, world.expert):
        assert client_for(user).post(reverse("review-score-preview", args=[app.pk]),
                                     {"level_management_rules": "good"}).status_code in (403, 404)
