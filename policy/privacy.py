"""Personal data of the policy app: acceptance records, consents, notice emails."""

from datetime import timedelta

from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policy import registry as privacy
from policy.models import (
    Acceptance,
    Breach,
    BreachAlert,
    BreachNotice,
    ConsentRecord,
    DataExport,
    ErasureRecord,
    LegalHold,
    LegalHoldEvent,
    MarketingDelivery,
    MarketingEmail,
    NoticeDelivery,
    NoticeVersion,
    PrivacyRequest,
    ProcessingObjection,
    Processor,
    RecordVersion,
    RetentionSetting,
)


@privacy.register
class AcceptanceData(privacy.Category):
    """Who accepted which notice version, when, from where (policy clause 3)."""

    key = "policy-acceptance"
    name = _("Privacy notice acceptance records")
    model = Acceptance
    fields = ("pseudonym", "ip_address", "user_agent")
    purpose = _(
        "Prove that you were shown and accepted each version of the privacy notice "
        "(policy clause 3)"
    )
    legal_basis = privacy.Basis.LEGITIMATE_INTEREST
    retention = None
    retention_reason = _(
        "Kept as the company's proof; when the account is erased, the address and "
        "browser are removed and only a keyed hash of the email address remains"
    )
    subject = "customer"
    erasure = privacy.Erasure.ANONYMISE
    export_fields = ("version__label", "fingerprint", "accepted_at", "source")

    @classmethod
    def erase(cls, user: models.Model) -> int:
        """Pseudonymise instead of deleting: the record stays the company's proof."""
        return Acceptance.objects.pseudonymise(user.pk)

    @classmethod
    def anonymised_values(cls) -> dict[str, object]:
        # The pseudonym is what keeps the record useful as proof; it is not blanked.
        return {"ip_address": None, "user_agent": ""}


@privacy.register
class ConsentData(privacy.Category):
    """Each time an optional consent was given or withdrawn."""

    key = "policy-consent"
    name = _("Consents for optional uses")
    model = ConsentRecord
    fields = ("pseudonym", "ip_address", "user_agent")
    purpose = _(
        "Know whether you agreed to optional uses such as news and offers by email, "
        "and prove it (PDPA s.19)"
    )
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = None
    retention_reason = _(
        "Kept as proof of consent; when the account is erased, the address and browser "
        "are removed and only a keyed hash of the email address remains"
    )
    subject = "customer"
    erasure = privacy.Erasure.ANONYMISE
    export_fields = ("purpose", "is_given", "recorded_at", "source")

    @classmethod
    def erase(cls, user: models.Model) -> int:
        """Pseudonymise instead of deleting: the record stays the company's proof."""
        return ConsentRecord.objects.pseudonymise(user.pk)

    @classmethod
    def anonymised_values(cls) -> dict[str, object]:
        return {"ip_address": None, "user_agent": ""}


@privacy.register
class NoticeDeliveryData(privacy.Category):
    """When a customer was emailed about a new notice version."""

    source = privacy.Source.SYSTEMS

    key = "policy-notice-email"
    name = _("Privacy notice emails sent")
    model = NoticeDelivery
    fields = ()
    purpose = _(
        "Prove that you were told of a change before it took effect (policy clause 3)"
    )
    legal_basis = privacy.Basis.LEGITIMATE_INTEREST
    retention = timedelta(days=5 * 365)
    retention_reason = _(
        "Kept five years as proof of notification, or until the account is erased"
    )
    retention_from = "sent_at"
    subject = "customer"
    erasure = privacy.Erasure.DELETE
    export_fields = ("version__label", "sent_at")


@privacy.register
class DataExportData(privacy.Category):
    """When a customer asked for a copy of their data, and when it was downloaded."""

    key = "policy-data-export"
    name = _("Copies of your data you asked for")
    model = DataExport
    fields = ()
    purpose = _(
        "Give you a copy of your data and prove that we answered your request (PDPA s.30-31)"
    )
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = None
    retention_reason = _(
        "The file is deleted 7 days after it is ready; the record of the request is "
        "detached from you when the account is erased"
    )
    subject = "customer"
    erasure = privacy.Erasure.ANONYMISE
    export_fields = ("requested_at", "ready_at", "expires_at", "downloaded_at")

    @classmethod
    def erase(cls, user: models.Model) -> int:
        """Delete the stored files and detach the records from the person."""
        rows = cls.for_subject(user)
        storage = storages["private"]
        for name in rows.exclude(file_name="").values_list("file_name", flat=True):
            storage.delete(name)
        return rows.update(customer=None, file_name="", file_deleted_at=timezone.now())


@privacy.register
class BreachNoticeData(privacy.Category):
    """Which breaches a customer was told about, and when (PDPA s.37(4))."""

    source = privacy.Source.STAFF

    key = "policy-breach-notice"
    name = _("Security incidents you were told about")
    model = BreachNotice
    fields = ()
    purpose = _("Tell you about a breach that affects your data, as the law requires")
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = timedelta(days=5 * 365)
    retention_reason = _("Kept five years as proof of notification")
    retention_from = "sent_at"
    subject = "customer"
    erasure = privacy.Erasure.DELETE
    export_fields = ("breach__detected_at", "breach__description", "sent_at")


@privacy.register
class PrivacyRequestData(privacy.Category):
    """Requests to use a right under PDPA s.30-36: who asked, for what, and our answer."""

    key = "policy-privacy-request"
    name = _("Your privacy requests and our answers")
    model = PrivacyRequest
    fields = ("name", "email", "about_email", "details", "reply", "extension_reason")
    purpose = _(
        "Confirm who you are, answer your request within the legal time and prove "
        "that we did (PDPA s.30-36, s.39)"
    )
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = timedelta(days=3 * 365)
    retention_reason = _(
        "Kept three years after the request is closed as proof of the answer; kept "
        "when the account is erased, since an erasure request is itself proven by it"
    )
    retention_from = "closed_at"
    subject = "customer"
    erasure = privacy.Erasure.RETAIN
    export_fields = (
        "right",
        "filed_at",
        "identity_confirmed_at",
        "due_on",
        "extended_to",
        "outcome",
        "refusal_ground",
        "closed_at",
    )


@privacy.register
class ProcessingObjectionData(privacy.Category):
    """Uses of your data you objected to or restricted (PDPA s.32, s.34)."""

    key = "policy-objection"
    name = _("Uses you objected to or restricted")
    model = ProcessingObjection
    fields = ()
    purpose = _("Stop the uses you objected to or restricted (PDPA s.32, s.34)")
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = None
    retention_reason = _("Kept while the account exists")
    subject = "customer"
    erasure = privacy.Erasure.DELETE
    export_fields = ("purpose", "recorded_at", "lifted_at")


@privacy.register
class MarketingDeliveryData(privacy.Category):
    """Which news and offers emails a customer was sent (with their consent)."""

    key = "policy-marketing-email"
    name = _("News and offers emails sent to you")
    model = MarketingDelivery
    fields = ()
    purpose = _("Send news and offers you agreed to, once each (PDPA s.19)")
    legal_basis = privacy.Basis.CONSENT
    retention = timedelta(days=365)
    retention_reason = _("Kept one year to avoid sending the same email twice")
    retention_from = "sent_at"
    subject = "customer"
    erasure = privacy.Erasure.DELETE
    export_fields = ("email__subject_th", "sent_at")


privacy.not_personal(
    MarketingEmail,
    "subject_th",
    "body_th",
    "subject_en",
    "body_en",
    reason=_("The company's own newsletter text, the same for every recipient"),
)

privacy.not_personal(
    Processor,
    "name",
    reason=_("The name of a company that processes data for us, not of a person"),
)

privacy.not_personal(
    RecordVersion,
    "data",
    "reason",
    reason=_(
        "Staff's history of a breach or disclosure record: the record's own fields, "
        "customers only as ids, as in the record itself"
    ),
)

privacy.not_personal(
    PrivacyRequest,
    "code_hash",
    reason=_("A keyed hash of a one-time code; it identifies no one"),
)

privacy.not_personal(
    Breach,
    "description",
    reason=_(
        "The privacy officer's account of an incident; affected customers are linked, "
        "never named in it"
    ),
)

privacy.not_personal(
    DataExport,
    "file_name",
    reason=_("A random name the portal gives the ZIP in private storage"),
)


@privacy.register
class ErasureRecordData(privacy.Category):
    """When a customer asked to close the account, and what erasure did (PDPA s.33)."""

    key = "policy-erasure-record"
    name = _("Account closure requests")
    model = ErasureRecord
    # After erasure the person is named only by the keyed hash of the address.
    fields = ("pseudonym",)
    export_fields = ("requested_at", "erase_after", "cancelled_at", "erased_at")
    purpose = _("Carry out and prove an account closure you asked for (PDPA s.33)")
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = None
    retention_reason = _(
        "Kept as proof that the closure was done; it holds counts and a keyed hash of "
        "the address, never the erased data"
    )
    subject = "customer"
    erasure = privacy.Erasure.RETAIN

    @classmethod
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        """Dates only: the pseudonym says nothing to the customer."""
        return rows.values("pk", *cls.export_fields)


privacy.not_personal(
    ErasureRecord,
    "counts",
    reason=_("How many rows each category's erasure touched: numbers, not data"),
)
privacy.not_personal(
    DataExport,
    "counts",
    reason=_("How many rows of each category an export held: numbers, not data"),
)
privacy.not_personal(
    Breach,
    "categories",
    "measures",
    reason=_(
        "Registry category keys and the measures taken: about the incident, not a person"
    ),
)
privacy.no_personal_data(
    Breach,
    reason=_(
        "An incident as the privacy officer records it; the people told are in "
        "'Security incidents you were told about'"
    ),
)
privacy.not_personal(
    NoticeVersion,
    "text_th",
    "text_en",
    "summary_th",
    "summary_en",
    "registry_snapshot",
    reason=_("The notice text is the company's own writing, the same for everyone"),
)
privacy.no_personal_data(
    NoticeVersion, reason=_("The published versions of the privacy notice")
)
privacy.no_personal_data(
    RetentionSetting,
    reason=_("Retention periods the database's purge functions read"),
)


@privacy.register
class LegalHoldData(privacy.Category):
    """Preservation orders naming a customer or a node: what must be kept, and why."""

    source = privacy.Source.AUTHORITIES

    key = "policy-legal-hold"
    name = _("Legal holds")
    model = LegalHold
    fields = ("node_id", "reason", "order_reference", "release_reason")
    purpose = _(
        "Keep data that an order of a court or an authority requires us to preserve "
        "(Computer-related Crime Act s.26)"
    )
    legal_basis = privacy.Basis.LEGAL_OBLIGATION
    retention = None
    retention_reason = _(
        "Kept as proof that the order was followed; the data it holds is released "
        "to the normal retention when the hold ends"
    )
    subject = "customer"
    erasure = privacy.Erasure.RETAIN
    # An order to preserve is not told to the person it concerns (like a restricted
    # disclosure): not exported, not erased person by person.
    per_person = False


privacy.not_personal(
    LegalHoldEvent,
    "state",
    reason=_("The hold as it stood after each change, kept as its history"),
)
privacy.no_personal_data(
    LegalHoldEvent,
    reason=_("The history of each legal hold: who placed or released it, and when"),
)

# Models of the privacy officer's own work: no customer is named in them but by id.
privacy.no_personal_data(
    MarketingEmail,
    reason=_("A newsletter's text and when it was queued; recipients are deliveries"),
)
privacy.no_personal_data(
    Processor,
    reason=_("Companies that process data for us, what they receive and on what basis"),
)
privacy.not_personal(
    Processor,
    "categories",
    reason=_("Keys of the registry's categories the processor receives"),
)
privacy.no_personal_data(
    RecordVersion,
    reason=_(
        "The history of breach and disclosure records, customers only as ids, "
        "kept as long as the records"
    ),
)
privacy.no_personal_data(
    BreachAlert,
    reason=_("Which of the 72-hour alerts about a breach went to the privacy officers"),
)
privacy.not_personal(
    PrivacyRequest,
    "reminded_days",
    reason=_("The days before the due date on which staff were reminded"),
)
