"""What every policy admin shares: read-only record admins, searches recorded as staff reads."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from policy.signals import staff_read


def record_search(request: HttpRequest, email: str, label: str) -> None:
    """A staff search by a customer's email address is a read of their data (clause 2)."""
    subject = (
        get_user_model()
        .objects.filter(email__iexact=email)
        .values_list("pk", flat=True)
    ).first()
    staff_read(request, subject_id=subject, object_label=label)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept as proof: shown, never added, changed or deleted here."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """A record's history under it: shown, never added, changed or deleted there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
