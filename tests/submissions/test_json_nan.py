"""NaN, Infinity and -Infinity sent to the API or to the form's autosave get a clear 400 and change
nothing (one JSON parser: portal.json_input); a well-formed JSON body is saved by both."""

import pytest
from django.urls import reverse

from submissions.models import Application, DraftConflict
from tests.submissions.test_applicant_support import make_call, start

pytestmark = pytest.mark.django_db

BAD = ["NaN", "Infinity", "-Infinity"]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def draft(world):
    return start(world.applicant_admin, make_call(world.jx))


def body(version: int, value: str) -> str:
    return '{"version": %d, "data": {"figures": {"2030": {"rd_expenditure": %s}}}}' % (version, value)


def state(app):
    app = Application.objects.get(pk=app.pk)
    return app.version, app.data, app.score_inputs, DraftConflict.objects.count()


@pytest.mark.parametrize("value", BAD)
def test_the_api_refuses_nan(world, draft, api_for, value):
    before = state(draft)
    response = api_for(world.applicant_admin).patch(f"/api/applications/{draft.pk}/", body(draft.version, value),
                                                    content_type="application/json", **EN)
    assert response.status_code == 400, response.content
    assert value.lstrip("-") in response.json()["detail"] and "not a number" in response.json()["detail"]
    assert state(draft) == before


@pytest.mark.parametrize("value", BAD)
def test_the_autosave_refuses_nan(world, draft, client_for, value):
    before = state(draft)
    response = client_for(world.applicant_admin).post(reverse("applicant-autosave", args=[draft.pk]),
                                                      body(draft.version, value), content_type="application/json",
                                                      **EN)
    assert response.status_code == 400
    assert response.json()["status"] == "invalid" and "not a number" in response.json()["detail"]
    assert state(draft) == before


def test_a_json_body_is_saved_by_both(world, draft, client_for, api_for):
    response = client_for(world.applicant_admin).post(reverse("applicant-autosave", args=[draft.pk]),
                                                      body(draft.version, "300.50"), content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "saved", response.content
    draft.refresh_from_db()
    assert str(draft.data["figures"]["2030"]["rd_expenditure"]) == "300.50"  # the exact text, never a float
    response = api_for(world.applicant_admin).patch(f"/api/applications/{draft.pk}/", body(draft.version, "310.25"),
                                                    content_type="application/json")
    assert response.status_code == 200
    draft.refresh_from_db()
    assert str(draft.data["figures"]["2030"]["rd_expenditure"]) == "310.25"
    not_an_object = client_for(world.applicant_admin).post(reverse("applicant-autosave", args=[draft.pk]), "[1]",
                                                           content_type="application/json")
    assert not_an_object.status_code == 400
