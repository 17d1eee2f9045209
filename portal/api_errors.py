"""The one translation of the services' errors into the REST API's answers
(REST_FRAMEWORK["EXCEPTION_HANDLER"]): the API views call the services directly.

    django PermissionDenied              403  {"detail": reason}
    django ValidationError               400  [message, ...]  (a dict of messages per field is
                                              listed the same way, in field order)
    ObjectDoesNotExist, Http404          404  {"detail": ...}

DRF's own exceptions keep DRF's answers. A view that documents a richer body for one refusal (a
submission's problems, an upload's reason) builds it itself.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def as_api_error(exc: Exception) -> Exception:
    """The DRF exception that answers a service's exception (others are returned unchanged)."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError([str(m) for m in exc.messages])
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, ObjectDoesNotExist):
        return exceptions.NotFound()
    return exc


def exception_handler(exc: Exception, context: dict):
    return drf_exception_handler(as_api_error(exc), context)
