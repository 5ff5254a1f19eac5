"""Project-wide API conventions: bounded JSON bodies, one exception handler, documented errors.

Every error is JSON a person can act on, and bad input is a 4xx, never a 500 (DESIGN.md).
"""

import json
import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(exceptions.APIException):
    """413: the body is larger than ``API_MAX_BODY_BYTES``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self) -> None:
        super().__init__(
            _(
                "The request body is larger than this API accepts: at most "
                "%(limit)s bytes. Send fewer items per request."
            )
            % {"limit": f"{settings.API_MAX_BODY_BYTES:,}"}
        )


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e400 reads as infinity, which neither JSON nor PostgreSQL's jsonb can hold.
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


class JSONParser(BaseParser):
    """Strict JSON of at most ``API_MAX_BODY_BYTES``: too large is a 413, malformed a 400.

    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) stays the limit of HTML forms; the
    API has its own, sized for its largest documented request (1000 node events with
    4 KB of details each), and reads the body itself, so Django's HTML "Bad Request"
    never answers an API client. Depth (a body of 100,000 ``[``) and numbers beyond a
    double's range are refused here too, instead of failing later as a 500.
    """

    media_type = "application/json"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge()
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge()
        try:
            return json.loads(
                body.decode("utf-8"),
                parse_float=_finite_float,
                parse_constant=_no_constant,
            )
        except RecursionError:
            raise exceptions.ParseError(
                _("The request body is not valid JSON: it is nested too deeply.")
            ) from None
        except ValueError as error:
            raise exceptions.ParseError(
                _("The request body is not valid JSON: %(error)s")
                % {"error": str(error)[:200]}
            ) from None


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
