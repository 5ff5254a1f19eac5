"""Privacy rights in admin: data exports and account closures (PDPA s.30–33), recorded, never edited."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from policy.admin.base import ReadOnlyAdmin, record_search
from policy.models import (
    DataExport,
    ErasureRecord,
    pseudonyms_of,
)

# --- Privacy rights: exports, erasures, breaches, record of processing -------------------


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    """Each data export a customer asked for (PDPA s.30-31): recorded, never edited."""

    list_display = (
        "pk",
        "customer",
        "requested_at",
        "ready_at",
        "expires_at",
        "downloaded_at",
        "size",
    )
    list_select_related = ("customer",)
    search_fields = ("=customer__email",)
    ordering = ("-requested_at",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[DataExport], search_term: str
    ) -> tuple[QuerySet[DataExport], bool]:
        if "@" in search_term:
            record_search(request, search_term.strip(), "policy.dataexport:search")
        return super().get_search_results(request, queryset, search_term)

    fields = (
        "customer",
        "requested_at",
        "ready_at",
        "expires_at",
        "downloaded_at",
        "file_deleted_at",
        "size",
        "counts",
    )


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    """Account closures: when asked, when erased, how many rows per category; no erased data."""

    list_display = (
        "pseudonym_short",
        "state_display",
        "requested_at",
        "erase_after",
        "erased_at",
        "due_by",
    )
    list_filter = ("erased_at",)
    search_fields = ("=pseudonym",)
    ordering = ("-requested_at",)
    fields = (
        "pseudonym",
        "requested_at",
        "erase_after",
        "cancelled_at",
        "erased_at",
        "counts",
    )

    @admin.display(description=_("pseudonym"))
    def pseudonym_short(self, obj: ErasureRecord) -> str:
        return obj.pseudonym[:16] + "…"

    @admin.display(description=_("state"))
    def state_display(self, obj: ErasureRecord) -> str:
        return obj.get_state_display()

    @admin.display(description=_("answer due by (30 days)"))
    def due_by(self, obj: ErasureRecord) -> Any:
        return obj.due_by

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # The privacy officer searches by the address; only its keyed hash is stored.
        if "@" in search_term:
            return queryset.filter(pseudonym__in=pseudonyms_of(search_term)), False
        return super().get_search_results(request, queryset, search_term)
