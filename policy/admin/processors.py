"""Register of processors and sub-processors (PDPA s.40, transfers s.28–29) for the Privacy officer."""

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from policy.models import Processor
from policy.registry import registry


class ProcessorForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("categories received"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Processor
        fields = (
            "name",
            "role",
            "parent",
            "receives_all_categories",
            "categories",
            "country",
            "transfer_basis",
            "contract_reference",
            "contract_signed_on",
            "started_on",
            "ended_on",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            (category.key, str(category.name)) for category in registry
        ]


@admin.register(Processor)
class ProcessorAdmin(admin.ModelAdmin):
    """Who processes personal data for us, what they receive, where, under which contract."""

    form = ProcessorForm
    list_display = (
        "name",
        "role",
        "parent",
        "country",
        "transfer_basis",
        "contract_reference",
        "contract_signed_on",
        "gaps",
    )
    list_filter = ("role", "transfer_basis")
    list_select_related = ("parent",)
    search_fields = ("name", "contract_reference")

    @admin.display(description=_("still missing"))
    def gaps(self, obj: Processor) -> str:
        return ", ".join(obj.missing()) or "—"
