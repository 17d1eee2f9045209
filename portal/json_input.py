"""The one way JSON sent by a client is read: by the REST API (DRF's default parser) and by every
page endpoint that takes a JSON body (the application form's autosave).

Numbers with a fraction or an exponent are read as exact Decimals (2.9 stays 2.9, never 2.8999…),
and `NaN`, `Infinity` and `-Infinity`, which Python's `json.loads` accepts by default but JSON
does not know, are refused: a figure is a number or it is missing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError


class BadJSON(ValueError):
    """The body is not JSON the portal accepts; the message says why (for a 400 answer)."""


def _refuse_constant(name: str):
    raise BadJSON(_("%(name)s is not a number: JSON has no such value.") % {"name": name})


def loads(text: str | bytes) -> Any:
    """Parse JSON text; raises BadJSON with a readable reason."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise BadJSON(_("The body is not UTF-8 text.")) from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except BadJSON:
        raise
    except (ValueError, RecursionError) as exc:
        raise BadJSON(_("The body is not valid JSON: %(error)s") % {"error": exc}) from None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser reading through `loads` (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"])."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(_("JSON parse error - the body is not %(encoding)s text.") % {"encoding": encoding}) \
                from None
        if not text.strip():
            return {}
        try:
            return loads(text)
        except BadJSON as exc:
            raise ParseError(_("JSON parse error - %(reason)s") % {"reason": exc}) from None


def read_body(request) -> Any:
    """The JSON body of a page's request (raises BadJSON)."""
    return loads(request.body or b"")


class TextOrNumberField(serializers.CharField):
    """A text field that also takes a JSON number (read as a Decimal, kept as its exact text)."""

    def to_internal_value(self, data):
        if isinstance(data, Decimal):
            data = str(data)
        return super().to_internal_value(data)
