"""The ETDA e-Tax XML (v2.1) of an issued document, built with lxml from its frozen snapshot.

Never from live profiles: the seller and buyer come from the document's snapshot columns
(``seller_*``, ``buyer_*``, ``*_address_parts``), the amounts from its frozen totals.

| document | root | TypeCode |
|---|---|---|
| billing note (ใบแจ้งหนี้) | ``Invoice_CrossIndustryInvoice`` | 380 |
| receipt/tax invoice | ``TaxInvoice_CrossIndustryInvoice`` | T03 |
| credit note / debit note | ``DebitCreditNote_CrossIndustryInvoice`` | 81 / 80 |
| a cancelled receipt/tax invoice | ``CancellationNote_CrossIndustryInvoice`` | T07 |
"""

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from lxml import etree

from billing.arithmetic import vat_on
from billing.etax.addresses import building_number, with_codes
from billing.models import Document, DocumentLine, is_juristic_tax_id

SPEC_VERSION = "v2.1"
GUIDELINE_ID = "ER3-2560"
BANGKOK = ZoneInfo("Asia/Bangkok")
ROOTS = {"380": "Invoice", "T03": "TaxInvoice", "80": "DebitCreditNote"}
ROOTS |= {"81": "DebitCreditNote", "T07": "CancellationNote"}
TYPE_CODES = {
    Document.Kind.BILLING_NOTE: "380",
    Document.Kind.TAX_INVOICE: "T03",
    Document.Kind.CREDIT_NOTE: "81",
    Document.Kind.DEBIT_NOTE: "80",
}
CANCELLATION = "T07"
# Before the ETDA list was followed a note's "other reason" was stored as 99.
_OTHER = {Document.Kind.CREDIT_NOTE: "CDNS99", Document.Kind.DEBIT_NOTE: "DBNS99"}
_EARLIER_CODES = {"CDNS01", "CDNS02", "CDNS03", "CDNS04", "DBNS01", "DBNS02"}


def type_code(document: Document) -> str:
    return TYPE_CODES[Document.Kind(document.kind)]


def namespaces(root: str) -> dict[str, str]:
    base = "urn:etda:uncefact:data:standard:"
    return {
        "rsm": f"{base}{root}_CrossIndustryInvoice:2",
        "ram": f"{base}{root}_ReusableAggregateBusinessInformationEntity:2",
    }


def cancellation_number(document: Document) -> str:
    """The T07 cancellation note of a cancelled tax invoice is numbered after it."""
    return f"{document.number}-T07"


def _amount(value: Decimal | None) -> str:
    return str((value or Decimal("0")).quantize(Decimal("0.01")))


def _date_time(day: datetime.date) -> str:
    return f"{day.isoformat()}T00:00:00"


class _Builder:
    def __init__(self, root: str) -> None:
        self.ns = namespaces(root)
        self.root = etree.Element(
            f"{{{self.ns['rsm']}}}{root}_CrossIndustryInvoice", nsmap=self.ns
        )

    def rsm(self, parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{self.ns['rsm']}}}{name}")

    def ram(
        self,
        parent: etree._Element,
        name: str,
        text: str | None = None,
        **attributes: str,
    ) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.ns['ram']}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    def context(self) -> None:
        parameter = self.ram(
            self.rsm(self.root, "ExchangedDocumentContext"),
            "GuidelineSpecifiedDocumentContextParameter",
        )
        self.ram(
            parameter,
            "ID",
            GUIDELINE_ID,
            schemeAgencyID="ETDA",
            schemeVersionID=SPEC_VERSION,
        )

    def party(
        self,
        parent: etree._Element,
        role: str,
        *,
        name: str,
        tax_id: str,
        branch: str,
        parts: dict[str, str],
        email: str = "",
    ) -> None:
        party = self.ram(parent, role)
        self.ram(party, "Name", name)
        registration = self.ram(party, "SpecifiedTaxRegistration")
        if is_juristic_tax_id(tax_id) or branch:
            # A business: its 13-digit number and 5-digit branch (00000 the head office).
            self.ram(
                registration,
                "ID",
                f"{tax_id}{branch or '00000'}",
                schemeID="TXID",
                schemeAgencyID="RD",
            )
        else:
            self.ram(registration, "ID", tax_id, schemeID="NIDN")
        if email:
            contact = self.ram(party, "DefinedTradeContact")
            self.ram(
                self.ram(contact, "EmailURIUniversalCommunication"),
                "URIID",
                email,
            )
        self.address(party, parts)

    def address(self, party: etree._Element, parts: dict[str, str]) -> None:
        address = self.ram(party, "PostalTradeAddress")
        line = " ".join(parts.get("line", "").split())
        # Documents issued before the parts were frozen: the one-line address ends
        # with the postcode.
        postcode = parts.get("postcode") or "".join(
            re.findall(r"(?<!\d)(\d{5})$", line)
        )
        if postcode:
            self.ram(address, "PostcodeCode", postcode)
        if line:
            self.ram(address, "LineOne", line[:256])
        code = parts.get("subdistrict_code", "")
        if len(code) == 6:
            self.ram(address, "CityName", code[:4])
            self.ram(address, "CitySubDivisionName", code)
        self.ram(address, "CountryID", "TH", schemeID="3166-1 alpha-2")
        if len(code) == 6:
            self.ram(address, "CountrySubDivisionID", code[:2])
        number = parts.get("building_number") or building_number(line)
        if number:
            self.ram(address, "BuildingNumber", number)


def buyer_parts(document: Document) -> dict[str, str]:
    """The buyer's frozen address in ETDA's parts, with its TISI code where it maps."""
    parts = document.buyer_address_parts or {"line": document.buyer_address}
    return with_codes(parts)[0]


def _buyer_email(document: Document) -> str:
    return f"mailto:{document.buyer_email}" if document.buyer_email else ""


def _header(b: _Builder, document: Document, code: str) -> etree._Element:
    header = b.rsm(b.root, "ExchangedDocument")
    assert document.number is not None
    assert document.issued_on is not None
    b.ram(header, "ID", document.number)
    b.ram(header, "Name", document.title_th)
    b.ram(header, "TypeCode", code)
    b.ram(header, "IssueDateTime", _date_time(document.issued_on))
    purpose, purpose_code = _purpose(document)
    if purpose:
        b.ram(header, "Purpose", purpose[:256])
    if purpose_code:
        b.ram(header, "PurposeCode", purpose_code)
    created = (document.issued_at or datetime.datetime.now(tz=BANGKOK)).astimezone(
        BANGKOK
    )
    if code == "380":
        return header  # a billing note has no CreationDateTime (Invoice v2.1)
    b.ram(
        header,
        "CreationDateTime",
        created.replace(tzinfo=None).isoformat("T", "seconds"),
    )
    return header


def _purpose(document: Document) -> tuple[str, str]:
    """ETDA's purpose (reason) code and text: a note's reason, a replacement's cause."""
    kind = Document.Kind(document.kind)
    if kind in _OTHER:
        code = document.reason_code
        if code not in _EARLIER_CODES and code not in (
            Document.Reason.CDNS04,
            Document.Reason.CDNS99,
            Document.Reason.DBNS99,
        ):
            code = _OTHER[kind]
        text = document.reason_display
        if document.reason_text:
            text = f"{text}: {document.reason_text}"
        return text, code
    if kind == Document.Kind.TAX_INVOICE and document.replaces_id:
        # TIVC99: cancelled and issued anew for another reason, which is given.
        replaced = document.replaces
        assert replaced is not None
        reason = replaced.cancellation_reason or "ยกเลิกและออกใบกำกับภาษีฉบับใหม่"
        return reason, "TIVC99"
    return "", ""


def _referenced(
    b: _Builder, agreement: etree._Element, number: str, day: datetime.date, code: str
) -> None:
    referenced = b.ram(agreement, "AdditionalReferencedDocument")
    b.ram(referenced, "IssuerAssignedID", number)
    b.ram(referenced, "IssueDateTime", _date_time(day))
    b.ram(referenced, "ReferenceTypeCode", code)


def _agreement(b: _Builder, transaction: etree._Element, document: Document) -> None:
    agreement = b.ram(transaction, "ApplicableHeaderTradeAgreement")
    b.party(
        agreement,
        "SellerTradeParty",
        name=document.seller_name,
        tax_id=document.seller_tax_id,
        branch=document.seller_branch,
        parts=document.seller_address_parts or {"line": document.seller_address},
    )
    b.party(
        agreement,
        "BuyerTradeParty",
        name=document.buyer_name,
        tax_id=document.buyer_tax_id,
        branch=document.buyer_branch,
        parts=buyer_parts(document),
        email=_buyer_email(document),
    )
    cited = document.original or document.replaces
    if cited is not None:
        assert cited.number is not None
        assert cited.issued_on is not None
        _referenced(b, agreement, cited.number, cited.issued_on, type_code(cited))


def _settlement(b: _Builder, transaction: etree._Element, document: Document) -> None:
    settlement = b.ram(transaction, "ApplicableHeaderTradeSettlement")
    b.ram(settlement, "InvoiceCurrencyCode", "THB", listID="ISO 4217 3A")
    tax = b.ram(settlement, "ApplicableTradeTax")
    b.ram(tax, "TypeCode", "VAT")
    b.ram(tax, "CalculatedRate", _amount(document.vat_rate))
    b.ram(tax, "BasisAmount", _amount(document.subtotal))
    b.ram(tax, "CalculatedAmount", _amount(document.vat_amount))
    summation = b.ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    is_note = document.kind in (Document.Kind.CREDIT_NOTE, Document.Kind.DEBIT_NOTE)
    if is_note:
        b.ram(summation, "OriginalInformationAmount", _amount(document.value_before))
    b.ram(summation, "LineTotalAmount", _amount(document.subtotal))
    if is_note:
        b.ram(summation, "DifferenceInformationAmount", _amount(document.difference))
    b.ram(summation, "TaxBasisTotalAmount", _amount(document.subtotal))
    b.ram(summation, "TaxTotalAmount", _amount(document.vat_amount))
    b.ram(summation, "GrandTotalAmount", _amount(document.total))


def _line(
    b: _Builder,
    transaction: etree._Element,
    position: int,
    line: DocumentLine,
    rate: Decimal | None,
) -> None:
    item = b.ram(transaction, "IncludedSupplyChainTradeLineItem")
    b.ram(b.ram(item, "AssociatedDocumentLineDocument"), "LineID", str(position))
    b.ram(
        b.ram(item, "SpecifiedTradeProduct"),
        "Name",
        " ".join(line.description.split())[:256],
    )
    price = b.ram(
        b.ram(item, "SpecifiedLineTradeAgreement"), "GrossPriceProductTradePrice"
    )
    b.ram(price, "ChargeAmount", _amount(line.unit_price))
    delivery = b.ram(item, "SpecifiedLineTradeDelivery")
    b.ram(delivery, "BilledQuantity", str(line.quantity), unitCode="C62")
    settlement = b.ram(item, "SpecifiedLineTradeSettlement")
    tax = b.ram(settlement, "ApplicableTradeTax")
    b.ram(tax, "TypeCode", "VAT")
    b.ram(tax, "CalculatedRate", _amount(rate))
    amount = line.amount
    # The line's own VAT, half-up; the document's VAT is reckoned on the total (s.86/4).
    vat = vat_on(amount, rate or Decimal("0"))
    b.ram(tax, "BasisAmount", _amount(amount))
    b.ram(tax, "CalculatedAmount", _amount(vat))
    summation = b.ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    b.ram(summation, "TaxTotalAmount", _amount(vat), currencyID="THB")
    b.ram(summation, "NetLineTotalAmount", _amount(amount), currencyID="THB")
    b.ram(
        summation,
        "NetIncludingTaxesLineTotalAmount",
        _amount(amount + vat),
        currencyID="THB",
    )


def build(
    document: Document, *, lines: Sequence[DocumentLine] | None = None
) -> etree._Element:
    """The XML of the issued ``document`` (380, T03, 81 or 80), unsigned."""
    code = type_code(document)
    if lines is None:
        lines = list(document.lines.all())
    b = _Builder(ROOTS[code])
    b.context()
    _header(b, document, code)
    transaction = b.rsm(b.root, "SupplyChainTradeTransaction")
    _agreement(b, transaction, document)
    b.ram(transaction, "ApplicableHeaderTradeDelivery")
    _settlement(b, transaction, document)
    for position, line in enumerate(lines, start=1):
        _line(b, transaction, position, line, document.vat_rate)
    return b.root


def build_cancellation(document: Document) -> etree._Element:
    """The T07 cancellation note (ใบแจ้งยกเลิก) of a cancelled receipt/tax invoice."""
    assert document.is_cancelled
    assert document.cancelled_at is not None
    assert document.number is not None
    assert document.issued_on is not None
    b = _Builder(ROOTS[CANCELLATION])
    b.context()
    header = b.rsm(b.root, "ExchangedDocument")
    cancelled = document.cancelled_at.astimezone(BANGKOK)
    b.ram(header, "ID", cancellation_number(document))
    b.ram(header, "Name", "ใบแจ้งยกเลิก")
    b.ram(header, "TypeCode", CANCELLATION)
    b.ram(header, "IssueDateTime", _date_time(cancelled.date()))
    if document.cancellation_reason:
        b.ram(header, "Purpose", document.cancellation_reason[:256])
    b.ram(
        header,
        "CreationDateTime",
        cancelled.replace(tzinfo=None).isoformat("T", "seconds"),
    )
    transaction = b.rsm(b.root, "SupplyChainTradeTransaction")
    agreement = b.ram(transaction, "ApplicableHeaderTradeAgreement")
    b.party(
        agreement,
        "SellerTradeParty",
        name=document.seller_name,
        tax_id=document.seller_tax_id,
        branch=document.seller_branch,
        parts=document.seller_address_parts or {"line": document.seller_address},
    )
    _referenced(b, agreement, document.number, document.issued_on, type_code(document))
    b.ram(transaction, "ApplicableHeaderTradeSettlement")
    return b.root


def to_bytes(root: etree._Element, *, pretty: bool = True) -> bytes:
    """The XML as UTF-8; a signed tree is written exactly as signed (``pretty=False``)."""
    return etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty
    )


def pretty(root: etree._Element) -> etree._Element:
    """``root`` re-read from its indented form, so it can be signed as it will be read."""
    parser = etree.XMLParser(remove_blank_text=False)
    return etree.fromstring(to_bytes(root), parser)
