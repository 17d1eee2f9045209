"""An autosave finds its application with one query and builds the call's form once per version of
the form (not twice per request): a fixed, small number of queries, whoever else is on the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import EligibilityCondition
from submissions import forms
from submissions.models import Application
from tests.submissions.test_applicant_support import make_call, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds(monkeypatch):
    """Count how often the form's fields are built (the cache of forms is emptied first)."""
    calls = []
    real = forms._build_form_spec
    monkeypatch.setattr(forms, "_spec_cache", type(forms._spec_cache)())

    def counting(*args, **kwargs):
        calls.append(args[0].pk)
        return real(*args, **kwargs)

    monkeypatch.setattr(forms, "_build_form_spec", counting)
    return calls


def test_an_autosave_builds_the_form_once_and_costs_a_fixed_few_queries(world, client_for, builds):
    call = make_call(world.jx)
    app = start(world.applicant_admin, call)
    client = client_for(world.applicant_admin)
    url = reverse("applicant-autosave", args=[app.pk])
    forms._spec_cache.clear()
    builds.clear()
    version = app.version
    counts = []
    for i in range(3):
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(url, {"version": version, "summary": f"第{i}稿"})
        assert response.status_code == 200, response.content
        version = response.json()["version"]
        counts.append(len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]))
        # one query finds the application (by its key, within the actor's scope), one reads it again
        # under the row lock to save it; nothing of what a list row shows (stages, receipts) is read
        sqls = [q["sql"] for q in ctx.captured_queries]
        assert len([q for q in sqls if q.startswith('SELECT "submissions_application"')]) == 2
        assert not [q for q in sqls if "programs_stage" in q or "submissions_receipt" in q]
    assert builds == [call.pk], "the form is built once, then reused"
    assert counts[1] == counts[2] <= 10, counts
    assert Application.objects.get(pk=app.pk).data["summary"] == "第2稿"


def test_a_changed_condition_is_a_new_version_of_the_form(world, client_for, builds):
    call = make_call(world.jx)
    app = start(world.applicant_admin, call)
    client = client_for(world.applicant_admin)
    url = reverse("applicant-autosave", args=[app.pk])
    forms._spec_cache.clear()
    builds.clear()
    response = client.post(url, {"version": app.version, "summary": "一"})
    condition = EligibilityCondition.objects.filter(call=call).first()
    condition.text = condition.text + "（更正）"
    condition.save(update_fields=["text"])
    client.post(url, {"version": response.json()["version"], "summary": "二"})
    assert builds == [call.pk, call.pk]
    forms.form_spec(call)
    assert builds == [call.pk, call.pk], "the new version is cached in turn"


def test_a_save_to_someone_elses_application_is_404_and_changes_nothing(world, client_for):
    call = make_call(world.jx)
    app = start(world.applicant_admin, call)
    response = client_for(world.other_applicant).post(
        reverse("applicant-autosave", args=[app.pk]), {"version": app.version, "summary": "闯入"})
    assert response.status_code == 404
    assert (Application.objects.get(pk=app.pk).data or {}).get("summary") != "闯入"
