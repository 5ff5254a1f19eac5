from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import staff_second_factor_required
from billing import services
from billing.etax import codes as etax_codes
from billing.etax.promptpay import qr_for_document as promptpay_qr
from billing.forms import BillingProfileForm, CertificateForm
from billing.models import BillingProfile, Document, Payment
from onespace.pagination import paginate
from policy.signals import staff_read


def _customer_only(request: HttpRequest) -> None:
    # Billing profiles belong to customers; staff work in admin.
    if request.user.is_staff:
        raise Http404


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    _customer_only(request)
    profiles = BillingProfile.objects.of(request.user)
    documents = Document.objects.visible_to(request.user).for_table()[:10]
    return render(
        request, "billing/overview.html", {"profiles": profiles, "documents": documents}
    )


@login_required
def profile_list(request: HttpRequest) -> HttpResponse:
    _customer_only(request)
    profiles = BillingProfile.objects.of(request.user)
    return render(
        request,
        "billing/profile_list.html",
        # A profile without its TISI code is pointed out when ETDA's lists could tell.
        {"profiles": profiles, "codes_checked": etax_codes.available()},
    )


@login_required
def profile_create(request: HttpRequest) -> HttpResponse:
    _customer_only(request)
    form = BillingProfileForm(
        request.POST or None, initial={"email": getattr(request.user, "email", "")}
    )
    if request.method == "POST" and form.is_valid():
        profile = form.save(commit=False)
        profile.customer = request.user
        services.save_profile(profile)
        messages.success(request, _("Billing profile saved."))
        return redirect("billing:profile-list")
    return render(request, "billing/profile_form.html", {"form": form})


@login_required
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _customer_only(request)
    profile = get_object_or_404(BillingProfile, pk=pk, customer=request.user)
    form = BillingProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        # Issued documents keep the snapshot taken at issue; only future ones change.
        services.save_profile(form.save(commit=False))
        messages.success(
            request,
            _(
                "Billing profile saved. Documents already issued keep the details they were issued with."
            ),
        )
        return redirect("billing:profile-list")
    return render(
        request, "billing/profile_form.html", {"form": form, "profile": profile}
    )


@login_required
@require_POST
def profile_default(request: HttpRequest, pk: int) -> HttpResponse:
    _customer_only(request)
    profile = get_object_or_404(BillingProfile, pk=pk, customer=request.user)
    services.set_default_profile(profile)
    messages.success(request, _("Default billing profile changed."))
    return redirect("billing:profile-list")


@login_required
@staff_second_factor_required
def document_list(request: HttpRequest) -> HttpResponse:
    documents = Document.objects.visible_to(request.user).for_table()
    pager = paginate(request, documents)
    return render(
        request, "billing/document_list.html", {"documents": pager["page"], **pager}
    )


@login_required
@staff_second_factor_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    staff_read(
        request,
        subject_id=document.customer_id,
        object_label=f"billing.document:{document.pk}",
    )
    receipt = document.receipt
    return render(
        request,
        "billing/document_detail.html",
        {
            "document": document,
            "lines": document.lines.all(),
            "receipt": receipt,
            # An unpaid billing note: pay it by scanning (Thai QR Payment, PromptPay).
            "promptpay_qr": promptpay_qr(document) if receipt is None else "",
            "payment": document.payment,
            "etax": document.etax_xml.exclude(type_code="T07").first(),
        },
    )


@login_required
@staff_second_factor_required
def document_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The stored PDF, to its owner or to finance (second factor, logged); else 404.

    A cancelled document downloads as its rendering marked ยกเลิก.
    """
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    if not document.download_pdf:
        raise Http404(_("The PDF is still being prepared."))
    staff_read(
        request,
        subject_id=document.customer_id,
        object_label=f"billing.document:{document.pk}:pdf",
    )
    return FileResponse(
        storages["private"].open(document.download_pdf, "rb"),
        as_attachment=True,
        filename=f"{document.number}.pdf",
        content_type="application/pdf",
    )


@login_required
@staff_second_factor_required
def document_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The document's ETDA e-Tax XML (signed when a certificate is set), like the PDF.

    To its owner or to finance (second factor, logged); 404 while it is being made or
    when it failed (finance sees why in admin).
    """
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    record = document.etax_xml.exclude(type_code="T07").first()
    if record is None or not record.is_embeddable:
        raise Http404(_("The e-Tax XML is not available."))
    staff_read(
        request,
        subject_id=document.customer_id,
        object_label=f"billing.document:{document.pk}:xml",
    )
    response = HttpResponse(record.xml.encode(), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{record.number}.xml"'
    return response


@login_required
@staff_second_factor_required
def payment_certificate(request: HttpRequest, pk: int) -> FileResponse:
    """The uploaded 50 ทวิ certificate, to the customer who paid or to finance (second factor, logged)."""
    payment = get_object_or_404(
        Payment.objects.visible_to(request.user).select_related("billing_note"), pk=pk
    )
    if not payment.certificate_pdf:
        raise Http404
    staff_read(
        request,
        subject_id=payment.billing_note.customer_id,
        object_label=f"billing.payment:{payment.pk}:certificate",
    )
    return FileResponse(
        storages["private"].open(payment.certificate_pdf, "rb"),
        as_attachment=True,
        filename=f"50-tawi-{payment.billing_note.number}.pdf",
        content_type="application/pdf",
    )


@login_required
def payment_certificate_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer who withheld tax hands in the 50 ทวิ certificate as a PDF."""
    _customer_only(request)
    payment = get_object_or_404(
        Payment.objects.visible_to(request.user).filter(withheld_amount__gt=0), pk=pk
    )
    form = CertificateForm(
        request.POST or None,
        request.FILES or None,
        initial={"certificate_number": payment.certificate_number},
    )
    if request.method == "POST" and form.is_valid():
        services.record_certificate(
            payment,
            certificate_number=form.cleaned_data["certificate_number"],
            received_on=timezone.localdate(),
            certificate=form.cleaned_data["certificate"],
        )
        messages.success(request, _("Thank you: the withholding certificate is saved."))
        receipt = (
            payment.tax_invoices.issued().filter(cancelled_at__isnull=True).first()
        )
        return redirect(receipt or "billing:document-list")
    return render(
        request, "billing/certificate_form.html", {"form": form, "payment": payment}
    )
