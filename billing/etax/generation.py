"""What the render task does for e-Tax: build, validate, sign and keep each document's XML.

Nothing here stops a document: a bad address, a certificate that cannot sign or XML that
ETDA's rules reject marks the XML failed with the reason, emails finance, and the
document is printed and sent as always.
"""

import datetime
import logging
from collections.abc import Callable, Collection, Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from lxml import etree

from accounts import roles
from accounts.emails import build_email
from billing.etax import addresses, builder, signature, validation
from billing.models import Document, EtaxXml

logger = logging.getLogger(__name__)


def generate(
    document: Document, *, redo: Collection[str] = (), notify: bool = True
) -> EtaxXml:
    """The XML of the issued ``document`` (380, T03, 81, 80), made once.

    ``redo``: statuses (failed, unchecked) whose XML is made again in its place, once
    the cause is fixed.
    """
    code = builder.type_code(document)
    existing = EtaxXml.objects.filter(document=document, type_code=code).first()
    if existing is not None and existing.status not in redo:
        return existing
    assert document.number is not None
    assert document.issued_on is not None
    return _make(
        document,
        code=code,
        number=document.number,
        issued_on=document.issued_on,
        build=lambda: builder.build(document),
        before=_buyer_address_problems(document),
        record=existing,
        notify=notify,
    )


def _buyer_address_problems(document: Document) -> list[str]:
    """ETDA wants the buyer's address as codes: say which part has none."""
    parts = document.buyer_address_parts or {"line": document.buyer_address}
    _parts, missing = addresses.with_codes(parts)
    if not missing or (missing == "lists" and not validation.available()):
        # Without ETDA's release nothing is checked: the XML is "built, not validated".
        return []
    return [addresses.missing_codes_message(parts, missing)]


def generate_cancellation(
    document: Document, *, redo: Collection[str] = (), notify: bool = True
) -> EtaxXml | None:
    """For a cancelled receipt/tax invoice: its T07 cancellation note, made once."""
    if not document.is_cancelled or document.kind != Document.Kind.TAX_INVOICE:
        return None
    existing = EtaxXml.objects.filter(
        document=document, type_code=builder.CANCELLATION
    ).first()
    if existing is not None and existing.status not in redo:
        return existing
    assert document.cancelled_at is not None
    return _make(
        document,
        code=builder.CANCELLATION,
        number=builder.cancellation_number(document),
        issued_on=document.cancelled_at.astimezone(builder.BANGKOK).date(),
        build=lambda: builder.build_cancellation(document),
        record=existing,
        notify=notify,
    )


def regenerate(
    document: Document, *, redo: Collection[str] = (EtaxXml.Status.FAILED,)
) -> list[EtaxXml]:
    """Make the XML the issued ``document`` lacks, and again the XML whose status is in ``redo``.

    For documents issued before e-Tax was switched on, whose XML failed and whose cause
    was fixed (the address, the certificate), or made unchecked while ETDA's schemas
    were not installed. Valid XML is kept, so running it twice changes nothing more.
    Finance is not emailed: whoever runs it sees the outcome. The PDF as issued and
    sent is never replaced. Returns the XML made, not the XML kept.
    """
    if document.status != Document.Status.ISSUED or not document.number:
        return []
    before = {record.type_code: record.status for record in document.etax_xml.all()}
    records = [generate(document, redo=redo, notify=False)]
    cancellation = generate_cancellation(document, redo=redo, notify=False)
    if cancellation is not None:
        records.append(cancellation)
    return [
        record
        for record in records
        if before.get(record.type_code) is None or before[record.type_code] in redo
    ]


def needing_xml(*, missing: bool, redo: Collection[str] = ()) -> QuerySet[Document]:
    """Issued documents without their XML (``missing``) or with one whose status is in ``redo``."""
    records = EtaxXml.objects.filter(document=OuterRef("pk"))
    wanted = Q(pk__in=[])
    if missing:
        # A document not rendered yet gets its XML from its render task first.
        wanted |= Q(
            ~Exists(records.exclude(type_code=builder.CANCELLATION)), ~Q(pdf="")
        )
        wanted |= Q(
            ~Exists(records.filter(type_code=builder.CANCELLATION)),
            kind=Document.Kind.TAX_INVOICE,
            cancelled_at__isnull=False,
        )
    if redo:
        wanted |= Q(Exists(records.filter(status__in=redo)))
    return (
        Document.objects.issued()
        .filter(number__isnull=False)
        .filter(wanted)
        .order_by("issued_on", "pk")
    )


def _make(
    document: Document,
    *,
    code: str,
    number: str,
    issued_on: datetime.date,
    build: Callable[[], etree._Element],
    before: Sequence[str] = (),
    record: EtaxXml | None = None,
    notify: bool = True,
) -> EtaxXml:
    """Build, validate and sign; ``before``: problems found before building (it fails).

    ``record``: a failed XML made again in its place; ``notify``: email finance if it fails.
    """
    if record is None:
        record = EtaxXml(document=document, type_code=code)
    record.number, record.issued_on = number, issued_on
    record.signed, record.error, record.xml = False, "", ""
    record.created_at = timezone.now()
    try:
        root = builder.pretty(build())
        # A failed XML is kept for inspection: admin shows it beside the reason.
        record.xml = builder.to_bytes(root, pretty=False).decode()
        checked = _validate(root)
        problems = [*before, *(checked or [])]
        if problems:
            record.status = EtaxXml.Status.FAILED
            record.error = "\n".join(problems)
        elif checked is None:
            record.status = EtaxXml.Status.UNCHECKED
        else:
            record.status = EtaxXml.Status.VALID
        if record.status != EtaxXml.Status.FAILED and signature.is_configured():
            try:
                signed = signature.sign(root, signature.load())
            except signature.CertificateProblem as problem:
                record.status = EtaxXml.Status.FAILED
                record.error = str(problem)
            else:
                record.xml = builder.to_bytes(signed, pretty=False).decode()
                record.signed = True
    except Exception as error:  # a bug must not stop the document being printed
        logger.exception("e-Tax XML of %s", number)
        record.status = EtaxXml.Status.FAILED
        record.error = f"{type(error).__name__}: {error}"
    if record.pk is None:
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            # Made meanwhile by another process (the render task and a backfill).
            return EtaxXml.objects.get(document=document, type_code=code)
    else:
        record.save()
    if notify and record.is_failed:
        tell_finance(record)
    return record


def _validate(root: etree._Element) -> list[str] | None:
    """ETDA's errors, or None when its schemas are not installed."""
    try:
        return validation.errors(root)
    except validation.SchemasMissing:
        return None


def tell_finance(record: EtaxXml) -> int:
    """Email every active Finance member that the XML failed and why; return how many."""
    users = roles.members(roles.FINANCE).exclude(email="")
    for user in users:
        build_email(
            "billing/email/etax_failed",
            {"record": record, "user": user},
            language=getattr(user, "language", None) or settings.LANGUAGE_CODE,
            to=[user.email],
        ).send()
    return len(users)
