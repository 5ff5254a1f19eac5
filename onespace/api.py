"""Project-wide API conventions: one exception handler, documented errors.

Every error is JSON a person can act on, and bad input is a 4xx, never a 500 (docs/architecture.md).
"""

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from onespace.parsers import PayloadTooLarge


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
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
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


class ErrorSerializer(serializers.Serializer):
    """The shape of every API error."""

    detail = serializers.CharField()
    errors = serializers.JSONField(required=False)  # type: ignore[assignment]


def error_responses(described: dict[int, str]) -> dict[int, OpenApiResponse]:
    """The errors every endpoint can answer (401, 403, 413, 429) and its own ``described`` ones."""
    common = {
        401: "Missing or unknown token.",
        403: "The token lacks the scope for this endpoint.",
        413: (
            f"The body is larger than {settings.API_MAX_BODY_BYTES:,} bytes "
            "(API_MAX_BODY_BYTES); nothing stored."
        ),
        429: "Too many requests; retry after the Retry-After header's seconds.",
    }
    return {
        code: OpenApiResponse(ErrorSerializer, description=description)
        for code, description in sorted({**common, **described}.items())
    }
