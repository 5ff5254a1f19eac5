import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.th import tin

from billing.provinces import Province
from onespace.choices import choice_label
from onespace.thaidates import format_date

HEAD_OFFICE = "00000"

five_digits = RegexValidator(r"^[0-9]{5}\Z", _("Enter exactly 5 digits."))


def validate_tax_id(value: str) -> None:
    """Revenue Code: a 13-digit taxpayer number whose last digit is a mod-11 check digit."""
    if not (len(value) == 13 and value.isascii() and value.isdigit()):
        raise ValidationError(
            _("A tax ID has exactly 13 digits."), code="tax_id_length"
        )
    try:
        tin.validate(value)
    except StdnumValidationError:
        raise ValidationError(
            _("This tax ID's check digit is wrong; please check the number."),
            code="tax_id_checksum",
        ) from None


def branch_label(branch: str) -> str:
    """สำนักงานใหญ่ for 00000, สาขาที่ NNNNN for a branch, nothing for a buyer without one.

    The wording s.86/4 documents use; a person has no head office (the Director-General's
    VAT Notice No. 199 asks for the branch of a buyer that is a VAT-registered business).
    """
    if not branch:
        return ""
    return "สำนักงานใหญ่" if branch == HEAD_OFFICE else f"สาขาที่ {branch}"


def is_juristic_tax_id(tax_id: str) -> bool:
    """Juristic persons' taxpayer numbers start with 0; a person's ID card number never does."""
    return tax_id.startswith("0")


class BillingProfileQuerySet(models.QuerySet["BillingProfile"]):
    def of(self, customer: Any) -> "BillingProfileQuerySet":
        return self.filter(customer=customer)


class BillingProfile(models.Model):
    """Company or personal details a customer wants printed on tax invoices (policy 1.3)."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="billing_profiles",
        verbose_name=_("customer"),
    )
    legal_name = models.CharField(
        _("legal name"),
        max_length=200,
        help_text=_(
            "Company name or full name, as registered with the Revenue Department."
        ),
    )
    address_line = models.CharField(
        _("number and road"),
        max_length=200,
        help_text=_("House number, building, soi and road."),
    )
    subdistrict = models.CharField(_("subdistrict (tambon/khwaeng)"), max_length=100)
    district = models.CharField(_("district (amphoe/khet)"), max_length=100)
    province = models.CharField(_("province"), max_length=40, choices=Province)
    postcode = models.CharField(_("postcode"), max_length=5, validators=[five_digits])
    # ETDA e-Tax: the sub-district's 6-digit TISI code (its first 4 digits are the
    # district's, the first 2 the province's), looked up from the names on save; empty
    # when they do not map (the XML then gives the address as one line).
    subdistrict_code = models.CharField(
        _("sub-district code (TISI)"), max_length=6, blank=True, editable=False
    )
    tax_id = models.CharField(
        _("tax ID"),
        max_length=13,
        validators=[validate_tax_id],
        help_text=_("13-digit taxpayer identification number."),
    )
    branch = models.CharField(
        _("branch"),
        max_length=5,
        blank=True,
        validators=[five_digits],
        help_text=_(
            "A company: 00000 for the head office, otherwise the 5-digit branch number. "
            "Leave empty for a person."
        ),
    )
    email = models.EmailField(_("billing email"))
    phone = models.CharField(_("phone"), max_length=20)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = BillingProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")
        ordering = ["-is_default", "legal_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default=True),
                name="billing_one_default_profile_per_customer",
                violation_error_message=_(
                    "You already have a default billing profile."
                ),
            ),
            models.CheckConstraint(
                condition=Q(postcode__regex=r"^[0-9]{5}$"),
                name="billing_profile_postcode_5_digits",
                violation_error_message=_("A postcode has exactly 5 digits."),
            ),
            models.CheckConstraint(
                condition=Q(branch="") | Q(branch__regex=r"^[0-9]{5}$"),
                name="billing_profile_branch_5_digits",
                violation_error_message=_(
                    "A branch number has exactly 5 digits (00000 for the head office)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(tax_id__regex=r"^[0-9]{13}$"),
                name="billing_profile_tax_id_13_digits",
                violation_error_message=_("A tax ID has exactly 13 digits."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.tax_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        from billing.etax.codes import subdistrict_code

        self.subdistrict_code = subdistrict_code(
            self.province, self.district, self.subdistrict
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "subdistrict_code"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("billing:profile-edit", args=[self.pk])

    @property
    def address_parts(self) -> dict[str, str]:
        """The address in ETDA's parts, as frozen on a document (``buyer_address_parts``)."""
        return {
            "line": self.address_line,
            "subdistrict": self.subdistrict,
            "district": self.district,
            "province": self.province,
            "postcode": self.postcode,
            "subdistrict_code": self.subdistrict_code,
        }

    @property
    def branch_label(self) -> str:
        return branch_label(self.branch)

    @property
    def is_company(self) -> bool:
        return is_juristic_tax_id(self.tax_id)

    @property
    def address(self) -> str:
        """The address in one line, in the order Thai documents write it."""
        bangkok = self.province == Province.BANGKOK
        sub = "แขวง" if bangkok else "ตำบล"
        dist = "เขต" if bangkok else "อำเภอ"
        province = self.province if bangkok else f"จังหวัด{self.province}"
        return f"{self.address_line} {sub}{self.subdistrict} {dist}{self.district} {province} {self.postcode}"


class VatRateQuerySet(models.QuerySet["VatRate"]):
    def in_force_on(self, day: datetime.date) -> "VatRate":
        """The rate valid on ``day``; raises ValidationError when none is configured."""
        rate = (
            self.filter(valid_from__lte=day)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
            .order_by("-valid_from")
            .first()
        )
        if rate is None:
            raise ValidationError(_("No VAT rate is in force on that date."))
        return rate


class VatRate(models.Model):
    """A VAT rate with the dates it applies (Revenue Code s.80; 7 % by royal decree)."""

    rate = models.DecimalField(
        _("rate (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = VatRateQuerySet.as_manager()

    class Meta:
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.rate} % ({format_date(self.valid_from)})"


class NumberSeries(models.Model):
    """The counter row of one document kind in one year; locked while a number is taken."""

    kind = models.CharField(max_length=20, verbose_name=_("document kind"))
    year = models.PositiveIntegerField(
        help_text=_("Buddhist-era year"), verbose_name=_("year")
    )
    last_number = models.PositiveIntegerField(default=0, verbose_name=_("last number"))

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year"], name="billing_series_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_number}"


class DocumentQuerySet(models.QuerySet["Document"]):
    def issued(self) -> "DocumentQuerySet":
        return self.filter(status=Document.Status.ISSUED)

    def drafts(self) -> "DocumentQuerySet":
        return self.filter(status=Document.Status.DRAFT)

    def visible_to(self, user: Any) -> "DocumentQuerySet":
        """Issued documents ``user`` may see: all for finance, their own for a customer."""
        issued = self.issued()
        if user.has_perm("billing.view_document"):
            return issued
        if user.is_staff:
            return issued.none()
        return issued.filter(customer=user)

    def for_table(self) -> "DocumentQuerySet":
        """Only the columns ``billing/_document_table.html`` shows (issue 15): a list
        of 25 documents need not read and decode each one's frozen addresses, lines'
        totals and seller details."""
        return self.only(
            "pk",
            "status",
            "kind",
            "number",
            "issued_on",
            "total",
            "cancelled_at",
            "pdf",
            "cancelled_pdf",
        )

    def tax_invoices(self) -> "DocumentQuerySet":
        return self.filter(kind=Document.Kind.TAX_INVOICE)

    def delete(self) -> tuple[int, dict[str, int]]:
        # Revenue Code s.87/3: issued documents are kept; only drafts are ever deleted.
        if self.exclude(status=Document.Status.DRAFT).exists():
            raise ImmutableDocumentError(_("Issued documents can never be deleted."))
        return super().delete()

    def delete_for_retention_purge(self) -> int:
        """Delete documents whose 5-year retention has run out (see billing.privacy)."""
        count, _deleted = super().delete()
        return count


class ImmutableDocumentError(Exception):
    """Someone tried to change or delete an issued tax document."""


class Document(models.Model):
    """A billing note, receipt/tax invoice, credit note or debit note; frozen once issued."""

    class Kind(models.TextChoices):
        BILLING_NOTE = "billing_note", _("Invoice / billing note")
        TAX_INVOICE = "tax_invoice", _("Receipt / tax invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")
        DEBIT_NOTE = "debit_note", _("Debit note")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")

    class Reason(models.TextChoices):
        # ETDA's reason codes for services (Thai_MessageFunctionCode, e-Tax v2.1), the
        # Revenue Department's list for s.86/9 and s.86/10 notes.
        CDNS01 = "CDNS01", _("Service price reduced (CDNS01)")
        CDNS02 = "CDNS02", _("Service short of the contract (CDNS02)")
        CDNS03 = "CDNS03", _("Overcharged by a calculation error (CDNS03)")
        CDNS04 = "CDNS04", _("Service contract ended (CDNS04)")
        CDNS99 = "CDNS99", _("Other reason, described (CDNS99)")
        DBNS01 = "DBNS01", _("Service price increased (DBNS01)")
        DBNS02 = "DBNS02", _("Undercharged by a calculation error (DBNS02)")
        DBNS99 = "DBNS99", _("Other reason, described (DBNS99)")

    # ETDA's Thai wording, printed on the note whatever the reader's language.
    REASON_WORDING = {
        Reason.CDNS01: "ลดราคาค่าบริการ (บริการผิดข้อกำหนดที่ตกลงกัน)",
        Reason.CDNS02: "ค่าบริการขาดจำนวน",
        Reason.CDNS03: "คำนวณราคาค่าบริการผิดพลาดสูงกว่าที่เป็นจริง",
        Reason.CDNS04: "บอกเลิกสัญญาบริการ",
        Reason.CDNS99: "เหตุอื่น (ระบุสาเหตุ)",
        Reason.DBNS01: "การเพิ่มราคาค่าบริการ (บริการเกินกว่าข้อกำหนดที่ตกลงกัน)",
        Reason.DBNS02: "คำนวณราคาค่าบริการผิดพลาดต่ำกว่าที่เป็นจริง",
        Reason.DBNS99: "เหตุอื่น (ระบุสาเหตุ)",
    }
    CREDIT_REASONS = (
        Reason.CDNS01,
        Reason.CDNS02,
        Reason.CDNS03,
        Reason.CDNS04,
        Reason.CDNS99,
    )
    DEBIT_REASONS = (Reason.DBNS01, Reason.DBNS02, Reason.DBNS99)
    OTHER_REASONS = (Reason.CDNS99, Reason.DBNS99)
    # Notes issued before the ETDA list was followed printed these labels for their codes
    # (the same code once meant something else); they keep them (Revenue Code s.87/3).
    EARLIER_REASON_LABELS = {
        "CDNS01": "ลดราคาสินค้าที่ขาย เนื่องจากสินค้าไม่ตรงตามข้อกำหนด (CDNS01)",
        "CDNS02": "สินค้าชำรุดเสียหาย ขาดจำนวน หรือส่งคืน (CDNS02)",
        "CDNS03": "ลดค่าบริการ เนื่องจากบริการไม่เป็นไปตามข้อกำหนด (CDNS03)",
        "CDNS04": "คำนวณราคาผิดพลาดสูงกว่าที่เป็นจริง (CDNS04)",
        "DBNS01": "เพิ่มราคาสินค้า เนื่องจากสินค้าเกินกว่าที่ตกลง (DBNS01)",
        "DBNS02": "เพิ่มค่าบริการ เนื่องจากบริการเกินกว่าที่ตกลง (DBNS02)",
        "99": "เหตุอื่น (99)",
    }
    PREFIXES = {
        Kind.BILLING_NOTE: "BN",
        Kind.TAX_INVOICE: "RT",
        Kind.CREDIT_NOTE: "CN",
        Kind.DEBIT_NOTE: "DN",
    }
    # Columns that may still change on an issued row, once each: the rendered PDF, the
    # cancellation mark, the rendering that shows it, and the customer and profile links
    # (cleared when an account or profile is deleted; the buyer snapshot stays). The
    # PostgreSQL trigger enforces the same list.
    LATE_FIELDS = (
        "pdf",
        "cancelled_at",
        "cancellation_reason",
        "cancelled_pdf",
        "customer",
        "profile",
    )

    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind, default=Kind.BILLING_NOTE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.DRAFT, editable=False
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="billing_documents",
        verbose_name=_("customer"),
    )
    profile = models.ForeignKey(
        BillingProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("billing profile"),
        help_text=_(
            "Only read at issue: the buyer details are copied onto the document."
        ),
    )
    # NULL until issued: drafts have no number, and a unique column ignores NULLs.
    number = models.CharField(  # noqa: DJ001
        _("number"), max_length=30, unique=True, null=True, editable=False
    )
    issued_on = models.DateField(_("issue date"), null=True, editable=False)
    issued_at = models.DateTimeField(
        null=True, editable=False, verbose_name=_("issued at")
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    # Amounts are frozen at issue; the rate is stored on every document.
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, null=True, editable=False
    )
    subtotal = models.DecimalField(
        _("value before VAT"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
    )
    vat_amount = models.DecimalField(
        _("VAT"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
    )
    total = models.DecimalField(
        _("total"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
    )
    # Seller and buyer snapshots (Revenue Code s.86/4 (1)-(3)).
    seller_name = models.CharField(
        max_length=200, blank=True, editable=False, verbose_name=_("seller name")
    )
    seller_address = models.CharField(
        max_length=400, blank=True, editable=False, verbose_name=_("seller address")
    )
    seller_tax_id = models.CharField(
        max_length=13, blank=True, editable=False, verbose_name=_("seller tax id")
    )
    seller_branch = models.CharField(
        max_length=5, blank=True, editable=False, verbose_name=_("seller branch")
    )
    buyer_name = models.CharField(
        _("buyer name"), max_length=200, blank=True, editable=False
    )
    buyer_address = models.CharField(
        _("buyer address"), max_length=400, blank=True, editable=False
    )
    buyer_tax_id = models.CharField(
        _("buyer tax ID"), max_length=13, blank=True, editable=False
    )
    buyer_branch = models.CharField(
        _("buyer branch"), max_length=5, blank=True, editable=False
    )
    # ETDA e-Tax: both addresses in parts with their TISI codes, frozen at issue
    # (BillingProfile.address_parts, settings.BILLING_SELLER).
    seller_address_parts = models.JSONField(
        default=dict, blank=True, editable=False, verbose_name=_("seller address parts")
    )
    buyer_address_parts = models.JSONField(
        default=dict, blank=True, editable=False, verbose_name=_("buyer address parts")
    )
    buyer_email = models.EmailField(_("buyer email"), blank=True, editable=False)
    buyer_phone = models.CharField(
        _("buyer phone"), max_length=20, blank=True, editable=False
    )
    # Links between documents. RESTRICT, not PROTECT: a cited document cannot go alone,
    # but the retention purge may remove a whole expired chain at once.
    billing_note = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("billing note"),
    )
    payment = models.ForeignKey(
        "Payment",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="tax_invoices",
        editable=False,
        verbose_name=_("payment"),
    )
    # Revenue Code s.86/9, s.86/10: a credit or debit note cites the original invoice.
    original = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="adjustments",
        editable=False,
        verbose_name=_("original tax invoice"),
    )
    # s.86/9, s.86/10: the value on the original invoice; a later note also shows the value
    # before it (after the notes already issued); notes issued before both were stored kept
    # the value before them in original_value and have no previous_value.
    original_value = models.DecimalField(
        _("value on the original tax invoice"),
        max_digits=14,
        decimal_places=2,
        null=True,
        editable=False,
    )
    previous_value = models.DecimalField(
        _("value before this note"),
        max_digits=14,
        decimal_places=2,
        null=True,
        editable=False,
    )
    corrected_value = models.DecimalField(
        _("corrected value"), max_digits=14, decimal_places=2, null=True, editable=False
    )
    reason_code = models.CharField(
        _("reason"), max_length=6, choices=Reason, blank=True, editable=False
    )
    # The code and ETDA wording as printed, frozen at issue.
    reason_label = models.CharField(
        _("reason as printed"), max_length=120, blank=True, editable=False
    )
    reason_text = models.CharField(
        _("reason details"), max_length=300, blank=True, editable=False
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="replaced_by",
        editable=False,
        verbose_name=_("replaces"),
    )
    cancelled_at = models.DateTimeField(
        _("cancelled at"), null=True, blank=True, editable=False
    )
    cancellation_reason = models.CharField(
        max_length=300,
        blank=True,
        editable=False,
        verbose_name=_("cancellation reason"),
    )
    idempotency_key = models.CharField(
        max_length=120,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("idempotency key"),
    )
    request_digest = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("request digest")
    )
    # Names in the "private" storage (outside the web root): the PDF as issued and sent,
    # and, once cancelled, the rendering marked ยกเลิก that downloads give from then on.
    pdf = models.CharField(
        max_length=200, blank=True, editable=False, verbose_name=_("pdf")
    )
    cancelled_pdf = models.CharField(
        max_length=200, blank=True, editable=False, verbose_name=_("cancelled pdf")
    )

    objects = DocumentQuerySet.as_manager()
    # The status as loaded from the database, so save() knows an issued row.
    _loaded_status: str | None = None

    class Meta:
        verbose_name = _("billing document")
        verbose_name_plural = _("billing documents")
        permissions = [
            ("issue_document", _("Can issue tax documents and record payments"))
        ]
        ordering = ["-issued_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "status", "-issued_at"]),
            models.Index(fields=["kind", "status", "-issued_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(number__isnull=False, issued_on__isnull=False),
                name="billing_issued_document_has_number",
            ),
            # Equality to the satang, written as |difference| < half a satang
            # because SQLite evaluates the check on floating-point numbers.
            models.CheckConstraint(
                condition=LessThan(
                    Abs(
                        models.F("total")
                        - models.F("subtotal")
                        - models.F("vat_amount")
                    ),
                    Value(Decimal("0.005")),
                ),
                name="billing_total_is_subtotal_plus_vat",
            ),
        ]

    def __str__(self) -> str:
        return self.number or _("Draft %(pk)s") % {"pk": self.pk}

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Revenue Code s.86/9, s.86/10: an issued document is corrected by a new
        # document, never edited. Only LATE_FIELDS may be written afterwards.
        if self._loaded_status not in (None, self.Status.DRAFT):
            update_fields = kwargs.get("update_fields")
            if not update_fields or not set(update_fields) <= set(self.LATE_FIELDS):
                raise ImmutableDocumentError(_("Issued documents can never be edited."))
        super().save(*args, **kwargs)
        self._loaded_status = self.status

    def get_absolute_url(self) -> str:
        return reverse("billing:document-detail", args=[self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self._loaded_status not in (None, self.Status.DRAFT) or self.is_issued:
            raise ImmutableDocumentError(_("Issued documents can never be deleted."))
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(
        cls, db: Any, field_names: Any, values: Any, **kwargs: Any
    ) -> "Document":
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_tax_invoice(self) -> bool:
        """Documents that are tax invoices in law: the receipt/tax invoice and the notes."""
        return self.kind != self.Kind.BILLING_NOTE

    @property
    def value_before(self) -> Decimal | None:
        """The value before this note: after every note issued earlier against the original."""
        if self.previous_value is not None:
            return self.previous_value
        return self.original_value

    @property
    def difference(self) -> Decimal | None:
        before = self.value_before
        if before is None or self.corrected_value is None:
            return None
        return abs(before - self.corrected_value)

    @property
    def reason_display(self) -> str:
        """The reason as printed on the note: its code and ETDA's Thai wording."""
        if self.reason_label:
            return self.reason_label
        return self.EARLIER_REASON_LABELS.get(self.reason_code, self.reason_code)

    @property
    def buyer_is_company(self) -> bool:
        return is_juristic_tax_id(self.buyer_tax_id)

    @property
    def receipt(self) -> "Document | None":
        """For a paid billing note: the receipt/tax invoice that stands for it now."""
        if self.kind != self.Kind.BILLING_NOTE or self.pk is None:
            return None
        return (
            Document.objects.issued()
            .filter(
                billing_note=self, kind=self.Kind.TAX_INVOICE, cancelled_at__isnull=True
            )
            .first()
        )

    @property
    def is_superseded(self) -> bool:
        """A billing note whose receipt carries other amounts (a VAT rate change, s.78/1)."""
        receipt = self.receipt
        return receipt is not None and receipt.total != self.total

    def get_kind_display(self) -> str:  # type: ignore[no-redef]
        # Once per row of a document list: labels translated once per language.
        return choice_label(self.Kind, self.kind)

    @property
    def download_pdf(self) -> str:
        """The file a download gives: the cancelled rendering once there is one."""
        return self.cancelled_pdf or self.pdf

    @property
    def seller_branch_label(self) -> str:
        return branch_label(self.seller_branch)

    @property
    def buyer_branch_label(self) -> str:
        return branch_label(self.buyer_branch)

    @property
    def title_th(self) -> str:
        return {
            self.Kind.BILLING_NOTE: "ใบแจ้งหนี้",
            self.Kind.TAX_INVOICE: "ใบเสร็จรับเงิน/ใบกำกับภาษี",
            self.Kind.CREDIT_NOTE: "ใบลดหนี้/ใบกำกับภาษี",
            self.Kind.DEBIT_NOTE: "ใบเพิ่มหนี้/ใบกำกับภาษี",
        }[self.Kind(self.kind)]

    @property
    def title_en(self) -> str:
        return {
            self.Kind.BILLING_NOTE: "Invoice / Billing note",
            self.Kind.TAX_INVOICE: "Receipt / Tax invoice",
            self.Kind.CREDIT_NOTE: "Credit note / Tax invoice",
            self.Kind.DEBIT_NOTE: "Debit note / Tax invoice",
        }[self.Kind(self.kind)]


class DocumentLine(models.Model):
    """One line of a document: description, quantity and unit price (s.86/4 (5))."""

    document = models.ForeignKey(
        Document,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("document"),
    )
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )

    class Meta:
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="billing_line_quantity_positive",
                violation_error_message=_("The quantity must be more than zero."),
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="billing_line_price_not_negative",
                violation_error_message=_("The unit price cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        from billing.arithmetic import line_amount

        return line_amount(self.quantity, self.unit_price)


class PaymentQuerySet(models.QuerySet["Payment"]):
    def missing_certificate(self) -> "PaymentQuerySet":
        """Payments with tax withheld whose 50 ทวิ certificate has not arrived yet."""
        return self.filter(withheld_amount__gt=0, certificate_number="")

    def visible_to(self, user: Any) -> "PaymentQuerySet":
        """Payments ``user`` may see: all for finance, those of their own bills for a customer."""
        if user.has_perm("billing.view_payment"):
            return self
        if user.is_staff:
            return self.none()
        return self.filter(billing_note__customer=user)


# Revenue Department Order Tor.Por. 4/2528: rates a payer withholds on service fees (1 % for
# transport, 1.5 % for some government payers, 2 % for advertising, 3 % for services,
# 5 % for rent), on the value before VAT.
WITHHOLDING_RATES = (
    (Decimal("0.00"), _("Nothing withheld")),
    (Decimal("1.00"), "1 %"),
    (Decimal("1.50"), "1.5 %"),
    (Decimal("2.00"), "2 %"),
    (Decimal("3.00"), "3 %"),
    (Decimal("5.00"), "5 %"),
)


class Payment(models.Model):
    """Money received against a billing note; recording it issues the receipt/tax invoice (s.78/1)."""

    billing_note = models.OneToOneField(
        Document,
        on_delete=models.CASCADE,
        related_name="received_payment",
        verbose_name=_("billing note"),
    )
    received_on = models.DateField(_("received on"))
    net_received = models.DecimalField(
        _("net amount received"), max_digits=14, decimal_places=2
    )
    withholding_rate = models.DecimalField(
        _("withholding rate"),
        max_digits=4,
        decimal_places=2,
        choices=WITHHOLDING_RATES,
        default=Decimal("0.00"),
        help_text=_("The rate the customer withheld on the value before VAT, if any."),
    )
    withheld_amount = models.DecimalField(
        _("income tax withheld"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
    )
    certificate_number = models.CharField(
        _("withholding certificate (50 ทวิ) number"),
        max_length=50,
        blank=True,
        help_text=_("Leave empty until the certificate arrives."),
    )
    certificate_received_on = models.DateField(
        _("certificate received on"), null=True, blank=True
    )
    # Name of the uploaded certificate (PDF) in the "private" storage.
    certificate_pdf = models.CharField(
        max_length=200, blank=True, editable=False, verbose_name=_("certificate PDF")
    )
    recorded_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("recorded at")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(net_received__gte=0),
                name="billing_payment_net_not_negative",
                violation_error_message=_("The amount received cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(withheld_amount__gte=0),
                name="billing_payment_withheld_not_negative",
                violation_error_message=_("The withheld amount cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(
                    withholding_rate__in=[rate for rate, _label in WITHHOLDING_RATES]
                ),
                name="billing_payment_withholding_rate_allowed",
                violation_error_message=_(
                    "Choose a withholding rate of 1, 1.5, 2, 3 or 5 %, or nothing."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.billing_note} {self.net_received}"

    @property
    def is_certificate_missing(self) -> bool:
        return self.withheld_amount > 0 and not self.certificate_number


class EtaxXmlQuerySet(models.QuerySet["EtaxXml"]):
    def issued_in(self, year: int, month: int) -> "EtaxXmlQuerySet":
        """The XML of documents issued (or, for a cancellation, cancelled) in that month."""
        return self.filter(issued_on__year=year, issued_on__month=month)


class EtaxXml(models.Model):
    """A document's ETDA e-Tax XML (one per document, and a T07 for a cancelled one)."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        UNCHECKED = "unchecked", _("Built, not validated (no ETDA schemas)")
        FAILED = "failed", _("Failed")

    # The retention purge deletes documents in SQL: on PostgreSQL the foreign key is the
    # database's own, ON DELETE CASCADE (migration 0009), so their XML goes with them.
    document = models.ForeignKey(
        Document,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="etax_xml",
        verbose_name=_("document"),
    )
    type_code = models.CharField(_("ETDA type code"), max_length=4)
    number = models.CharField(_("e-Tax document number"), max_length=40)
    issued_on = models.DateField(_("issue date"))
    status = models.CharField(_("status"), max_length=10, choices=Status)
    signed = models.BooleanField(_("signed"), default=False)
    xml = models.TextField(blank=True, verbose_name=_("xml"))
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(
        default=timezone.now, verbose_name=_("created at")
    )
    # "e-Tax Invoice by Email": the email that carried the PDF to the buyer.
    email_message_id = models.CharField(
        _("email Message-ID"), max_length=250, blank=True
    )
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    objects = EtaxXmlQuerySet.as_manager()

    class Meta:
        verbose_name = _("e-Tax XML")
        verbose_name_plural = _("e-Tax XML")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "type_code"], name="billing_one_etax_xml_per_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.type_code})"

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def is_embeddable(self) -> bool:
        return self.status != self.Status.FAILED and bool(self.xml)
