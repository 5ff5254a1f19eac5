"""Project-wide API conventions: one exception handler, so every error is JSON a person can act on."""

import math
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer every API error as ``{"detail": ..., "errors": ...}`` with a 4xx status.

    Django's own ValidationError (raised by model ``clean`` or services) becomes a 400
    instead of a 500.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict
            if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, exceptions.Throttled) and getattr(exc, "wait", None):
        # DRF's own message is English only; Retry-After carries the same number.
        wait = max(1, math.ceil(exc.wait))  # type: ignore[attr-defined]
        exc = exceptions.Throttled(
            detail=ngettext(
                "Too many requests. Try again in %(seconds)d second.",
                "Too many requests. Try again in %(seconds)d seconds.",
                wait,
            )
            % {"seconds": wait}
        )
        exc.wait = wait  # type: ignore[attr-defined]

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _("The request is not valid; see errors."),
            "errors": response.data,
        }
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


def bad_request_json(message: str, errors: Any = None) -> Response:
    """A 400 answer in the project's error shape, for views that validate by hand."""
    data: dict[str, Any] = {"detail": message}
    if errors is not None:
        data["errors"] = errors
    return Response(data, status=status.HTTP_400_BAD_REQUEST)
