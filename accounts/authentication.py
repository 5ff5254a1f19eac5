"""DRF authentication and permissions for service tokens (machine callers of the API)."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from accounts.models import ServiceToken


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``; sets ``request.auth`` to the ServiceToken."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ServiceToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, raw = header.partition(" ")
        if keyword != self.keyword or not raw.strip():
            raise exceptions.AuthenticationFailed(
                _("Send the service token as 'Authorization: Bearer <token>'.")
            )
        token = (
            ServiceToken.objects.active()
            .filter(token_hash=ServiceToken.hash(raw.strip()))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("The service token is unknown or has been revoked.")
            )
        # One cheap UPDATE at most a minute, not one per call.
        now = timezone.now()
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() > 60
        ):
            ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (ServiceCaller(token), token)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ServiceCaller:
    """The 'user' of a request made with a service token: authenticated, but not a person."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, token: ServiceToken) -> None:
        self.token = token

    def __str__(self) -> str:
        return f"service:{self.token.name}"


class HasScope(permissions.BasePermission):
    """Allow only service tokens that carry ``scope``; use as ``HasScope.of("node-events")``."""

    scope = ""
    message = _("This service token does not have the scope this endpoint needs.")

    @classmethod
    def of(cls, scope: str) -> type["HasScope"]:
        return type(f"HasScope_{scope}", (cls,), {"scope": scope})

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ServiceToken):
            raise exceptions.NotAuthenticated(_("This endpoint needs a service token."))
        return token.has_scope(self.scope)
