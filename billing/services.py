"""The billing app's verbs: issuing documents, numbering them, recording payments."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import storages
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.emails import build_email
from billing import arithmetic, numbering
from billing.checks import PLACEHOLDER_SELLER_TAX_ID
from billing.etax import email as etax_email
from billing.etax.addresses import seller_address_parts as etax_seller_address_parts
from billing.models import (
    WITHHOLDING_RATES,
    BillingProfile,
    Document,
    DocumentLine,
    Payment,
    VatRate,
)
from onespace.thaidates import thai_date

# Amounts are stored with 14 digits (12 before the point); with any VAT rate up to
# 100 % a bill below this stays storable.
MAX_SUBTOTAL = Decimal("100000000000")
# An uploaded 50 ทวิ certificate: one scanned page is far below this.
MAX_CERTIFICATE_BYTES = 5 * 1024 * 1024


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


def is_placeholder_seller() -> bool:
    """Whether BILLING_SELLER still carries the example details settings start with."""
    return bool(settings.BILLING_SELLER.get("tax_id") == PLACEHOLDER_SELLER_TAX_ID)


def seller_snapshot() -> dict[str, Any]:
    """The company's own details from settings.BILLING_SELLER, as printed (s.86/4 (1)).

    Outside DEBUG the example seller is refused: a tax invoice must name the seller who
    issues it (s.86/4 (1)), so production sets BILLING_SELLER_*.
    """
    if is_placeholder_seller() and not settings.DEBUG:
        raise ValidationError(
            _(
                "Tax documents cannot be issued with the example seller: set "
                "BILLING_SELLER_NAME, BILLING_SELLER_ADDRESS, BILLING_SELLER_TAX_ID "
                "and BILLING_SELLER_BRANCH first."
            ),
            code="placeholder_seller",
        )
    seller = settings.BILLING_SELLER
    return {
        "seller_name": seller["name"],
        "seller_address": seller["address"],
        "seller_tax_id": seller["tax_id"],
        "seller_branch": seller["branch"],
        "seller_address_parts": etax_seller_address_parts(),
    }


def buyer_snapshot(profile: BillingProfile) -> dict[str, Any]:
    """The buyer's details frozen at issue, so editing the profile changes no issued document."""
    return {
        "buyer_name": profile.legal_name,
        "buyer_address": profile.address,
        "buyer_tax_id": profile.tax_id,
        "buyer_branch": profile.branch,
        "buyer_address_parts": profile.address_parts,
        "buyer_email": profile.email,
        "buyer_phone": profile.phone,
    }


def _freeze(
    document: Document,
    lines: Sequence[LineInput],
    *,
    issued_on: datetime.date,
    rate: Decimal | None,
) -> None:
    """Issue ``document`` in the caller's transaction: frozen, numbered last, PDF after commit.

    The number is taken in the last statements (see billing.numbering); on PostgreSQL a
    new document is its row with its lines in one statement, then the series lock and
    the number.
    """
    new_lines = _prepare(document, lines, issued_on=issued_on, rate=rate)
    if document.pk is None:
        numbering.issue_new(document, new_lines)
    else:
        document.save(update_fields=_FROZEN_FIELDS)
        numbering.number_draft(document)
    transaction.on_commit(lambda: _enqueue_render(document.pk))


def _prepare(
    document: Document,
    lines: Sequence[LineInput],
    *,
    issued_on: datetime.date,
    rate: Decimal | None,
) -> list[DocumentLine]:
    """Validate the lines and freeze amounts, seller, buyer and dates on ``document``."""
    validate_lines(lines)
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
        document.customer_id = document.profile.customer_id
    document.issued_on = issued_on
    document.issued_at = timezone.now()
    return [
        DocumentLine(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in lines
    ]


# What issuing a drafted billing note writes before the number.
_FROZEN_FIELDS = [
    "customer",
    "issued_on",
    "issued_at",
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
    "seller_address_parts",
    "buyer_address_parts",
    "buyer_email",
    "buyer_phone",
]


def _enqueue_render(pk: int) -> None:
    from billing.tasks import render_document

    render_document.enqueue(pk)


def _line_inputs(document: Document) -> list[LineInput]:
    return [
        LineInput(line.description, line.quantity, line.unit_price)
        for line in document.lines.all()
    ]


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
    if numbering.is_pending(locked):
        # Frozen by an issuer that has not taken its number yet (or stopped before it).
        numbering.number_in_transaction(locked)
        return locked
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
    _freeze(locked, _line_inputs(locked), issued_on=timezone.localdate(), rate=None)
    return locked


def create_billing_note(
    profile: BillingProfile,
    *,
    lines: Sequence[LineInput],
    issue: bool = True,
    idempotency_key: str | None = None,
    request_digest: str = "",
) -> Document:
    """Create a billing note with its lines and, unless ``issue`` is false, issue it at once.

    Called outside a transaction on PostgreSQL (the API, the billing engine), the note is
    committed frozen but unnumbered together with its render task, then numbered in a
    short transaction shared with every issuer that committed meanwhile (group commit,
    see billing.numbering); it returns once its number is committed. Inside a
    transaction it is written and numbered in that transaction.
    """
    document = Document(
        kind=Document.Kind.BILLING_NOTE,
        customer_id=profile.customer_id,
        profile=profile,
        idempotency_key=idempotency_key,
        request_digest=request_digest,
    )
    if not issue:
        with transaction.atomic():
            validate_lines(lines)
            document.save()
            _add_lines(document, lines)
        return document
    if connection.in_atomic_block or connection.vendor != "postgresql":
        with transaction.atomic():
            _freeze(document, lines, issued_on=timezone.localdate(), rate=None)
        return document
    from billing.tasks import render_document

    # One statement, committed by itself: the note frozen but unnumbered, its lines and,
    # with django-tasks-db, its render task (so if this process stops before the
    # number, the task numbers the note before rendering it). The VAT rate is the one
    # this process last read for the day; the statement writes nothing unless it is
    # still the rate in force, and then the rate is read again.
    queue_now = numbering.queues_in_insert(render_document)
    day = timezone.localdate()
    for fresh in (False, True):
        new_lines = _prepare(
            document, lines, issued_on=day, rate=_rate_in_force(day, fresh=fresh)
        )
        try:
            written = numbering.insert_pending(
                document,
                new_lines,
                render_task=render_document if queue_now else None,
                check_rate=True,
            )
        except IntegrityError:
            _number_the_winner(idempotency_key)
            raise
        if written:
            break
    else:
        raise RuntimeError("The VAT rate in force kept changing while issuing.")
    numbering.await_number(document)
    if not queue_now:
        _enqueue_render(document.pk)
    return document


# The rate last read per day, by this process (issuing checks it in its statement).
_rates: dict[datetime.date, Decimal] = {}


def _rate_in_force(day: datetime.date, *, fresh: bool) -> Decimal:
    if fresh or day not in _rates:
        _rates.clear()
        _rates[day] = VatRate.objects.in_force_on(day).rate
    return _rates[day]


def _number_the_winner(idempotency_key: str | None) -> None:
    """A parallel request with the same key committed first: make sure its note has a number."""
    if idempotency_key is None:
        return
    winner = Document.objects.filter(idempotency_key=idempotency_key).first()
    if winner is not None:
        finish_issue(winner)


def finish_issue(document: Document) -> Document:
    """Give ``document`` its number if it was written for issue but not numbered yet.

    Whoever shows a document found by another way than the issuing call (an API replay
    of the same Idempotency-Key) calls this first, so no caller ever sees an issued
    document without its number.
    """
    if numbering.is_pending(document):
        numbering.number_pending(document)
    return document


def check_received_on(billing_note: Document, received_on: datetime.date) -> None:
    """Refuse a received date in the future or before the billing note (s.78/1 tax point)."""
    today = timezone.localdate()
    if received_on > today:
        raise ValidationError(
            {
                "received_on": _(
                    "The money cannot have been received after today (%(today)s)."
                )
                % {"today": thai_date(today)}
            }
        )
    if billing_note.issued_on is not None and received_on < billing_note.issued_on:
        raise ValidationError(
            {
                "received_on": _(
                    "The money cannot have been received before the billing note "
                    "of %(date)s."
                )
                % {"date": thai_date(billing_note.issued_on)}
            }
        )


def totals_on(billing_note: Document, received_on: datetime.date) -> arithmetic.Totals:
    """The bill's amounts at the VAT rate in force on the day the money was received."""
    rate = VatRate.objects.in_force_on(received_on).rate
    return arithmetic.totals(
        ((line.quantity, line.unit_price) for line in billing_note.lines.all()), rate
    )


def paid_in_full(
    billing_note: Document,
    *,
    received_on: datetime.date,
    net_received: Decimal,
    withholding_rate: Decimal = Decimal(0),
) -> arithmetic.Totals:
    """Refuse a payment that does not settle the bill at the tax point's VAT rate.

    Net received plus the tax withheld (the rate on the value before VAT, half-up to the
    satang) equals the total; returns the amounts the receipt/tax invoice will carry.
    """
    check_received_on(billing_note, received_on)
    allowed = [rate for rate, _label in WITHHOLDING_RATES]
    if withholding_rate not in allowed:
        raise ValidationError(
            {
                "withholding_rate": _(
                    "Choose a withholding rate of 1, 1.5, 2, 3 or 5 %, or nothing."
                )
            }
        )
    totals = totals_on(billing_note, received_on)
    withheld = arithmetic.withholding_on(totals.subtotal, withholding_rate)
    if net_received + withheld != totals.total:
        raise ValidationError(
            {
                "net_received": _(
                    "Net received plus tax withheld (%(withheld)s baht) must equal the "
                    "total of %(total)s baht at the VAT rate in force on the day received."
                )
                % {"withheld": withheld, "total": totals.total}
            }
        )
    return totals


@transaction.atomic
def record_payment(
    billing_note: Document,
    *,
    received_on: datetime.date,
    net_received: Decimal,
    withholding_rate: Decimal = Decimal("0.00"),
    certificate_number: str = "",
    certificate: File | None = None,
    recorded_by: Any = None,
) -> Payment:
    """Record a payment and issue the receipt/tax invoice dated the day the money arrived.

    Revenue Code s.78/1: for a service the tax point is payment, so the receipt/tax invoice
    carries the received date, its series is that date's year, and its VAT is the rate in
    force that day, even when the billing note showed another.
    """
    note = Document.objects.select_for_update().get(pk=billing_note.pk)
    if note.kind != Document.Kind.BILLING_NOTE or note.status != Document.Status.ISSUED:
        raise ValidationError(
            {"billing_note": _("Payments are recorded against issued billing notes.")}
        )
    if Payment.objects.filter(billing_note=note).exists():
        raise ValidationError(
            {"billing_note": _("This billing note has already been paid.")}
        )
    totals = paid_in_full(
        note,
        received_on=received_on,
        net_received=net_received,
        withholding_rate=withholding_rate,
    )
    payment = Payment(
        billing_note=note,
        received_on=received_on,
        net_received=net_received,
        withholding_rate=withholding_rate,
        withheld_amount=arithmetic.withholding_on(totals.subtotal, withholding_rate),
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
    )
    if certificate_number.strip():
        payment.certificate_number = certificate_number.strip()
        payment.certificate_received_on = timezone.localdate()
    payment.save()
    if certificate is not None:
        _store_certificate(payment, certificate)
    invoice = Document(
        kind=Document.Kind.TAX_INVOICE,
        customer_id=note.customer_id,
        profile=note.profile,
        billing_note=note,
        payment=payment,
    )
    if note.profile is None:
        # The profile was removed after the bill: keep the buyer the bill named.
        _copy_buyer(note, invoice)
    _freeze(
        invoice,
        _line_inputs(note),
        issued_on=received_on,
        rate=VatRate.objects.in_force_on(received_on).rate,
    )
    return payment


def _copy_buyer(source: Document, target: Document) -> None:
    for name in (
        "buyer_name",
        "buyer_address",
        "buyer_tax_id",
        "buyer_branch",
        "buyer_address_parts",
        "buyer_email",
        "buyer_phone",
    ):
        setattr(target, name, getattr(source, name))


def check_certificate_pdf(upload: File) -> None:
    """Refuse an upload that is not a PDF of at most 5 MB (the bytes decide, not the name)."""
    if upload.size is None or upload.size > MAX_CERTIFICATE_BYTES:
        raise ValidationError(
            _("The certificate file may be at most 5 MB."), code="too_large"
        )
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError(
            _("Upload the certificate as a PDF file."), code="not_pdf"
        )


def _store_certificate(payment: Payment, upload: File) -> None:
    check_certificate_pdf(upload)
    storage = storages["private"]
    old = payment.certificate_pdf
    # The name is ours: nothing of the uploaded file name reaches the disk.
    payment.certificate_pdf = storage.save(
        f"billing/certificates/payment-{payment.pk}.pdf", upload
    )
    payment.save(update_fields=["certificate_pdf"])
    if old and old != payment.certificate_pdf:
        transaction.on_commit(lambda: storage.delete(old))


@transaction.atomic
def record_certificate(
    payment: Payment,
    *,
    certificate_number: str,
    received_on: datetime.date,
    certificate: File | None = None,
) -> Payment:
    """Record the 50 ทวิ withholding certificate that arrived for ``payment``, with its PDF."""
    if not certificate_number.strip():
        raise ValidationError(
            {"certificate_number": _("Enter the certificate number.")}
        )
    if payment.withheld_amount <= 0:
        raise ValidationError(
            _("Nothing was withheld from this payment, so no certificate is due.")
        )
    payment.certificate_number = certificate_number.strip()
    payment.certificate_received_on = received_on
    payment.save(update_fields=["certificate_number", "certificate_received_on"])
    if certificate is not None:
        _store_certificate(payment, certificate)
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


def _note_line(kind: str, original: Document) -> str:
    """The note's line in Thai, with English below for a buyer who reads English."""
    number = original.number
    if kind == Document.Kind.CREDIT_NOTE:
        thai, english = (
            f"ลดมูลค่าบริการตามใบกำกับภาษีเลขที่ {number}",
            f"Credit on tax invoice {number}",
        )
    else:
        thai, english = (
            f"เพิ่มมูลค่าบริการตามใบกำกับภาษีเลขที่ {number}",
            f"Debit on tax invoice {number}",
        )
    if getattr(original.customer, "language", None) == "en":
        return f"{thai}\n{english}"
    return thai


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

    A credit never exceeds what remains of the original value. The note keeps the value
    on the original invoice, the value before it and ETDA's code and wording as printed.
    """
    # Lock the original so two parallel credits cannot both take the same remainder.
    original = (
        Document.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=original.pk)
    )
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
    if reason_code in Document.OTHER_REASONS and not reason_text.strip():
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
    note = Document(
        kind=kind,
        customer_id=original.customer_id,
        profile=None,
        original=original,
        original_value=original.subtotal,
        previous_value=before,
        corrected_value=corrected_value,
        reason_code=reason_code,
        reason_label=f"{reason_code} {Document.REASON_WORDING[Document.Reason(reason_code)]}",
        reason_text=reason_text.strip(),
    )
    _copy_buyer(original, note)
    _freeze(
        note,
        [LineInput(_note_line(kind, original), Decimal(1), difference)],
        issued_on=timezone.localdate(),
        rate=original.vat_rate,
    )
    return note


@transaction.atomic
def replace_tax_invoice(
    original: Document, *, profile: BillingProfile, reason: str
) -> Document:
    """Cancel a receipt/tax invoice with wrong buyer details and issue one that cites it.

    Revenue Department practice (Departmental Instruction Paw. 86/2542): the replacement
    carries the original's date and says which document it replaces and why; the
    cancelled one keeps its number in the series, marked cancelled, and gets a rendering
    that shows it beside the PDF that was sent.
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
    assert original.issued_on is not None
    original.cancelled_at = timezone.now()
    original.cancellation_reason = reason.strip()
    original.save(update_fields=["cancelled_at", "cancellation_reason"])
    replacement = Document(
        kind=Document.Kind.TAX_INVOICE,
        customer_id=original.customer_id,
        profile=profile,
        billing_note=original.billing_note,
        payment=original.payment,
        replaces=original,
    )
    _freeze(
        replacement,
        _line_inputs(original),
        issued_on=original.issued_on,
        rate=original.vat_rate,
    )
    transaction.on_commit(lambda: _enqueue_render(original.pk))
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
    """Render the issued document to PDF in the private storage once; return what downloads give.

    The PDF as issued is rendered once and never replaced (it is what was sent). A
    cancelled document also gets, once, a rendering marked ยกเลิก; downloads give that one.
    """
    from billing.pdf import render_pdf

    storage = storages["private"]
    if numbering.is_pending(document):
        # An issued document has its number before it is rendered or sent.
        numbering.number_pending(document)
    if not document.pdf:
        document.pdf = storage.save(
            f"billing/{document.number}.pdf",
            ContentFile(render_pdf(document, show_cancellation=False)),
        )
        document.save(update_fields=["pdf"])
    if document.is_cancelled and not document.cancelled_pdf:
        document.cancelled_pdf = storage.save(
            f"billing/{document.number}-cancelled.pdf",
            ContentFile(render_pdf(document, show_cancellation=True)),
        )
        document.save(update_fields=["cancelled_pdf"])
    return document.download_pdf


def send_document(document: Document) -> None:
    """Email the issued document's PDF to the billing email, in the customer's language.

    A company is greeted by its name (เรียน บริษัท …), a person as คุณ (เรียน คุณ …).
    """
    if not document.buyer_email or not document.pdf or document.is_cancelled:
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
    etax_email.send(document, message)  # copied under e-Tax by Email, and recorded
