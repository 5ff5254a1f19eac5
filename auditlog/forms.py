"""Forms of the customer's activity pages."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from auditlog import node_actions
from auditlog.models import NodeEvent, SecurityEvent
from auditlog.services import MAX_GRANT_HOURS
from auditlog.tickets import CustomerTicket, reference
from onespace.widgets import PlainSelect


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
    """Which node, whom, for which actions and how long (policy 1.2.1).

    The customer names the staff they deal with: the team on one of their open tickets,
    or the staff member assigned to one, shown by role and staff number ("Support #12"),
    never by private name.
    """

    # A busy customer has many nodes and open tickets: options written in Python.
    node_id = forms.ChoiceField(label=_("Node"), widget=PlainSelect)
    who = forms.ChoiceField(
        label=_("Who may use it"),
        widget=PlainSelect,
        help_text=_(
            "The team working on your ticket (whoever it is assigned to at the time), "
            "or the one staff member assigned to it now."
        ),
    )
    actions = forms.MultipleChoiceField(
        label=_("Which actions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(a.slug, a.label) for a in node_actions.TABLE if a.needs_grant],
        help_text=_("Tick none to allow every action listed."),
    )
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

    def __init__(
        self,
        *args: Any,
        nodes: list[str],
        tickets: list[CustomerTicket],
        labels: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Only the customer's own nodes can be chosen (policy 1.2.1).
        node_id: Any = self.fields["node_id"]
        node_id.choices = [(n, n) for n in nodes]
        self.fields["node_id"].error_messages["invalid_choice"] = _(
            "This node is not one of yours."
        )
        choices: list[tuple[str, str]] = []
        for ticket in tickets:
            choices.append(
                (
                    f"ticket:{ticket.pk}",
                    _("The team working on ticket %(ticket)s (%(subject)s)")
                    % {"ticket": ticket.reference, "subject": ticket.subject},
                )
            )
            if ticket.assignee_id is not None:
                choices.append(
                    (
                        f"staff:{ticket.assignee_id}:{ticket.pk}",
                        _("%(staff)s only, assigned to ticket %(ticket)s")
                        % {
                            "staff": labels.get(str(ticket.assignee_id), ""),
                            "ticket": ticket.reference,
                        },
                    )
                )
        who: Any = self.fields["who"]
        who.choices = choices
        self.fields["who"].error_messages["invalid_choice"] = _(
            "Choose the team or staff member of one of your open tickets."
        )

    def grant_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``services.grant_access`` (after ``is_valid``)."""
        data = self.cleaned_data
        kind, *ids = data["who"].split(":")
        arguments: dict[str, Any] = {
            "node_id": data["node_id"],
            "reason": data["reason"],
            "hours": data["hours"],
            "actions": data["actions"],
        }
        if kind == "ticket":
            arguments["ticket_id"] = int(ids[0])
        else:
            arguments["staff"] = get_user_model().objects.get(pk=int(ids[0]))
            arguments["ticket_reference"] = reference(int(ids[1]))
        return arguments
