"""The OpenAPI schema says what every operation answers.

`document_error_responses` (a drf-spectacular postprocessing hook) adds the answers the portal's
API gives besides success, in the shape `portal.api_errors.exception_handler` writes them:
401 (not signed in / bad token) and 403 (not allowed) everywhere, 404 on every path with an id
(objects outside the user's scope are not found), 400 on every operation that takes a body or
query parameters. An operation that declares one of them itself keeps its own.
"""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
DESCRIPTIONS = {
    "400": "The request is not valid (the body says why).",
    "401": "Not signed in, or the token is not valid.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object in the user's scope.",
}


def _error(code: str) -> dict:
    return {"description": DESCRIPTIONS[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            wanted = ["401", "403"]
            if "{" in path:
                wanted.append("404")
            if "requestBody" in operation or operation.get("parameters"):
                wanted.append("400")
            for code in wanted:
                responses.setdefault(code, _error(code))
    return result
