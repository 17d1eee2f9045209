"""The schema documents every operation's refusals; schema and docs need a signed-in user in production."""

import pytest

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_every_operation_documents_its_refusals(schema):
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()
                  if method in METHODS]
    assert len(operations) >= 70
    missing = []
    for path, method, op in operations:
        codes = set(op["responses"])
        wanted = {"401", "403"}
        if "{" in path or "requestBody" in op or op.get("parameters"):
            wanted |= {"400", "404"}
        if not wanted <= codes:
            missing.append(f"{method.upper()} {path}: {sorted(wanted - codes)}")
    assert not missing, missing
    assert schema["components"]["schemas"]["Invalid"]["oneOf"]


def test_only_token_and_session_authentication_are_documented(schema):
    schemes = schema["components"]["securitySchemes"]
    assert "basicAuth" not in schemes
    assert any(s.get("scheme") == "Token" or "Token" in s.get("description", "") or s.get("in") == "header"
               for s in schemes.values()), schemes


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_need_sign_in_in_production(client, settings, world, url):
    settings.PRODUCTION = True
    assert client.get(url).status_code in (401, 403)
    client.force_login(world.applicant_admin)
    assert client.get(url).status_code == 200


def test_an_unknown_api_path_answers_json(client, world):
    client.force_login(world.applicant_admin)
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_negative_draft_version_is_refused_not_a_server_error(world, api_for):
    from tests.submissions.test_applicant_support import make_call, start

    app = start(world.applicant_admin, make_call(world.jx))
    response = api_for(world.applicant_admin).patch(f"/api/applications/{app.pk}/", {"base_version": -1, "data": {}},
                                                    format="json")
    assert response.status_code == 400, response.content
