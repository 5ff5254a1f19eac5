from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from billing import numbering, services
from billing.etax import export, generation
from billing.forms import (
    AdjustmentForm,
    BillingProfileAdminForm,
    PaymentForm,
    ReplacementForm,
)
from billing.models import (
    BillingProfile,
    Document,
    DocumentLine,
    EtaxXml,
    Payment,
    VatRate,
)
from onespace.thaidates import format_date


def _editable(document: Document) -> bool:
    """A draft nobody has frozen for issue yet (a pending one is numbered in milliseconds)."""
    return document.status == Document.Status.DRAFT and not numbering.is_pending(
        document
    )


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin):
    list_display = (
        "legal_name",
        "tax_id",
        "branch",
        "province",
        "customer",
        "is_default",
    )
    list_select_related = ("customer",)
    search_fields = ("legal_name", "tax_id", "customer__email")
    raw_id_fields = ("customer",)
    show_full_result_count = False
    form = BillingProfileAdminForm
    readonly_fields = ("subdistrict_code",)
    fieldsets = (
        (None, {"fields": ("customer", "is_default")}),
        (
            _("Personal data"),
            {
                "fields": (
                    "legal_name",
                    "tax_id",
                    "branch",
                    "address_line",
                    "subdistrict",
                    "district",
                    "province",
                    "postcode",
                    "subdistrict_code",
                    "confirm_unlisted_address",
                    "email",
                    "phone",
                )
            },
        ),
    )


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    list_display = ("rate", "valid_from", "valid_until")


class DocumentLineInline(admin.TabularInline):
    model = DocumentLine
    fields = ("description", "quantity", "unit_price")
    extra = 1
    min_num = 1

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            obj is None or obj.status == Document.Status.DRAFT
        ) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            obj is None or obj.status == Document.Status.DRAFT
        ) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            obj is None or obj.status == Document.Status.DRAFT
        ) and super().has_delete_permission(request, obj)


class CancelledFilter(admin.SimpleListFilter):
    title = _("cancelled")
    parameter_name = "cancelled"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Cancelled")), ("no", _("Not cancelled"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(cancelled_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(cancelled_at__isnull=True)
        return queryset


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Finance drafts billing notes here; issued documents are read-only and never deleted."""

    list_display = (
        "__str__",
        "kind",
        "status",
        "buyer_name",
        "total",
        "issued_on_display",
        "is_cancelled_display",
        "pdf_link",
    )
    list_filter = ("kind", "status", CancelledFilter)
    list_select_related = ("customer",)
    search_fields = ("number", "buyer_name", "buyer_tax_id")
    show_full_result_count = False
    raw_id_fields = ("profile",)
    inlines = [DocumentLineInline]
    actions = ["issue_selected", "regenerate_etax"]
    readonly_fields = (
        "number",
        "kind",
        "status",
        "issued_on_display",
        "customer",
        "vat_rate",
        "subtotal",
        "vat_amount",
        "total",
        "seller_name",
        "seller_address",
        "seller_tax_id",
        "seller_branch",
        "buyer_name",
        "buyer_address",
        "buyer_tax_id",
        "buyer_branch",
        "buyer_email",
        "buyer_phone",
        "billing_note",
        "payment",
        "original",
        "original_value",
        "previous_value",
        "corrected_value",
        "reason_display",
        "reason_text",
        "replaces",
        "cancelled_at",
        "cancellation_reason",
        "pdf_link",
        "etax_display",
        "document_actions",
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or _editable(obj):
            return ("profile",)
        return list(self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or _editable(obj):
            return ()
        return self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revenue Code s.86/9-10: issued documents are corrected by notes, never edited;
        # nor is one frozen for issue and waiting for its number (billing.numbering).
        if obj is not None and not _editable(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not _editable(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(
        self,
        request: HttpRequest,
        action_location: ActionLocation = ActionLocation.CHANGE_LIST,
    ) -> Any:
        # Bulk delete would reach issued documents; drafts are deleted one by one.
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def save_model(
        self, request: HttpRequest, obj: Document, form: Any, change: bool
    ) -> None:
        obj.kind = Document.Kind.BILLING_NOTE
        if obj.profile is not None:
            obj.customer = obj.profile.customer
        super().save_model(request, obj, form, change)

    @admin.display(description=_("cancelled"), boolean=True)
    def is_cancelled_display(self, obj: Document) -> bool:
        return obj.is_cancelled

    @admin.display(description=_("issue date"), ordering="issued_on")
    def issued_on_display(self, obj: Document) -> str:
        # Buddhist era in Thai, like every other page (Django's th locale prints CE).
        return format_date(obj.issued_on) if obj.issued_on else "—"

    @admin.display(description=_("reason"))
    def reason_display(self, obj: Document) -> str:
        return obj.reason_display or "—"

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Document) -> str:
        if not obj.download_pdf:
            return "—"
        return format_html(
            '<a href="{}">PDF</a>', reverse("billing:document-pdf", args=[obj.pk])
        )

    @admin.display(description=_("e-Tax XML"))
    def etax_display(self, obj: Document) -> str:
        """Each XML of the document: valid or failed (and why), signed or not."""
        records = list(obj.etax_xml.all())
        if not records:
            return "—"
        parts = []
        for record in records:
            signed = (
                _("signed")
                if record.signed
                else _("unsigned: no certificate (ETAX_CERT_FILE) is configured")
            )
            if record.status == EtaxXml.Status.FAILED:
                signed = _("not produced")
            parts.append(
                format_html(
                    '<p><a href="{}">{} ({})</a>: {}; {}</p>{}',
                    reverse("admin:billing_etaxxml_change", args=[record.pk]),
                    record.number,
                    record.type_code,
                    record.get_status_display(),
                    signed,
                    format_html("<pre>{}</pre>", record.error) if record.error else "",
                )
            )
        return format_html_join("", "{}", ((part,) for part in parts))

    @admin.display(description=_("Corrections"))
    def document_actions(self, obj: Document) -> str:
        if (
            obj.kind != Document.Kind.TAX_INVOICE
            or obj.is_cancelled
            or not obj.is_issued
        ):
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            reverse(
                "admin:billing_document_adjust",
                args=[obj.pk, Document.Kind.CREDIT_NOTE],
            ),
            _("Issue a credit note"),
            reverse(
                "admin:billing_document_adjust", args=[obj.pk, Document.Kind.DEBIT_NOTE]
            ),
            _("Issue a debit note"),
            reverse("admin:billing_document_replace", args=[obj.pk]),
            _("Cancel and replace"),
        )

    @admin.action(description=_("Issue the selected drafts"), permissions=["issue"])
    def issue_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for draft in queryset.filter(status=Document.Status.DRAFT).order_by("pk"):
            try:
                issued = services.issue_document(draft)
            except ValidationError as error:
                self.message_user(
                    request, f"{draft}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    _("Issued %(number)s.") % {"number": issued.number},
                    messages.SUCCESS,
                )

    def has_issue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.issue_document")

    @admin.action(description=_("Regenerate e-Tax XML"), permissions=["issue"])
    def regenerate_etax(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Make the XML the selected issued documents lack, and failed or unchecked XML again."""
        made = failed = 0
        for document in queryset.filter(status=Document.Status.ISSUED).order_by(
            "issued_on", "pk"
        ):
            redo = (EtaxXml.Status.FAILED, EtaxXml.Status.UNCHECKED)
            for record in generation.regenerate(document, redo=redo):
                if record.is_failed:
                    failed += 1
                    self.message_user(
                        request,
                        f"{record.number} ({record.type_code}): {record.error}",
                        messages.ERROR,
                    )
                else:
                    made += 1
        self.message_user(
            request,
            _(
                "e-Tax XML made: %(made)d; failed: %(failed)d. XML already made and "
                "valid is kept."
            )
            % {"made": made, "failed": failed},
            messages.WARNING if failed else messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/adjust/<str:kind>/",
                self.admin_site.admin_view(self.adjust_view),
                name="billing_document_adjust",
            ),
            path(
                "<int:pk>/replace/",
                self.admin_site.admin_view(self.replace_view),
                name="billing_document_replace",
            ),
        ]
        return own + super().get_urls()

    def _form_page(
        self, request: HttpRequest, document: Document, form: Any, title: str
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": document,
            "form": form,
            "title": title,
        }
        return TemplateResponse(
            request, "admin/billing/document/form_page.html", context
        )

    def adjust_view(self, request: HttpRequest, pk: int, kind: str) -> HttpResponse:
        if not request.user.has_perm("billing.issue_document") or kind not in (
            Document.Kind.CREDIT_NOTE,
            Document.Kind.DEBIT_NOTE,
        ):
            return HttpResponse(status=403)
        document = get_object_or_404(Document.objects.issued().tax_invoices(), pk=pk)
        form = AdjustmentForm(request.POST or None, initial={"original": document})
        form.fields["original"].disabled = True
        reasons = (
            Document.CREDIT_REASONS
            if kind == Document.Kind.CREDIT_NOTE
            else Document.DEBIT_REASONS
        )
        choices = [(reason.value, reason.label) for reason in reasons]
        form.fields["reason_code"].choices = choices  # type: ignore[attr-defined]
        if request.method == "POST" and form.is_valid():
            try:
                note = services.issue_adjustment(
                    document,
                    kind=kind,
                    corrected_value=form.cleaned_data["corrected_value"],
                    reason_code=form.cleaned_data["reason_code"],
                    reason_text=form.cleaned_data["reason_text"],
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                self.message_user(
                    request,
                    _("Issued %(number)s.") % {"number": note.number},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:billing_document_change", args=[note.pk])
                )
        title = (
            _("Credit note for %(number)s")
            if kind == Document.Kind.CREDIT_NOTE
            else _("Debit note for %(number)s")
        )
        return self._form_page(
            request, document, form, title % {"number": document.number}
        )

    def replace_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("billing.issue_document"):
            return HttpResponse(status=403)
        document = get_object_or_404(Document.objects.issued().tax_invoices(), pk=pk)
        form = ReplacementForm(
            request.POST or None, initial={"profile": document.profile}
        )
        form.fields["profile"].queryset = BillingProfile.objects.filter(  # type: ignore[attr-defined]
            customer_id=document.customer_id
        )
        if request.method == "POST" and form.is_valid():
            try:
                replacement = services.replace_tax_invoice(
                    document,
                    profile=form.cleaned_data["profile"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                self.message_user(
                    request,
                    _("Cancelled %(old)s and issued %(new)s.")
                    % {"old": document.number, "new": replacement.number},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:billing_document_change", args=[replacement.pk])
                )
        return self._form_page(
            request,
            document,
            form,
            _("Cancel and replace %(number)s") % {"number": document.number},
        )


class CertificateFilter(admin.SimpleListFilter):
    """Finance's list of 50 ทวิ certificates still to collect."""

    title = _("withholding certificate")
    parameter_name = "certificate"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("missing", _("Missing")), ("received", _("Received"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "missing":
            return queryset.filter(withheld_amount__gt=0, certificate_number="")
        if self.value() == "received":
            return queryset.filter(withheld_amount__gt=0).exclude(certificate_number="")
        return queryset


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Recording a payment issues the receipt/tax invoice; only the certificate is filled in later."""

    form = PaymentForm
    list_display = (
        "billing_note",
        "received_on_display",
        "net_received",
        "withholding_rate",
        "withheld_amount",
        "certificate_number",
        "missing_certificate",
    )
    list_filter = (CertificateFilter,)
    list_select_related = ("billing_note",)
    search_fields = ("billing_note__number", "certificate_number")
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (
            "billing_note",
            "received_on_display",
            "net_received",
            "withholding_rate",
            "withheld_amount",
            "certificate_link",
        )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return (
                "billing_note",
                "received_on",
                "net_received",
                "withholding_rate",
                "certificate_number",
                "certificate",
            )
        return (
            "billing_note",
            "received_on_display",
            "net_received",
            "withholding_rate",
            "withheld_amount",
            "certificate_number",
            "certificate_received_on",
            "certificate",
            "certificate_link",
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("received on"), ordering="received_on")
    def received_on_display(self, obj: Payment) -> str:
        return format_date(obj.received_on)

    @admin.display(description=_("certificate missing"), boolean=True)
    def missing_certificate(self, obj: Payment) -> bool:
        return obj.is_certificate_missing

    @admin.display(description=_("certificate PDF"))
    def certificate_link(self, obj: Payment) -> str:
        if not obj.certificate_pdf:
            return "—"
        return format_html(
            '<a href="{}">PDF</a>',
            reverse("billing:payment-certificate", args=[obj.pk]),
        )

    def save_model(
        self, request: HttpRequest, obj: Payment, form: Any, change: bool
    ) -> None:
        if change:
            services.record_certificate(
                obj,
                certificate_number=obj.certificate_number,
                received_on=obj.certificate_received_on or obj.received_on,
                certificate=form.cleaned_data.get("certificate"),
            )
            return
        payment = services.record_payment(
            form.cleaned_data["billing_note"],
            received_on=form.cleaned_data["received_on"],
            net_received=form.cleaned_data["net_received"],
            withholding_rate=form.cleaned_data["withholding_rate"] or Decimal(0),
            certificate_number=form.cleaned_data["certificate_number"],
            certificate=form.cleaned_data.get("certificate"),
            recorded_by=request.user,
        )
        obj.pk = payment.pk
        obj._state.adding = False
        invoice = payment.tax_invoices.get()
        self.message_user(
            request,
            _("Issued %(number)s.") % {"number": invoice.number},
            messages.SUCCESS,
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().add_view(request, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(EtaxXml)
class EtaxXmlAdmin(admin.ModelAdmin):
    """Every e-Tax XML made: valid, unchecked or failed with ETDA's message; read-only."""

    list_display = (
        "number",
        "type_code",
        "status",
        "signed",
        "issued_on",
        "emailed_at",
    )
    list_filter = ("status", "type_code", "signed")
    list_select_related = ("document",)
    search_fields = ("number",)
    date_hierarchy = "issued_on"
    actions = ["export_selected"]
    fields = (
        "document",
        "number",
        "type_code",
        "issued_on",
        "status",
        "signed",
        "error",
        "email_message_id",
        "emailed_at",
        "created_at",
        "xml",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Export the selected XML with a summary (zip)"))
    def export_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        response = HttpResponse(
            export.zip_bytes(queryset), content_type="application/zip"
        )
        response["Content-Disposition"] = 'attachment; filename="etax-export.zip"'
        return response
