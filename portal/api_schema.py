"""The OpenAPI schema says what every operation answers.

`document_error_responses` (a drf-spectacular postprocessing hook) adds the answers the portal's
API gives besides success, in the shape `portal.api_errors.exception_handler` writes them:
401 (not signed in / bad token) and 403 (not allowed) everywhere, 404 on every path with an id
or that takes a body or query parameters (objects outside the user's scope are not found, nor is a
page past the last), 400 on every operation that takes a body or parameters. Paths the API does not
have answer 404 in JSON too (`portal.views.not_found_view`). An operation that declares one of them itself keeps its own.
"""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
# portal.api_errors: a service's ValidationError is a list of messages, a serializer's a dict per field
INVALID_SCHEMA = {
    "oneOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": True},
    ],
}
DESCRIPTIONS = {
    "400": "The request is not valid (the body says why).",
    "401": "Not signed in, or the token is not valid.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object in the user's scope.",
}


def _error(code: str) -> dict:
    name = "Invalid" if code == "400" else "Error"
    return {"description": DESCRIPTIONS[code],
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def document_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["Invalid"] = INVALID_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            wanted = ["401", "403"]
            if "requestBody" in operation or operation.get("parameters"):
                # a body or a parameter can name what the user may not see (or a page past the end)
                wanted += ["400", "404"]
            for code in wanted:
                responses.setdefault(code, _error(code))
    return result
