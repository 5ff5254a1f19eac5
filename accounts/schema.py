"""OpenAPI description of the service-token authentication (drf-spectacular extension)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <token>`` with a ServiceToken issued in admin."""

    target_class = "accounts.authentication.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A service token issued by staff in admin, sent as "
            "'Authorization: Bearer <token>'. Each token carries scopes.",
        }
