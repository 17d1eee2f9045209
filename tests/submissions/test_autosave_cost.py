"""An autosave finds its application with one query and builds the call's form once per version of
the form (not twice per request): a fixed, small number of queries, whoever else is on the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.constants import ConditionKind
from programs.models import Call, EligibilityCondition
from scoring.rubric_loader import RUBRIC_DIR
from scoring.services import rubric_fixture_load
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
        if i:
            # a warm save reads none of what the form is built from: the call's row (loaded with the
            # application) says which version of the form it has
            assert not [q for q in sqls if "programs_eligibilitycondition" in q or "programs_requiredmaterial" in q
                        or "scoring_rubric" in q], sqls
    assert builds == [call.pk], "the form is built once, then reused"
    # the session, the user, the actor's membership, the application, the same under its lock, its
    # update and the draft's version
    assert counts[1] == counts[2] <= 7, counts
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
    call.refresh_from_db()  # the version of the form is the call's, as stored
    forms.form_spec(call)
    assert builds == [call.pk, call.pk], "the new version is cached in turn"


def test_a_save_to_someone_elses_application_is_404_and_changes_nothing(world, client_for):
    call = make_call(world.jx)
    app = start(world.applicant_admin, call)
    response = client_for(world.other_applicant).post(
        reverse("applicant-autosave", args=[app.pk]), {"version": app.version, "summary": "闯入"})
    assert response.status_code == 404
    assert (Application.objects.get(pk=app.pk).data or {}).get("summary") != "闯入"


def _save(client, url, version, text):
    response = client.post(url, {"version": version, "summary": text})
    assert response.status_code == 200, response.content
    return response.json()["version"]


def _spec_of(call):
    return forms.form_spec(Call.objects.select_related("program").get(pk=call.pk))


def test_an_added_or_deleted_condition_is_a_new_version_of_the_form(world, client_for, builds):
    call = make_call(world.jx)
    app = start(world.applicant_admin, call)
    client = client_for(world.applicant_admin)
    url = reverse("applicant-autosave", args=[app.pk])
    builds.clear()
    version = _save(client, url, app.version, "一")
    EligibilityCondition.objects.create(call=call, order=9, code="no-pollution", kind=ConditionKind.DECLARATION,
                                        text="近三年未发生重大环境污染事件。")
    version = _save(client, url, version, "二")
    assert "近三年未发生重大环境污染事件。" in [f.label for f in _spec_of(call).declarations]
    EligibilityCondition.objects.filter(call=call, code="no-pollution").delete()  # a queryset's delete too
    _save(client, url, version, "三")
    assert "近三年未发生重大环境污染事件。" not in [f.label for f in _spec_of(call).declarations]
    assert builds == [call.pk, call.pk, call.pk]


def test_a_changed_condition_text_reaches_the_form(world, client_for):
    call = make_call(world.jx)
    before = _spec_of(call)
    condition = EligibilityCondition.objects.get(call=call, kind=ConditionKind.DECLARATION)
    condition.text = "申请受理截止日期前三年内，无严重违法违规行为。"
    condition.save()
    after = _spec_of(call)
    assert [f.label for f in before.declarations] != [f.label for f in after.declarations]
    assert [f.label for f in after.declarations] == ["申请受理截止日期前三年内，无严重违法违规行为。"]


def test_a_newly_published_rubric_version_is_a_new_version_of_the_form(world, client_for, builds):
    call = make_call(world.jx)  # rubric gansu-2022-etc: read from its file while no version is published
    app = start(world.applicant_admin, call)
    client = client_for(world.applicant_admin)
    url = reverse("applicant-autosave", args=[app.pk])
    builds.clear()
    version = _save(client, url, app.version, "一")
    assert _spec_of(call).rubric.version is None
    published, created = rubric_fixture_load(path=RUBRIC_DIR / "gansu-2022-etc.yaml")
    assert created
    _save(client, url, version, "二")
    assert builds == [call.pk, call.pk]
    assert _spec_of(call).rubric.version.pk == published.pk
