"""The billing app's verbs: issuing documents, numbering them, recording payments."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.emails import build_email
from billing import arithmetic
from billing.models import (
    BillingProfile,
    Document,
    DocumentLine,
    NumberSeries,
    Payment,
    VatRate,
)
from onespace.thaidates import buddhist_year

# Amounts are stored with 14 digits (12 before the point); with any VAT rate up to
# 100 % a bill below this stays storable.
MAX_SUBTOTAL = Decimal("100000000000")


@dataclass(frozen=True)
class LineInput:
    """One line as finance or the billing engine enters it."""

    description: str
    quantity: Decimal
    unit_price: Decimal


def validate_lines(lines: Sequence[LineInput]) -> None:
    """Refuse an empty bill, quantities ≤ 0, negative prices and amounts finer than a satang."""
    if not lines:
        raise ValidationError({"lines": _("A bill needs at least one line.")})
    errors = []
    for number, line in enumerate(lines, start=1):
        if not line.description.strip():
            errors.append(_("Line %(n)s has no description.") % {"n": number})
        if line.quantity <= 0:
            errors.append(
                _("Line %(n)s: the quantity must be more than zero.") % {"n": number}
            )
        if line.unit_price < 0:
            errors.append(
                _("Line %(n)s: the unit price cannot be negative.") % {"n": number}
            )
        for value in (line.quantity, line.unit_price):
            exponent = value.as_tuple().exponent
            if (
                isinstance(exponent, int)
                and exponent < -2
                and value != arithmetic.to_satang(value)
            ):
                errors.append(
                    _("Line %(n)s: use at most 2 decimal places.") % {"n": number}
                )
                break
    if not errors:
        subtotal = sum(
            (arithmetic.line_amount(line.quantity, line.unit_price) for line in lines),
            Decimal(0),
        )
        if subtotal >= MAX_SUBTOTAL:
            errors.append(
                _("The bill's total is too large; split it into several bills.")
            )
    if errors:
        raise ValidationError({"lines": errors})


def seller_snapshot() -> dict[str, str]:
    """The company's own details from settings.BILLING_SELLER, as printed (s.86/4 (1))."""
    seller = settings.BILLING_SELLER
    return {
        "seller_name": seller["name"],
        "seller_address": seller["address"],
        "seller_tax_id": seller["tax_id"],
        "seller_branch": seller["branch"],
    }


def buyer_snapshot(profile: BillingProfile) -> dict[str, str]:
    """The buyer's details frozen at issue, so editing the profile changes no issued document."""
    return {
        "buyer_name": profile.legal_name,
        "buyer_address": profile.address,
        "buyer_tax_id": profile.tax_id,
        "buyer_branch": profile.branch,
        "buyer_email": profile.email,
        "buyer_phone": profile.phone,
    }


def take_number(kind: str, *, issued_on: datetime.date) -> str:
    """Next number of ``kind``'s series for the year of ``issued_on``; no gap, no duplicate.

    Must run inside the issuing transaction: the counter row stays locked until it commits,
    so a rolled-back issue gives its number back and parallel issuers queue on the lock.
    """
    year = buddhist_year(issued_on)
    # INSERT ... ON CONFLICT DO NOTHING: the first issuer of a year creates the row
    # without racing others into an IntegrityError.
    NumberSeries.objects.bulk_create(
        [NumberSeries(kind=kind, year=year, last_number=0)], ignore_conflicts=True
    )
    series = NumberSeries.objects.select_for_update().get(kind=kind, year=year)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    prefix = Document.PREFIXES[Document.Kind(kind)]
    return f"{prefix}{year}-{series.last_number:06d}"


def _freeze(
    document: Document, *, issued_on: datetime.date, rate: Decimal | None
) -> None:
    """Compute amounts from the lines, snapshot seller and buyer, number and mark issued."""
    lines = list(document.lines.all())
    validate_lines(
        [LineInput(line.description, line.quantity, line.unit_price) for line in lines]
    )
    if rate is None:
        rate = VatRate.objects.in_force_on(issued_on).rate
    totals = arithmetic.totals(
        ((line.quantity, line.unit_price) for line in lines), rate
    )
    document.vat_rate = rate
    document.subtotal = totals.subtotal
    document.vat_amount = totals.vat_amount
    document.total = totals.total
    for name, value in seller_snapshot().items():
        setattr(document, name, value)
    if document.profile is not None:
        for name, value in buyer_snapshot(document.profile).items():
            setattr(document, name, value)
        document.customer = document.profile.customer
    document.issued_on = issued_on
    document.issued_at = timezone.now()
    document.number = take_number(document.kind, issued_on=issued_on)
    document.status = Document.Status.ISSUED
    document.save()
    transaction.on_commit(lambda: _enqueue_render(document.pk))


def _enqueue_render(pk: int) -> None:
    from billing.tasks import render_document

    render_document.enqueue(pk)


def _add_lines(document: Document, lines: Iterable[LineInput]) -> None:
    DocumentLine.objects.bulk_create(
        DocumentLine(
            document=document,
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for position, line in enumerate(lines)
    )


@transaction.atomic
def issue_document(document: Document) -> Document:
    """Issue a draft billing note: numbered, amounts and parties frozen, PDF rendered after commit."""
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if locked.status != Document.Status.DRAFT:
        raise ValidationError(_("This document has already been issued."))
    if locked.kind != Document.Kind.BILLING_NOTE:
        raise ValidationError(
            _(
                "Only billing notes are drafted; other documents are issued by their own action."
            )
        )
    if locked.profile is None:
        raise ValidationError(
            {"profile": _("Choose the customer's billing profile first.")}
        )
    _freeze(locked, issued_on=timezone.localdate(), rate=None)
    return locked


@transaction.atomic
def create_billing_note(
    profile: BillingProfile,
    *,
    lines: Sequence[LineInput],
    issue: bool = True,
    idempotency_key: str | None = None,
    request_digest: str = "",
) -> Document:
    """Create a billing note with its lines and, unless ``issue`` is false, issue it at once."""
    validate_lines(lines)
    document = Document.objects.create(
        kind=Document.Kind.BILLING_NOTE,
        customer=profile.customer,
        profile=profile,
        idempotency_key=idempotency_key,
        request_digest=request_digest,
    )
    _add_lines(document, lines)
    if issue:
        _freeze(document, issued_on=timezone.localdate(), rate=None)
    return document


def paid_in_full(
    billing_note: Document, *, net_received: Decimal, withheld_amount: Decimal
) -> None:
    """Refuse a payment that does not settle the billing note (net + withheld = total)."""
    errors: dict[str, Any] = {}
    if withheld_amount < 0:
        errors["withheld_amount"] = _("The withheld amount cannot be negative.")
    elif withheld_amount not in (
        Decimal(0),
        arithmetic.withholding_on(billing_note.subtotal),
    ):
        errors["withheld_amount"] = _(
            "Withholding is 3 %% of the value before VAT: %(amount)s baht, or nothing."
        ) % {"amount": arithmetic.withholding_on(billing_note.subtotal)}
    if net_received + withheld_amount != billing_note.total:
        errors["net_received"] = _(
            "Net received plus tax withheld must equal the bill total of %(total)s baht."
        ) % {"total": billing_note.total}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_payment(
    billing_note: Document,
    *,
    received_on: datetime.date,
    net_received: Decimal,
    withheld_amount: Decimal = Decimal("0.00"),
    certificate_number: str = "",
    recorded_by: Any = None,
) -> Payment:
    """Record a payment and issue the receipt/tax invoice (tax point is payment, s.78/1)."""
    note = Document.objects.select_for_update().get(pk=billing_note.pk)
    if note.kind != Document.Kind.BILLING_NOTE or note.status != Document.Status.ISSUED:
        raise ValidationError(
            {"billing_note": _("Payments are recorded against issued billing notes.")}
        )
    if Payment.objects.filter(billing_note=note).exists():
        raise ValidationError(
            {"billing_note": _("This billing note has already been paid.")}
        )
    paid_in_full(note, net_received=net_received, withheld_amount=withheld_amount)
    payment = Payment.objects.create(
        billing_note=note,
        received_on=received_on,
        net_received=net_received,
        withheld_amount=withheld_amount,
        certificate_number=certificate_number.strip(),
        certificate_received_on=timezone.localdate()
        if certificate_number.strip()
        else None,
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
    )
    invoice = Document.objects.create(
        kind=Document.Kind.TAX_INVOICE,
        customer=note.customer,
        profile=note.profile,
        billing_note=note,
        payment=payment,
    )
    _add_lines(
        invoice,
        [
            LineInput(line.description, line.quantity, line.unit_price)
            for line in note.lines.all()
        ],
    )
    if note.profile is None:
        # The profile was removed after the bill: keep the buyer the bill named.
        _copy_buyer(note, invoice)
    _freeze(invoice, issued_on=timezone.localdate(), rate=note.vat_rate)
    return payment


def _copy_buyer(source: Document, target: Document) -> None:
    for name in (
        "buyer_name",
        "buyer_address",
        "buyer_tax_id",
        "buyer_branch",
        "buyer_email",
        "buyer_phone",
    ):
        setattr(target, name, getattr(source, name))


@transaction.atomic
def record_certificate(
    payment: Payment, *, certificate_number: str, received_on: datetime.date
) -> Payment:
    """Record the 50 ทวิ withholding certificate that arrived for ``payment``."""
    if not certificate_number.strip():
        raise ValidationError(
            {"certificate_number": _("Enter the certificate number.")}
        )
    payment.certificate_number = certificate_number.strip()
    payment.certificate_received_on = received_on
    payment.save(update_fields=["certificate_number", "certificate_received_on"])
    return payment


def current_value(original: Document) -> Decimal:
    """Value before VAT of a tax invoice after the credit and debit notes issued against it."""
    adjustments = (
        original.adjustments.issued().values("kind").annotate(value=Sum("subtotal"))
    )
    value = original.subtotal
    for row in adjustments:
        if row["kind"] == Document.Kind.CREDIT_NOTE:
            value -= row["value"]
        else:
            value += row["value"]
    return value


@transaction.atomic
def issue_adjustment(
    original: Document,
    *,
    kind: str,
    corrected_value: Decimal,
    reason_code: str,
    reason_text: str = "",
) -> Document:
    """Issue a credit note (s.86/10) or debit note (s.86/9) citing ``original``.

    A credit never exceeds what remains of the original value.
    """
    # Lock the original so two parallel credits cannot both take the same remainder.
    original = Document.objects.select_for_update().get(pk=original.pk)
    if original.kind != Document.Kind.TAX_INVOICE or not original.is_issued:
        raise ValidationError(
            {
                "original": _(
                    "Credit and debit notes cite an issued receipt/tax invoice."
                )
            }
        )
    if original.is_cancelled:
        raise ValidationError(
            {"original": _("That tax invoice is cancelled; cite its replacement.")}
        )
    allowed = (
        Document.CREDIT_REASONS
        if kind == Document.Kind.CREDIT_NOTE
        else Document.DEBIT_REASONS
    )
    if reason_code not in allowed:
        raise ValidationError(
            {
                "reason_code": _(
                    "Choose one of the Revenue Department's reasons for this kind of note."
                )
            }
        )
    if reason_code == Document.Reason.OTHER and not reason_text.strip():
        raise ValidationError(
            {"reason_text": _("Describe the reason when choosing 'other'.")}
        )
    corrected_value = Decimal(corrected_value)
    if corrected_value != arithmetic.to_satang(corrected_value):
        raise ValidationError({"corrected_value": _("Use at most 2 decimal places.")})
    if corrected_value >= MAX_SUBTOTAL:
        raise ValidationError(
            {
                "corrected_value": _(
                    "The bill's total is too large; split it into several bills."
                )
            }
        )
    before = current_value(original)
    if kind == Document.Kind.CREDIT_NOTE:
        if corrected_value < 0:
            raise ValidationError(
                {
                    "corrected_value": _(
                        "A credit cannot exceed what remains of the original value (%(value)s baht)."
                    )
                    % {"value": before}
                }
            )
        difference = before - corrected_value
        if difference <= 0:
            raise ValidationError(
                {
                    "corrected_value": _(
                        "A credit note lowers the value: enter less than %(value)s baht."
                    )
                    % {"value": before}
                }
            )
        description = _("Credit on tax invoice %(number)s") % {
            "number": original.number
        }
    else:
        difference = corrected_value - before
        if difference <= 0:
            raise ValidationError(
                {
                    "corrected_value": _(
                        "A debit note raises the value: enter more than %(value)s baht."
                    )
                    % {"value": before}
                }
            )
        description = _("Debit on tax invoice %(number)s") % {"number": original.number}
    note = Document.objects.create(
        kind=kind,
        customer=original.customer,
        profile=None,
        original=original,
        original_value=before,
        corrected_value=corrected_value,
        reason_code=reason_code,
        reason_text=reason_text.strip(),
    )
    _copy_buyer(original, note)
    _add_lines(note, [LineInput(description, Decimal(1), difference)])
    _freeze(note, issued_on=timezone.localdate(), rate=original.vat_rate)
    return note


@transaction.atomic
def replace_tax_invoice(
    original: Document, *, profile: BillingProfile, reason: str
) -> Document:
    """Cancel a receipt/tax invoice with wrong buyer details and issue one that cites it.

    The cancelled one keeps its number and stays in the series, marked cancelled.
    """
    original = Document.objects.select_for_update().get(pk=original.pk)
    if original.kind != Document.Kind.TAX_INVOICE or not original.is_issued:
        raise ValidationError(_("Only an issued receipt/tax invoice can be replaced."))
    if original.is_cancelled:
        raise ValidationError(_("This tax invoice is already cancelled."))
    if original.adjustments.issued().exists():
        raise ValidationError(
            _(
                "Credit or debit notes cite this tax invoice; correct it with a note instead."
            )
        )
    if profile.customer_id != original.customer_id:
        raise ValidationError(
            {"profile": _("The billing profile belongs to another customer.")}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the tax invoice is replaced.")})
    original.cancelled_at = timezone.now()
    original.cancellation_reason = reason.strip()
    original.save(update_fields=["cancelled_at", "cancellation_reason"])
    replacement = Document.objects.create(
        kind=Document.Kind.TAX_INVOICE,
        customer=original.customer,
        profile=profile,
        billing_note=original.billing_note,
        payment=original.payment,
        replaces=original,
    )
    _add_lines(
        replacement,
        [
            LineInput(line.description, line.quantity, line.unit_price)
            for line in original.lines.all()
        ],
    )
    _freeze(replacement, issued_on=timezone.localdate(), rate=original.vat_rate)
    return replacement


@transaction.atomic
def set_default_profile(profile: BillingProfile) -> BillingProfile:
    """Make ``profile`` its customer's one default billing profile."""
    BillingProfile.objects.filter(
        customer_id=profile.customer_id, is_default=True
    ).exclude(pk=profile.pk).update(is_default=False)
    profile.is_default = True
    profile.save(update_fields=["is_default", "updated_at"])
    return profile


@transaction.atomic
def save_profile(profile: BillingProfile) -> BillingProfile:
    """Save a customer's billing profile; the first one, or one marked default, becomes the default."""
    is_first = (
        not BillingProfile.objects.filter(customer_id=profile.customer_id)
        .exclude(pk=profile.pk)
        .exists()
    )
    wants_default = profile.is_default or is_first
    profile.is_default = False
    profile.save()
    if wants_default:
        set_default_profile(profile)
    return profile


def render_document_pdf(document: Document) -> str:
    """Render the issued document once to PDF in the private storage; return its name."""
    from billing.pdf import render_pdf

    if document.pdf:
        return document.pdf
    storage = storages["private"]
    name = storage.save(
        f"billing/{document.number}.pdf", ContentFile(render_pdf(document))
    )
    document.pdf = name
    document.save(update_fields=["pdf"])
    return name


def send_document(document: Document) -> None:
    """Email the issued document's PDF to the billing email, in the customer's language."""
    if not document.buyer_email or not document.pdf:
        return
    language = getattr(document.customer, "language", None) or settings.LANGUAGE_CODE
    message = build_email(
        "billing/email/document_issued",
        {"document": document},
        language=language,
        to=[document.buyer_email],
    )
    with storages["private"].open(document.pdf, "rb") as pdf:
        message.attach(f"{document.number}.pdf", pdf.read(), "application/pdf")
    message.send()
