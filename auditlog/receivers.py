"""Security events from accounts and django-axes signals, and staff views of personal data."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from auditlog import buffer, services
from auditlog.models import SecurityEvent
from onespace.client_ip import client_address
from onespace.storable import storable_text


def record_security_event(
    action: str,
    request: HttpRequest | None,
    *,
    user_id: int | None = None,
    attempted_email: str = "",
    subject_id: int | None = None,
    object_label: str = "",
) -> None:
    """Queue a security event; it reaches the database with the next flush.

    Every text is made storable here (NUL and lone surrogates escaped), so a hostile
    sign-in attempt cannot make the bulk write of other events fail.
    """
    ip, raw_ip = client_address(request) if request is not None else (None, "")
    buffer.record(
        "security",
        {
            "occurred_at": timezone.now(),
            "action": action,
            "user_id": user_id,
            "attempted_email": storable_text(attempted_email)[:254],
            "ip": ip,
            "raw_ip": services.raw_ip_to_keep(ip, raw_ip),
            "user_agent": (
                storable_text(request.META.get("HTTP_USER_AGENT", ""))[:512]
                if request is not None
                else ""
            ),
            "subject_id": subject_id,
            "object_label": storable_text(object_label)[:200],
        },
    )


def on_logged_in(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    record_security_event(SecurityEvent.Action.SIGN_IN, request, user_id=user.pk)


def on_logged_out(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    record_security_event(
        SecurityEvent.Action.SIGN_OUT, request, user_id=getattr(user, "pk", None)
    )


def on_login_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    email = str(credentials.get("username") or credentials.get("email") or "")
    record_security_event(
        SecurityEvent.Action.SIGN_IN_FAILED, request, attempted_email=email
    )


def on_locked_out(
    sender: Any, request: HttpRequest | None, username: str | None = None, **kwargs: Any
) -> None:
    record_security_event(
        SecurityEvent.Action.LOCKED_OUT, request, attempted_email=str(username or "")
    )


def on_user_pre_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    # AbstractBaseUser keeps the new raw password in ``_password`` until saved: a
    # password change is visible here without querying the old row.
    instance._auditlog_password_changed = (
        not instance._state.adding and getattr(instance, "_password", None) is not None
    )


def on_user_post_save(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if getattr(instance, "_auditlog_password_changed", False) and not created:
        instance._auditlog_password_changed = False
        record_security_event(
            SecurityEvent.Action.PASSWORD_CHANGED, None, user_id=instance.pk
        )


def on_personal_data_viewed(
    sender: Any,
    request: HttpRequest,
    subject_id: int | None,
    object_label: str,
    **kwargs: Any,
) -> None:
    """A staff read reported by another app (policy.signals.staff_read)."""
    record_security_event(
        SecurityEvent.Action.PERSONAL_DATA_VIEWED,
        request,
        user_id=request.user.pk,
        subject_id=subject_id,
        object_label=object_label,
    )


def _subject_of(model_admin: admin.ModelAdmin, path: str, object_id: str) -> int | None:
    model = model_admin.model
    try:
        if not path:
            return int(object_id)
        return (
            model._default_manager.filter(pk=object_id)
            .values_list(path, flat=True)
            .first()
        )
    except Exception:
        return None


def log_personal_data_views(model_admin: admin.ModelAdmin, subject_path: str) -> None:
    """Wrap ``model_admin.change_view`` so a staff member opening a record is logged."""
    original: Callable[..., HttpResponse] = model_admin.change_view
    if getattr(original, "_auditlog_wrapped", False):
        return

    @wraps(original)
    def change_view(
        request: HttpRequest, object_id: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        response = original(request, object_id, *args, **kwargs)
        if response.status_code == 200:
            try:
                opts = model_admin.model._meta
                record_security_event(
                    SecurityEvent.Action.PERSONAL_DATA_VIEWED,
                    request,
                    user_id=request.user.pk,
                    subject_id=_subject_of(model_admin, subject_path, object_id),
                    object_label=f"{opts.label_lower}:{object_id}",
                )
            except Exception:  # the log never breaks the page
                pass
        return response

    change_view._auditlog_wrapped = True  # type: ignore[attr-defined]
    model_admin.change_view = change_view  # type: ignore[method-assign]


def wrap_admin_change_views() -> None:
    """Log staff views of every model the personal-data registry declares."""
    from policy.registry import registry

    paths: dict[type, str] = {}
    for category in registry:
        paths.setdefault(category.model, category.subject)
    for model, model_admin in admin.site._registry.items():
        if model in paths:
            log_personal_data_views(model_admin, paths[model])


def on_daily_maintenance(sender: Any, **kwargs: Any) -> dict[str, int]:
    """Daily: create the coming months' log partitions (PostgreSQL), verify the chains
    against the anchors (failures emailed to the Security auditors), then anchor today's
    heads outside the database."""
    from auditlog import break_glass, partitions, services

    created = partitions.ensure_partitions()
    problems = services.verify_logs()
    services.report_problems(problems)
    services.anchor_logs()
    return {
        "auditlog-partitions-created": sum(created.values()),
        "auditlog-chain-problems": len(problems),
        "auditlog-anchors": 1,
        # Break-glass notices held back by a restriction that has ended, or not sent.
        "auditlog-break-glass-told": break_glass.tell_customers(),
    }
