"""The API's request parser (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).

A module of its own: DRF imports it while ``rest_framework.views`` is still loading,
so it must not import that module (``onespace.api`` does).
"""

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser


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


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


class JSONParser(BaseParser):
    """Strict JSON of at most ``API_MAX_BODY_BYTES``: too large is a 413, malformed a 400.

    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) stays the limit of HTML forms; the
    API has its own, sized for its largest documented request (1000 node events with
    4 KB of details each), and reads the body itself, so Django's HTML "Bad Request"
    never answers an API client. A body nested too deeply for the decoder (100,000
    ``[``) is a 400 here too, instead of a RecursionError and a 500.
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
            return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        except RecursionError:
            raise exceptions.ParseError(
                _("The request body is not valid JSON: it is nested too deeply.")
            ) from None
        except ValueError as error:
            raise exceptions.ParseError(
                _("The request body is not valid JSON: %(error)s")
                % {"error": str(error)[:200]}
            ) from None
