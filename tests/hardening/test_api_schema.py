"""The OpenAPI schema is exact: schemathesis calls every operation, as an applicant and as a county
reviewer (token authentication), with examples generated from the schema; every answer must be
documented (status, content type, body) and none may be a server error. Bounded in time."""

import time
from collections import Counter

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.conftest import needs_postgres
from tests.submissions.test_applicant_support import actor, make_call, media, ready  # noqa: F401 - fixtures

pytestmark = [pytest.mark.postgres, needs_postgres]

MAX_EXAMPLES = 6
BUDGET_SECONDS = 170


def _world_with_data(world):
    from submissions.filing import services

    call = make_call(world.jx, deadline=None)
    app = ready(world.applicant_admin, call)
    services.application_submit(actor=actor(world.applicant_admin), application=app)
    draft = ready(world.applicant_admin, make_call(world.jx, code="jx-2031-draft", program_code="etc-draft"))
    return app, draft


def _examples(world, submitted, draft) -> dict:
    """Real values for the path parameters (schemathesis' explicit phase), by path prefix and name."""
    from portal.models import AuditEntry, Membership

    attachment = submitted.attachments.first()
    return {
        ("/api/applications/", "id"): draft.pk,
        ("/api/applications/", "application_pk"): submitted.pk,
        ("/api/applications/", "attachment_id"): attachment.pk,
        ("/api/applications/", "user_id"): world.expert.pk,
        ("/api/review/applications/", "id"): submitted.pk,
        ("/api/expert/applications/", "id"): submitted.pk,
        ("/api/expert/applications/", "attachment_id"): attachment.pk,
        ("/api/calls/", "code"): submitted.call.code,
        ("/api/programs/", "code"): submitted.call.program.code,
        ("/api/regions/", "code"): world.zhanggong.code,
        ("/api/rubrics/", "code"): "gansu-2022-etc",
        ("/api/organizations/", "id"): world.ent_zg.pk,
        ("/api/memberships/", "id"): Membership.objects.filter(user=world.applicant_admin).first().pk,
        ("/api/audit/", "id"): AuditEntry.objects.filter(object_id=str(submitted.pk)).first().pk,
    }


def _with_examples(raw: dict, examples: dict) -> dict:
    for path, operations in raw["paths"].items():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "path":
                    continue
                for (prefix, name), value in examples.items():
                    if path.startswith(prefix) and parameter["name"] == name:
                        parameter["example"] = value
    return raw


@pytest.mark.django_db
def test_schemathesis_finds_no_server_error_and_no_schema_violation(world, media):
    submitted, draft = _world_with_data(world)
    roles = {
        "applicant": Token.objects.create(user=world.applicant_admin).key,
        "county reviewer": Token.objects.create(user=world.county_reviewer).key,
    }
    raw = Client().get("/api/schema/?format=json").json()  # the test client reconnects the signals: before
    app = WSGIHandler()
    # as Django's test client does: the test's connection (and its transaction) stays open between calls
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _run(raw, app, roles, _examples(world, submitted, draft))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run(raw, app, roles, examples):
    import hypothesis
    import schemathesis
    from hypothesis import HealthCheck, Phase
    from schemathesis import checks
    from schemathesis.core.failures import FailureGroup

    schema = schemathesis.openapi.from_dict(_with_examples(raw, examples))
    schema.app = app
    chosen = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
              checks.response_schema_conformance]
    failures, statuses, examples = [], Counter(), Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    started = time.monotonic()
    def runner(operation, role, headers):
        @hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                             phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @hypothesis.given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers=headers)
            examples[(role, operation.label)] += 1
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=chosen)
            except (AssertionError, FailureGroup) as exc:
                failures.append(f"{role} {operation.label} -> {response.status_code}: {str(exc)[:600]}")

        return run

    for role, key in roles.items():
        for operation in operations:
            runner(operation, role, {"Authorization": f"Token {key}"})()
    elapsed = time.monotonic() - started
    print(f"\nschemathesis: {len(operations)} operations x {len(roles)} roles, {sum(examples.values())} calls, "
          f"statuses {dict(sorted(statuses.items()))}, {len(failures)} failures, {elapsed:.0f} s")
    assert len(operations) >= 70
    assert all(examples[(role, op.label)] >= 1 for role in roles for op in operations)
    assert not failures, "\n".join(failures[:40])
    assert statuses[500] == 0
    assert elapsed < BUDGET_SECONDS
