"""The project's OpenAPI schema class (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``).

A module of its own: DRF imports it while ``rest_framework.views`` is still loading,
so it must not be imported by modules DRF's settings name (``onespace.api``).
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import is_list_serializer


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus a list serializer's bounds as minItems/maxItems."""

    def _unwrap_list_serializer(self, serializer: Any, direction: Any) -> Any:
        schema = super()._unwrap_list_serializer(serializer, direction)
        if schema and is_list_serializer(serializer):
            low = getattr(serializer, "min_length", None)
            high = getattr(serializer, "max_length", None)
            if low is None and not getattr(serializer, "allow_empty", True):
                low = 1
            if low is not None:
                schema["minItems"] = low
            if high is not None:
                schema["maxItems"] = high
        return schema
