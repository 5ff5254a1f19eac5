"""Legal holds in admin: the Privacy officer or Security auditor places and releases them."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from policy import services
from policy.admin.base import ReadOnlyInline
from policy.models import LegalHold, LegalHoldEvent
from policy.registry import registry
from policy.services.holds import validate_hold


class LegalHoldForm(forms.ModelForm):
    category = forms.ChoiceField(label=_("registry category"), required=False)

    class Meta:
        model = LegalHold
        fields = (
            "customer",
            "node_id",
            "category",
            "data_from",
            "data_until",
            "order_reference",
            "reason",
            "ends_on",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("Every category"))] + [
            (category.key, f"{category.name} ({category.key})") for category in registry
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is None and not self.errors:
            fields = {name: cleaned.get(name) for name in self.Meta.fields}
            fields["node_id"] = fields["node_id"] or ""
            fields["category"] = fields["category"] or ""
            try:
                validate_hold(LegalHold(**fields))
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class ReleaseForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ("release_reason",)


class LegalHoldEventInline(ReadOnlyInline):
    model = LegalHoldEvent
    fields = ("at", "action", "by", "state")
    readonly_fields = fields


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    """Holds are placed and released here, never edited otherwise or deleted."""

    list_display = (
        "order_reference",
        "customer",
        "node_id",
        "category",
        "ends_on",
        "placed_by",
        "released_at",
    )
    list_filter = ("released_at",)
    list_select_related = ("customer", "placed_by")
    search_fields = ("order_reference", "node_id", "=customer__email")
    raw_id_fields = ("customer",)
    inlines = (LegalHoldEventInline,)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = LegalHoldForm if obj is None else ReleaseForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return LegalHoldForm.Meta.fields
        return (
            *LegalHoldForm.Meta.fields,
            "placed_by",
            "placed_at",
            "released_at",
            "released_by",
            "release_reason",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        readonly = [
            *LegalHoldForm.Meta.fields,
            "placed_by",
            "placed_at",
            "released_at",
            "released_by",
        ]
        if obj.released_at is not None:
            readonly.append("release_reason")
        return readonly

    def save_model(
        self, request: HttpRequest, obj: LegalHold, form: Any, change: bool
    ) -> None:
        if not change:
            fields = {name: getattr(obj, name) for name in LegalHoldForm.Meta.fields}
            placed = services.place_hold(request.user, **fields)
            obj.pk, obj.placed_by, obj.placed_at = (
                placed.pk,
                placed.placed_by,
                placed.placed_at,
            )
            return
        reason = form.cleaned_data.get("release_reason", "")
        if reason and obj.released_at is None:
            released = services.release_hold(obj, by=request.user, reason=reason)
            obj.released_at = released.released_at

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        return  # the history is written by the services, never through the form

    def _may_manage(self, request: HttpRequest) -> bool:
        return services.can_place_holds(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_manage(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_manage(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_manage(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_manage(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
