"""API shapes of the audit log: explicit input serializers, plain output serializers."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from auditlog.models import NodeEvent

MAX_BATCH = 1000
# Clocks drift; a report from further ahead than this is a bug or a forgery.
MAX_CLOCK_SKEW = timedelta(minutes=5)


class ActorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=NodeEvent.Actor.choices)
    id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )


class NodeEventInputSerializer(serializers.Serializer):
    """One event reported by the control plane."""

    event_id = serializers.UUIDField()
    occurred_at = serializers.DateTimeField()
    node_id = serializers.CharField(max_length=64)
    customer = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("Account id of the node's customer."),
    )
    action = serializers.ChoiceField(choices=NodeEvent.Action.choices)
    actor = ActorSerializer()
    source_ip = serializers.IPAddressField(
        required=False, allow_null=True, default=None
    )
    details = serializers.DictField(
        required=False,
        default=dict,
        help_text=_("A small object of metadata (at most 4 KB); never node contents."),
    )

    def validate_occurred_at(self, value):  # type: ignore[no-untyped-def]
        if value > timezone.now() + MAX_CLOCK_SKEW:
            raise serializers.ValidationError(_("This time is in the future."))
        return value

    def validate_details(self, value):  # type: ignore[no-untyped-def]
        import json

        encoded = json.dumps(value, default=str)
        if len(encoded) > 4096:
            raise serializers.ValidationError(_("Details are limited to 4 KB."))
        if "\\u0000" in encoded:
            # PostgreSQL cannot store NUL characters in JSON.
            raise serializers.ValidationError(
                _("Details may not contain NUL characters.")
            )
        return value


def node_event_batch(data: object) -> serializers.ListSerializer:
    """A list serializer for 1 to 1000 node events."""
    return NodeEventInputSerializer(  # type: ignore[call-arg,return-value]
        data=data, many=True, min_length=1, max_length=MAX_BATCH
    )


class IngestResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.ListField(child=serializers.UUIDField())
    violations = serializers.ListField(child=serializers.UUIDField())


class AuditlogErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.JSONField(required=False)  # type: ignore[assignment]


class AccessCheckQuerySerializer(serializers.Serializer):
    node_id = serializers.CharField(max_length=64)
    staff_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class GrantSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    ticket_reference = serializers.CharField()


class AccessCheckResultSerializer(serializers.Serializer):
    permitted = serializers.BooleanField()
    grant = GrantSummarySerializer(allow_null=True)
