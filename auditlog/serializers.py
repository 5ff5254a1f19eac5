"""API shapes of the audit log: explicit input serializers, plain output serializers."""

import ipaddress
import json
import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
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
    """A DRF list serializer for 1 to 1000 node events (the reference for ``parse_node_events``)."""
    return NodeEventInputSerializer(  # type: ignore[call-arg,return-value]
        data=data, many=True, min_length=1, max_length=MAX_BATCH
    )


ACTIONS = frozenset(NodeEvent.Action.values)
ACTORS = frozenset(NodeEvent.Actor.values)
REQUIRED = ("event_id", "occurred_at", "node_id", "customer", "action", "actor")


def _text(value: Any, limit: int, blank: bool) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(_("Not a valid string."))
    value = str(value).strip()
    if not value and not blank:
        raise ValueError(_("This field may not be blank."))
    if len(value) > limit:
        raise ValueError(
            _("Ensure this field has no more than %(limit)d characters.")
            % {"limit": limit}
        )
    if "\x00" in value:
        raise ValueError(_("Null characters are not allowed."))
    return value


@lru_cache(maxsize=4096)
def _normal_ip(value: str) -> str:
    # A control plane reports from few addresses: parse each once.
    return str(ipaddress.ip_address(value))


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, str):
        return uuid.UUID(hex=value)
    if isinstance(value, int) and not isinstance(value, bool):
        return uuid.UUID(int=value)
    raise ValueError


def _datetime(value: Any, latest: datetime) -> datetime:
    parsed = None
    if isinstance(value, str):
        # The common "YYYY-MM-DDTHH:MM..." shape goes through the C parser; anything
        # else through Django's, which DRF uses.
        if (
            len(value) >= 16
            and value[4] == "-"
            and value[10] in "T "
            and value[13] == ":"
        ):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None:
            parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(_("Datetime has wrong format. Use ISO 8601."))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed > latest:
        raise ValueError(_("This time is in the future."))
    return parsed


def _customer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    number = int(value) if isinstance(value, int | str) else None
    if number is None or not 1 <= number <= 2**63 - 1:
        raise ValueError
    return number


# ``json.dumps(value, default=str)`` without building an encoder on every call.
_details_json = json.JSONEncoder(default=str).encode


def _details(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError(_("Expected a dictionary of items."))
    encoded = _details_json(value)
    if len(encoded) > 4096:
        raise ValueError(_("Details are limited to 4 KB."))
    if "\\u0000" in encoded:
        # PostgreSQL cannot store NUL characters in JSON.
        raise ValueError(_("Details may not contain NUL characters."))
    return value


BAD_UUID = _("Must be a valid UUID.")
BAD_CUSTOMER = _("A valid account id (a positive integer) is required.")
BAD_ACTION = _("Unknown action.")
BAD_ACTOR = _("An actor needs a type: customer, staff or system.")
BAD_IP = _("Enter a valid IPv4 or IPv6 address.")
BAD_VALUE = _("Invalid value.")
REQUIRED_MESSAGE = _("This field is required.")
NOT_AN_OBJECT = _("Expected an object.")


def _check(
    item: dict[str, Any],
    event: dict[str, Any],
    errors: dict[str, list[str]],
    name: str,
    parse: Any,
    *args: Any,
    message: Any = None,
) -> None:
    if name in errors or name not in item:
        return
    try:
        event[name] = parse(item[name], *args)
    except (ValueError, TypeError, OverflowError) as exc:
        text = str(exc.args[0]) if exc.args and isinstance(exc.args[0], str) else ""
        errors[name] = [text if text and message is None else str(message or BAD_VALUE)]


def _parse_one(
    item: Any, latest: datetime
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(item, dict):
        return {}, {"non_field_errors": [str(NOT_AN_OBJECT)]}
    for name in REQUIRED:
        if item.get(name) is None:
            errors[name] = [str(REQUIRED_MESSAGE)]
    event: dict[str, Any] = {}
    _check(item, event, errors, "event_id", _uuid, message=BAD_UUID)
    _check(item, event, errors, "occurred_at", _datetime, latest)
    _check(item, event, errors, "node_id", _text, 64, False)
    _check(item, event, errors, "customer", _customer, message=BAD_CUSTOMER)
    action = item.get("action")
    if "action" not in errors and not (isinstance(action, str) and action in ACTIONS):
        errors["action"] = [str(BAD_ACTION)]
    else:
        event["action"] = action
    actor = item.get("actor")
    if "actor" not in errors:
        kind = actor.get("type") if isinstance(actor, dict) else None
        if not (isinstance(kind, str) and kind in ACTORS):
            errors["actor"] = [str(BAD_ACTOR)]
        else:
            try:
                event["actor"] = {
                    "type": kind,
                    "id": _text(actor.get("id", ""), 64, True),  # type: ignore[union-attr]
                }
            except ValueError as exc:
                errors["actor"] = [str(exc.args[0])]
    source_ip = item.get("source_ip")
    if source_ip is None:
        event["source_ip"] = None
    else:
        try:
            if not isinstance(source_ip, str):
                raise ValueError
            event["source_ip"] = _normal_ip(source_ip)
        except ValueError:
            errors["source_ip"] = [str(BAD_IP)]
    event["details"] = {}
    _check(item, event, errors, "details", _details)
    return event, errors


def _parse_plain(item: Any, latest: datetime) -> dict[str, Any] | None:
    """A well-formed item in the usual shape, parsed as ``_parse_one`` would; else None.

    Anything unusual (other types, naive times, errors) returns None and goes the
    careful way, which words the errors.
    """
    if type(item) is not dict:
        return None
    event_id = item.get("event_id")
    occurred_at = item.get("occurred_at")
    node_id = item.get("node_id")
    customer = item.get("customer")
    action = item.get("action")
    actor = item.get("actor")
    source_ip = item.get("source_ip")
    details = item.get("details", _NO_DETAILS)
    if not (
        type(event_id) is str
        and type(occurred_at) is str
        and len(occurred_at) >= 16
        and occurred_at[4] == "-"
        and occurred_at[10] in "T "
        and occurred_at[13] == ":"
        and type(node_id) is str
        and type(customer) is int
        and 1 <= customer <= 2**63 - 1
        and type(action) is str
        and action in ACTIONS
        and type(actor) is dict
        and (source_ip is None or type(source_ip) is str)
        and (details is _NO_DETAILS or type(details) is dict)
    ):
        return None
    kind = actor.get("type")
    actor_id = actor.get("id", "")
    if not (type(kind) is str and kind in ACTORS and type(actor_id) is str):
        return None
    node_id = node_id.strip()
    actor_id = actor_id.strip()
    if (
        not node_id
        or len(node_id) > 64
        or "\x00" in node_id
        or len(actor_id) > 64
        or "\x00" in actor_id
    ):
        return None
    try:
        parsed_id = uuid.UUID(event_id)
        moment = datetime.fromisoformat(occurred_at)
        if source_ip is not None:
            source_ip = _normal_ip(source_ip)
    except ValueError:
        return None
    if moment.tzinfo is None or moment > latest:
        return None
    if details is _NO_DETAILS:
        details = {}
    else:
        encoded = _details_json(details)
        if len(encoded) > 4096 or "\\u0000" in encoded:
            return None
    return {
        "event_id": parsed_id,
        "occurred_at": moment,
        "node_id": node_id,
        "customer": customer,
        "action": action,
        "actor": {"type": kind, "id": actor_id},
        "source_ip": source_ip,
        "details": details,
    }


_NO_DETAILS = object()


def parse_node_events(data: Any) -> list[dict[str, Any]]:
    """Validate a batch as ``NodeEventInputSerializer(many=True)`` would, about twenty times faster.

    Ingestion is measured against PostgreSQL's COPY (issue 5); DRF's field machinery
    costs ~0.1 ms per event, this ~5 us. The serializer stays the documented shape.
    Raises ValidationError with one error object per item ({} for good items).
    """
    if not isinstance(data, list):
        raise serializers.ValidationError(
            {"non_field_errors": [_("Expected a list of events.")]}
        )
    if not 1 <= len(data) <= MAX_BATCH:
        raise serializers.ValidationError(
            {"non_field_errors": [_("Send between 1 and 1000 events.")]}
        )
    latest = timezone.now() + MAX_CLOCK_SKEW
    events: list[dict[str, Any]] = []
    errors: list[dict[str, list[str]]] = []
    for item in data:
        event = _parse_plain(item, latest)
        if event is not None:
            events.append(event)
            errors.append({})
            continue
        event, problems = _parse_one(item, latest)
        events.append(event)
        errors.append(problems)
    if any(errors):
        raise serializers.ValidationError(errors)
    return events


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
