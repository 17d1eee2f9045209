"""Expert review, the scoring part: an assigned expert scores the rubric's level items with an
opinion (or gives a bounded score when the rubric has none) or declares a conflict of interest;
the bureau that assigned the experts sees every score, the mean and the spread, and may ask a
further round; all of it ends with the assigning level's stage."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.access import actor_for
from portal.constants import Role
from portal.models import AuditEntry
from scoring.engine import evaluate
from submissions.models import ExpertReview
from submissions.review import experts
from submissions.review.services import rubric_for
from tests.factories import MembershipFactory, UserFactory
from tests.submissions.test_review_support import at_city, review_call, submitted

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
PICKS_A = {"management_rules": "very_complete", "development_plan": "good"}
PICKS_B = {"management_rules": "incomplete", "development_plan": "none"}


def expert_of(world, username):
    user = UserFactory(username=username, email=f"{username}@example.com")
    m = MembershipFactory(user=user, organization=world.experts_jx, role=Role.EXPERT)
    user.active_membership = m
    user.save(update_fields=["active_membership"])
    return user


@pytest.fixture
def deadline():
    return timezone.now().replace(microsecond=0) + dt.timedelta(days=10)


@pytest.fixture
def case(world, deadline):
    """An alliance application (rubric with two level items) at the city, three experts assigned."""
    call = review_call(world, code="xs", rubric_code="gansu-2022-alliance", city_deadline=deadline)
    app = at_city(world, world.ent_zg, call)
    second, third = expert_of(world, "expert2"), expert_of(world, "expert3")
    world.expert.email = "expert1@example.com"
    world.expert.save(update_fields=["email"])
    for user in (world.expert, second, third):
        experts.expert_assign(actor=actor_for(world.city_reviewer), application=app, expert=user)
    return app, world.expert, second, third


def total_for(app, picks):
    resolved = rubric_for(app.call)
    inputs = {k: v for k, v in (app.score_inputs or {}).items() if k in resolved.rubric.inputs}
    return Decimal(evaluate(resolved.rubric, {**inputs, **picks}).total).quantize(Decimal("0.01"))


def test_an_expert_scores_the_level_items_with_an_opinion_on_its_page(world, client_for, case):
    app, first, *_ = case
    client = client_for(first)
    page = client.get(reverse("expert-application", args=[app.pk]), **ZH).content.decode()
    assert 'name="level_management_rules"' in page and 'name="level_development_plan"' in page
    assert "产业联盟管理制度建设" in page and "很完善" in page  # Chinese labels, not keys on screen
    assert "data-material-viewer" in page  # the same material viewer as the bureaus'
    # a missing pick or opinion: refused with the reason, nothing saved
    response = client.post(reverse("expert-application", args=[app.pk]),
                           {"level_management_rules": "very_complete", "opinion": "好"}, **ZH)
    assert response.status_code == 400 and "产业联盟中长期发展规划" in response.content.decode()
    response = client.post(reverse("expert-application", args=[app.pk]),
                           {**{f"level_{k}": v for k, v in PICKS_A.items()}, "opinion": ""}, **ZH)
    assert response.status_code == 400 and not ExpertReview.objects.exists()
    response = client.post(reverse("expert-application", args=[app.pk]),
                           {**{f"level_{k}": v for k, v in PICKS_A.items()}, "opinion": "制度健全，规划可行"}, **ZH)
    assert response.status_code == 302
    review = ExpertReview.objects.get()
    assert (review.expert, review.round, review.levels) == (first, 1, PICKS_A)
    assert review.score == total_for(app, PICKS_A) and review.opinion == "制度健全，规划可行"
    entry = AuditEntry.objects.get(action="review.expert_score")
    assert entry.actor == first and entry.data["score"] == str(review.score)
    # the page shows the saved picks
    page = client.get(reverse("expert-application", args=[app.pk]), **ZH).content.decode()
    assert re.search(r'<option value="very_complete" selected>', page) and 'id="my-score"' in page


def test_the_bureau_sees_every_score_the_mean_and_the_spread_and_asks_a_second_round(world, client_for, api_for,
                                                                                      case):
    app, first, second, third = case
    api = {u: api_for(u) for u in (first, second, third)}
    r = api[first].post(f"/api/expert/applications/{app.pk}/review/", {"levels": PICKS_A, "opinion": "好"},
                        format="json")
    assert r.status_code == 200 and Decimal(r.json()["score"]) == total_for(app, PICKS_A)
    r = api[second].post(f"/api/expert/applications/{app.pk}/review/", {"levels": PICKS_B, "opinion": "差"},
                         format="json")
    assert r.status_code == 200
    r = api[third].post(f"/api/expert/applications/{app.pk}/conflict/", {"reason": "近三年曾在该单位任职"},
                        format="json")
    assert r.status_code == 200 and r.json()["conflict"] is True
    # a declared conflict: no score from that expert
    r = api[third].post(f"/api/expert/applications/{app.pk}/review/", {"levels": PICKS_A, "opinion": "好"},
                        format="json")
    assert r.status_code == 403 and ExpertReview.objects.get(expert=third).score is None

    a, b = total_for(app, PICKS_A), total_for(app, PICKS_B)
    assert a != b
    rounds = api_for(world.city_reviewer).get(f"/api/applications/{app.pk}/experts/scores/").json()
    assert len(rounds) == 1 and Decimal(rounds[0]["mean"]) == ((a + b) / 2).quantize(Decimal("0.01"))
    assert Decimal(rounds[0]["spread"]) == abs(a - b)
    assert {r["expert"]: r["conflict"] for r in rounds[0]["reviews"]} == {first.pk: False, second.pk: False,
                                                                          third.pk: True}
    page = client_for(world.city_reviewer).get(reverse("review-experts", args=[app.pk]), **ZH).content.decode()
    assert f'<strong class="mean">{((a + b) / 2).quantize(Decimal("0.01"))}</strong>' in page
    assert f'<strong class="spread">{abs(a - b)}</strong>' in page and "近三年曾在该单位任职" in page
    panel = client_for(world.city_reviewer).get(reverse("review-detail", args=[app.pk]), **ZH).content.decode()
    assert 'class="expert-stats"' in panel

    # nobody else reads the scores or asks a round
    for user in (first, world.county_reviewer, world.applicant_admin, world.other_province_officer):
        assert api_for(user).get(f"/api/applications/{app.pk}/experts/scores/").status_code in (403, 404)
        assert api_for(user).post(f"/api/applications/{app.pk}/experts/rounds/").status_code in (403, 404)

    # a second round: the first stays on record, the experts without a conflict score again
    r = api_for(world.city_reviewer).post(f"/api/applications/{app.pk}/experts/rounds/")
    assert r.status_code == 201 and [x["round"] for x in r.json()] == [2, 1]
    assert sorted(ExpertReview.objects.filter(round=2).values_list("expert_id", flat=True)) == sorted(
        [first.pk, second.pk])
    r = api[second].post(f"/api/expert/applications/{app.pk}/review/", {"levels": PICKS_A, "opinion": "复评：好"},
                         format="json")
    assert r.status_code == 200 and r.json()["round"] == 2
    rounds = api_for(world.city_reviewer).get(f"/api/applications/{app.pk}/experts/scores/").json()
    assert Decimal(rounds[0]["mean"]) == a and Decimal(rounds[0]["spread"]) == 0
    assert Decimal(rounds[1]["spread"]) == abs(a - b)  # round 1 unchanged
    assert ExpertReview.objects.get(expert=second, round=1).opinion == "差"
    round_entry = AuditEntry.objects.get(action="review.expert_round")
    from portal.models import OutboxMessage

    told = set(OutboxMessage.objects.filter(audit_entry=round_entry).values_list("recipient", flat=True))
    assert told == {first.email.lower(), second.email.lower()}  # not the expert with a conflict


def test_scoring_ends_with_the_stage_and_is_for_the_assigned_expert_only(world, api_for, client_for, case, deadline):
    app, first, *_ = case
    other = submitted(world.ent_zg2, app.call)
    for user in (world.foreign_expert, expert_of(world, "unassigned")):
        r = api_for(user).post(f"/api/expert/applications/{app.pk}/review/", {"levels": PICKS_A, "opinion": "x"},
                               format="json")
        assert r.status_code == 404
    r = api_for(first).post(f"/api/expert/applications/{other.pk}/review/", {"levels": PICKS_A, "opinion": "x"},
                            format="json")
    assert r.status_code == 404
    with time_machine.travel(deadline + dt.timedelta(seconds=1), tick=False):
        r = api_for(first).post(f"/api/expert/applications/{app.pk}/review/", {"levels": PICKS_A, "opinion": "x"},
                                format="json")
        assert r.status_code == 404
        assert client_for(first).post(reverse("expert-application", args=[app.pk]),
                                      {"level_management_rules": "good", "opinion": "x"}).status_code == 404
        r = api_for(world.city_reviewer).post(f"/api/applications/{app.pk}/experts/rounds/")
        assert r.status_code == 403
    assert not ExpertReview.objects.exists()


def test_without_level_items_the_expert_gives_a_bounded_score(world, api_for, deadline):
    call = review_call(world, code="xs-plain", city_deadline=deadline)
    app = at_city(world, world.ent_zg, call)
    experts.expert_assign(actor=actor_for(world.city_reviewer), application=app, expert=world.expert)
    api = api_for(world.expert)
    for bad in ("150", "-5", "abc", ""):
        r = api.post(f"/api/expert/applications/{app.pk}/review/", {"score": bad, "opinion": "x"}, format="json")
        assert r.status_code == 400, bad
    assert not ExpertReview.objects.exists()
    r = api.post(f"/api/expert/applications/{app.pk}/review/", {"score": "82.5", "opinion": "较好"}, format="json")
    assert r.status_code == 200 and r.json()["score"] == "82.50"


def test_the_new_endpoints_are_documented_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    assert set(paths["/api/expert/applications/{id}/review/"]) == {"post"}
    assert set(paths["/api/expert/applications/{id}/conflict/"]) == {"post"}
    assert set(paths["/api/applications/{application_pk}/experts/scores/"]) == {"get"}
    assert set(paths["/api/applications/{application_pk}/experts/rounds/"]) == {"post"}
    assert set(paths["/api/review/applications/bulk-decide/"]) == {"post"}
    assert set(paths["/api/review/applications/decision-templates/"]) == {"get"}
    assert {"levels", "score", "opinion"} <= set(components["ExpertReviewInput"]["properties"])
    assert {"mean", "spread", "reviews"} <= set(components["Round"]["properties"])
    assert {"decision", "comment", "ids"} <= set(components["BulkDecideInput"]["properties"])
    assert "opinion" in components["SignOffInput"]["properties"]
    assert {"unlimited_reason", "applied", "full", "refusal"} <= set(components["QuotaStatus"]["properties"])


def test_the_expert_list_says_what_it_gave(world, client_for, case):
    app, first, second, third = case
    experts.expert_review_submit(actor=actor_for(first), application=app, levels=PICKS_A, opinion="好")
    experts.expert_conflict_declare(actor=actor_for(third), application=app, reason="亲属任职")
    cell = lambda user: re.search(r'<td class="my-review">(.*?)</td>', client_for(user).get(  # noqa: E731
        reverse("expert-applications"), **ZH).content.decode(), re.S).group(1)
    assert str(total_for(app, PICKS_A)) in cell(first)
    assert "利益冲突" in cell(third)
    assert "尚未评分" in cell(second)
