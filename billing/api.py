"""API views of the billing app, mounted under /api/v1/."""

import hashlib
import json
import re

from django.db import IntegrityError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import HasScope, ServiceTokenAuthentication
from billing import services
from billing.models import BillingProfile, Document
from billing.serializers import InvoiceInputSerializer, InvoiceOutputSerializer
from onespace.api import bad_request_json, error_responses

# An Idempotency-Key is 1 to 100 printable ASCII characters: it is stored and looked
# up, and a control character (NUL above all) is neither storable nor meant.
IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,100}")


class InvoiceCreate(GenericAPIView):
    """The billing engine creates and issues a billing note; one Idempotency-Key issues once."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasScope.of("billing")]
    throttle_scope = "invoices"
    serializer_class = InvoiceInputSerializer

    @extend_schema(
        request=InvoiceInputSerializer,
        responses={
            201: InvoiceOutputSerializer,
            200: OpenApiResponse(
                InvoiceOutputSerializer,
                description="The key was seen before: the first result.",
            ),
            **error_responses(
                {
                    400: "Bad input; nothing issued.",
                    409: "The key was used for a different request.",
                }
            ),
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 100,
                    "pattern": "^[\\x20-\\x7e]+$",
                },
                OpenApiParameter.HEADER,
                required=True,
                description=(
                    "A unique key per bill: 1 to 100 printable ASCII characters "
                    "(no control characters), unique per token. Repeating it returns "
                    "the first result; reusing it for a different body is a 409."
                ),
            )
        ],
    )
    def post(self, request: Request) -> Response:
        raw_key = request.headers.get("Idempotency-Key", "").strip()
        if not IDEMPOTENCY_KEY.fullmatch(raw_key):
            return bad_request_json(
                _(
                    "Send a unique Idempotency-Key header: 1 to 100 printable ASCII "
                    "characters."
                )
            )
        # Keys are per token, so two callers cannot collide.
        key = f"{request.auth.pk}:{raw_key}"
        digest = hashlib.sha256(
            json.dumps(request.data, sort_keys=True, default=str).encode()
        ).hexdigest()
        existing = Document.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return self._replay(existing, digest)
        serializer = InvoiceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        profiles = BillingProfile.objects.filter(customer_id=data["customer_id"])
        if "billing_profile_id" in data:
            profile = profiles.filter(pk=data["billing_profile_id"]).first()
        else:
            profile = profiles.filter(is_default=True).first()
        if profile is None:
            return bad_request_json(
                _("The customer has no such billing profile."),
                {
                    "billing_profile_id": [
                        _("Choose one of the customer's billing profiles.")
                    ]
                },
            )
        lines = [services.LineInput(**line) for line in data["lines"]]
        try:
            document = services.create_billing_note(
                profile, lines=lines, idempotency_key=key, request_digest=digest
            )
        except IntegrityError:
            # A parallel request with the same key won; its transaction numbered the bill.
            existing = Document.objects.filter(idempotency_key=key).first()
            if existing is None:
                raise
            return self._replay(existing, digest)
        return Response(
            InvoiceOutputSerializer(document, context={"request": self.request}).data,
            status=status.HTTP_201_CREATED,
        )

    def _replay(self, document: Document, digest: str) -> Response:
        # The first request may still be taking its number (billing.numbering).
        services.finish_issue(document)
        if document.request_digest and document.request_digest != digest:
            return Response(
                {
                    "detail": _(
                        "This Idempotency-Key was already used for a different request."
                    )
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            InvoiceOutputSerializer(document, context={"request": self.request}).data,
            status=status.HTTP_200_OK,
        )


urlpatterns = [
    path("invoices/", InvoiceCreate.as_view(), name="billing-invoice-create"),
]
