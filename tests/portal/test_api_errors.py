"""One DRF exception handler (portal.api_errors) turns the services' Django errors into the API's
answers, and one JSON parser (portal.json_input) reads every JSON body: exact decimals, and NaN or
Infinity refused."""

from decimal import Decimal

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from rest_framework.exceptions import ParseError
from rest_framework.test import APIRequestFactory

from portal import json_input
from portal.api_errors import exception_handler


def answer(exc):
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_service_errors_become_api_errors_of_the_usual_shape():
    assert answer(PermissionDenied("Only the head of the bureau signs off.")) == (
        403, {"detail": "Only the head of the bureau signs off."})
    assert answer(ValidationError("Quota reached.")) == (400, ["Quota reached."])
    assert answer(ValidationError(["One.", "Two."])) == (400, ["One.", "Two."])
    status, data = answer(ValidationError({"reason": ["Say why."], "score": ["A number."]}))
    assert status == 400 and sorted(data) == ["A number.", "Say why."]  # the messages, as the API lists them
    assert answer(Http404("No such application."))[0] == 404
    assert answer(ObjectDoesNotExist())[0] == 404
    assert exception_handler(RuntimeError("a bug"), {}) is None  # not an answer: a 500, as before


def test_the_handler_is_the_projects():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["EXCEPTION_HANDLER"] == "portal.api_errors.exception_handler"
    assert settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"][0] == "portal.json_input.JSONParser"


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", '{"x": NaN}', '{"x": [1, -Infinity]}'])
def test_nan_and_infinity_are_refused(text):
    with translation.override("en"), pytest.raises(json_input.BadJSON) as refused:
        json_input.loads(text)
    assert "not a number" in str(refused.value)
    request = APIRequestFactory().post("/", text, content_type="application/json")
    with pytest.raises(ParseError):
        json_input.JSONParser().parse(request, "application/json", {})


def test_numbers_are_exact_decimals():
    assert json_input.loads('{"a": 2.9, "b": 3, "c": 1e2}') == {"a": Decimal("2.9"), "b": 3, "c": Decimal("1E+2")}
    with pytest.raises(json_input.BadJSON):
        json_input.loads("{oops")
