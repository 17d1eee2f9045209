"""What a row of the review queue shows: the applicant (escaped), the bureau's score (in the score to recommend with), the stage's deadline in Beijing time with the
extension that moved it, and whether the application is late. (The current receipt's number:
test_receipt_current.py.)"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.constants import StageLevel
from programs.models import StageExtension
from submissions.constants import Level
from submissions.models import Review
from tests.submissions.test_review_support import enterprise, review_call, submitted

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def row(html: str, pk: int) -> str:
    found = re.search(rf'<tr data-app="{pk}".*?</tr>', html, re.S)
    assert found, f"no row for application {pk}"
    return found.group(0)


def test_a_row_shows_the_applicant_escaped_the_score_and_the_deadline_in_beijing_time(world, client_for):
    deadline = timezone.now().replace(microsecond=0) + dt.timedelta(days=9)
    call = review_call(world, code="qr-row", county_deadline=deadline)
    app = submitted(enterprise(world.zhanggong, name="赣州<b>精密</b>有限公司"), call)
    Review.objects.create(application=app, level=Level.COUNTY, score=Decimal("81.5"))
    html = client_for(world.county_reviewer).get(reverse("review-queue"), **ZH).content.decode()
    shown = row(html, app.pk)
    assert "赣州&lt;b&gt;精密&lt;/b&gt;有限公司" in shown and "<b>精密" not in shown
    assert f'href="{reverse("review-detail", args=[app.pk])}"' in shown
    assert f'name="score_{app.pk}" value="81.50"' in shown
    beijing = timezone.localtime(deadline, timezone=dt.timezone(dt.timedelta(hours=8)))
    assert beijing.strftime("%Y-%m-%d %H:%M") in shown
    assert 'class="overdue"' not in shown and "badge overdue" not in shown and '<span class="badge">' not in shown


def test_a_row_past_its_stage_deadline_is_late_and_an_extension_moves_it(world, client_for):
    call = review_call(world, code="qr-late", county_deadline=timezone.now() - dt.timedelta(days=1))
    app = submitted(enterprise(world.zhanggong), call)
    reviewer = client_for(world.county_reviewer)
    shown = row(reviewer.get(reverse("review-queue"), **ZH).content.decode(), app.pk)
    assert 'class="overdue"' in shown and '<span class="badge overdue">已逾期</span>' in shown
    later = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    StageExtension.objects.create(stage=call.stages.get(level=StageLevel.COUNTY), region=world.zhanggong,
                                  new_deadline=later, reason="系统故障顺延")
    shown = row(reviewer.get(reverse("review-queue"), **ZH).content.decode(), app.pk)
    assert 'class="overdue"' not in shown and "badge overdue" not in shown
    assert '<span class="badge">已延期</span>' in shown
    assert timezone.localtime(later).strftime("%Y-%m-%d %H:%M") in shown
