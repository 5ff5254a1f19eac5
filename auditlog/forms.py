"""Forms of the customer's activity pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from auditlog.models import NodeEvent, SecurityEvent
from auditlog.services import MAX_GRANT_HOURS


class NodeEventFilterForm(forms.Form):
    node = forms.ChoiceField(label=_("Node"), required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *NodeEvent.Action.choices],
    )

    def __init__(self, *args: Any, nodes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        node: Any = self.fields["node"]
        node.choices = [("", _("All nodes")), *((n, n) for n in nodes)]


class SecurityEventFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", _("All events")), *SecurityEvent.Action.choices],
    )


class AccessGrantForm(forms.Form):
    node_id = forms.ChoiceField(label=_("Node"))
    hours = forms.IntegerField(
        label=_("For how many hours"),
        min_value=1,
        max_value=MAX_GRANT_HOURS,
        initial=24,
        help_text=_("At most 72 hours. You can revoke the grant at any time."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What staff may do inside the node, and why."),
    )
    ticket_reference = forms.CharField(
        label=_("Support ticket (optional)"), max_length=64, required=False
    )

    def __init__(self, *args: Any, nodes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the customer's own nodes can be chosen (policy 1.2.1).
        node_id: Any = self.fields["node_id"]
        node_id.choices = [(n, n) for n in nodes]
        self.fields["node_id"].error_messages["invalid_choice"] = _(
            "This node is not one of yours."
        )
