"""The county queue page costs the same queries at 20 and at 2,000 applications, shows only the page's
rows, counts per status over all of them, and sorts by the score shown (the bureau's, else the
self-score) without a query per row."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.constants import OrgKind
from portal.creditcode import make_credit_code
from portal.models import Organization
from submissions.constants import Status
from submissions.models import Application, Receipt, Review
from tests.submissions.test_review_support import review_call

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
STATUSES = [Status.SUBMITTED, Status.UNDER_REVIEW, Status.UNDER_REVIEW, Status.RECOMMENDED, Status.RETURNED]


def seed(world, call, n: int, start: int = 0) -> None:
    """n applications of 章贡区 at the county, every other one scored by the bureau, each with a receipt."""
    orgs = Organization.objects.bulk_create([
        Organization(name=f"章贡规模企业{start + i:05d}", kind=OrgKind.ENTERPRISE, region=world.zhanggong,
                     credit_code=make_credit_code(f"91360702MC{start + i:07d}"[:17]))
        for i in range(n)
    ])
    now = timezone.now()
    apps = Application.objects.bulk_create([
        Application(call=call, organization=org, region=world.zhanggong, province=world.jx, level="county",
                    status=STATUSES[(start + i) % 5], routing=["county", "city", "province"], title=org.name,
                    self_score=Decimal(40 + (start + i) % 50), submitted_at=now - dt.timedelta(minutes=start + i),
                    data={"summary": "长文本" * 500}, number=f"S{start + i:08d}")
        for i, org in enumerate(orgs)
    ])
    Review.objects.bulk_create([
        Review(application=a, level="county", reviewer=world.county_reviewer, score=Decimal(95), opinion="同意")
        for i, a in enumerate(apps) if (start + i) % 2 == 0
    ])
    Receipt.objects.bulk_create([
        Receipt(application=a, number=f"S{start + i:08d}", submitted_at=a.submitted_at, fingerprint="0" * 64,
                snapshot={})
        for i, a in enumerate(apps)
    ])


def page(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **EN)
    assert response.status_code == 200
    html = response.content.decode()
    return len(ctx.captured_queries), html


URLS = [reverse("review-queue"), reverse("review-queue") + "?sort=-score",
        reverse("review-queue") + "?status=under_review&sort=name", reverse("review-queue") + "?q=规模企业&page=2"]


def test_the_queue_costs_the_same_queries_at_20_and_at_2000_applications(world, client_for):
    call = review_call(world, code="scale-queue")
    client = client_for(world.county_reviewer)
    seed(world, call, 20)
    small = {url: page(client, url) for url in URLS}
    seed(world, call, 1980, start=20)
    large = {url: page(client, url) for url in URLS}
    for url in URLS:
        assert small[url][0] == large[url][0], f"{url}: {small[url][0]} queries at 20, {large[url][0]} at 2,000"
    assert small[URLS[0]][0] <= 16

    html = large[URLS[0]][1]
    assert html.count('data-app="') == 50
    assert "2000 applications" in html
    # the counts per status cover every application, in one aggregate
    assert re.search(r'data-status="under_review">.*?<span class="n">800</span>', html, re.S)
    assert re.search(r'data-status="returned">.*?<span class="n">400</span>', html, re.S)
    # the receipt of each row is shown
    assert "S00000000" in html and "S00000049" in html and "S00000050" not in html


def test_the_score_sort_uses_the_bureaus_score_else_the_self_score(world, client_for):
    call = review_call(world, code="scale-sort")
    seed(world, call, 60)
    _n, html = page(client_for(world.county_reviewer), reverse("review-queue") + "?sort=-score")
    shown = [int(x) for x in re.findall(r'data-app="(\d+)"', html)]
    apps = {a.pk: a for a in Application.objects.filter(pk__in=shown)}
    bureau = dict(Review.objects.filter(application_id__in=shown, level="county").values_list("application_id", "score"))
    scores = [bureau.get(pk, apps[pk].self_score) for pk in shown]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == Decimal(95) and scores[-1] < Decimal(95)  # scored rows first, then the best self-scores
    # the page's second-to-last column is the bureau's score of that row ("—" when unscored)
    first_unscored = next(pk for pk in shown if pk not in bureau)
    row = re.search(rf'<tr data-app="{first_unscored}".*?</tr>', html, re.S).group(0)
    assert '<td class="num">—</td>' in row and f'<td class="num">{apps[first_unscored].self_score}</td>' in row


def test_a_score_filter_counts_and_lists_by_the_score_shown(world, client_for):
    call = review_call(world, code="scale-filter")
    seed(world, call, 30)  # the bureau gave 95 to every other one; the self-scores are 40-69
    client = client_for(world.county_reviewer)
    _n, html = page(client, reverse("review-queue") + "?score_min=90")
    assert "15 applications" in html and html.count('data-app="') == 15
    assert 'data-total="15"' in html
    _n, html = page(client, reverse("review-queue") + "?score_max=50&sort=score")
    assert "5 applications" in html  # the unscored (odd) ones with a self-score of 41-49
    _n, html = page(client, reverse("review-queue"))
    assert "30 applications" in html and 'data-total="30"' in html


def test_the_rows_escape_what_the_applicant_typed(world, client_for):
    call = review_call(world, code="scale-escape")
    seed(world, call, 3)
    app = Application.objects.filter(call=call).order_by("-submitted_at").first()
    Organization.objects.filter(pk=app.organization_id).update(name='<script>alert("x")</script> & \'Co\'')
    _n, html = page(client_for(world.county_reviewer), reverse("review-queue"))
    row = re.search(rf'<tr data-app="{app.pk}".*?</tr>', html, re.S).group(0)
    assert "<script>" not in row
    assert row.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;Co&#x27;") >= 2  # the link, the label
