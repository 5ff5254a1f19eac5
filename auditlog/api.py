"""API views of the auditlog app, mounted under /api/v1/."""

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import HasScope, ServiceTokenAuthentication
from auditlog import break_glass, services
from auditlog.serializers import (
    MAX_BATCH,
    AccessCheckQuerySerializer,
    AccessCheckResultSerializer,
    IngestResultSerializer,
    NodeEventInputSerializer,
    parse_node_events,
)
from onespace.api import error_responses

ERRORS = error_responses({400: "Invalid input; nothing stored."})


class NodeEventIngest(generics.GenericAPIView):
    """Node events reported by the control plane (policy 1.2.1)."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope.of("node-events")]
    throttle_scope = "node_events"
    serializer_class = NodeEventInputSerializer

    @extend_schema(
        operation_id="node_events_create",
        request=NodeEventInputSerializer(many=True, min_length=1, max_length=MAX_BATCH),  # type: ignore[call-arg]
        responses={201: IngestResultSerializer, 200: IngestResultSerializer, **ERRORS},
        description=(
            "Store 1 to 1000 node events. A batch with any invalid item is refused whole, "
            "with one error object per item. Known event_ids are reported as duplicates "
            "and never stored twice, so retries are safe."
        ),
    )
    def post(self, request: Request) -> Response:
        items = parse_node_events(request.data)
        unknown = _unknown_customers(items)
        if unknown:
            errors = [
                {"customer": [_("No account has this id.")]}
                if item["customer"] in unknown
                else {}
                for item in items
            ]
            raise exceptions.ValidationError(errors)
        events = [
            {
                "event_id": item["event_id"],
                "occurred_at": item["occurred_at"],
                "node_id": item["node_id"],
                "customer_id": item["customer"],
                "action": item["action"],
                "actor_type": item["actor"]["type"],
                "actor_id": item["actor"]["id"],
                # Already in normal form: the parser read it through ipaddress.
                "source_ip": item["source_ip"],
                "details": item["details"],
            }
            for item in items
        ]
        result = services.ingest_node_events(events)
        return Response(
            {
                "created": len(result.created),
                "duplicates": result.duplicates,
                "violations": result.violations,
            },
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


def _unknown_customers(items: list[dict[str, Any]]) -> set[int]:
    ids = {item["customer"] for item in items}
    known = set(
        get_user_model().objects.filter(pk__in=ids).values_list("pk", flat=True)
    )
    return ids - known


class AccessGrantCheck(generics.GenericAPIView):
    """May this staff member look inside this node now, and by which grant?

    Permitted only for the staff member a grant names, or the one now working on the
    support ticket it names; the answer gives the grant's scope and end time.
    """

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope.of("access-check")]
    throttle_scope = "access_check"
    serializer_class = AccessCheckResultSerializer

    @extend_schema(
        operation_id="access_grants_check",
        parameters=[AccessCheckQuerySerializer],
        responses={200: AccessCheckResultSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = AccessCheckQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = services.check_access(
            query.validated_data["node_id"],
            query.validated_data["staff_id"],
            action=query.validated_data.get("action"),
        )
        return Response(
            AccessCheckResultSerializer(break_glass.check_answer(found)).data
        )


urlpatterns = [
    path("node-events/", NodeEventIngest.as_view(), name="node-events"),
    path("access-grants/check", AccessGrantCheck.as_view(), name="access-grants-check"),
]
