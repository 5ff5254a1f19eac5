"""Authentication backend: sign-in by email, case-insensitive."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class EmailBackend(ModelBackend):
    """ModelBackend that looks the account up by email whatever its letter case."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        email = kwargs.get("email", username)
        if email is not None:
            email = email.strip().lower()
        return super().authenticate(request, username=email, password=password)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """django-axes hook: one lockout key per account, whatever letter case was typed."""
    value = (credentials or {}).get("username") or (credentials or {}).get("email")
    if value is None and request is not None:
        value = request.POST.get("username") or request.POST.get("email")
    return (value or "").strip().lower()
