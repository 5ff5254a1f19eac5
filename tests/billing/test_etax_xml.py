"""ETDA e-Tax XML of every kind of document, checked with ETDA's own validator (../shared/etda/).

Every test runs ETDA's validate.py (XSD, then ETDA's Schematron) on the XML the render
task stored; the property test runs the same schemas in-process on random documents.
"""

import subprocess
import sys
from decimal import Decimal

import pytest
from django.core import mail
from hypothesis import (
    HealthCheck,
    given,
)
from hypothesis import (
    settings as hypothesis_settings,
)
from hypothesis import (
    strategies as st,
)
from lxml import etree

from billing import services
from billing.etax import builder, generation, validation
from billing.models import BillingProfile, Document, EtaxXml
from tests.billing.conftest import HOSTING, lines
from tests.factories import BillingProfileFactory


def etda_validate(etda, tmp_path, xml: str) -> str:
    """ETDA's validator's verdict on ``xml``; fails the test with its messages when invalid."""
    path = tmp_path / "document.xml"
    path.write_text(xml, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(etda / "validate.py"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def stored(document: Document, code: str | None = None) -> EtaxXml:
    return EtaxXml.objects.get(
        document=document, type_code=code or builder.type_code(document)
    )


def xpath(xml: str, path: str) -> list[str]:
    root = etree.fromstring(xml.encode())
    ns = {"rsm": root.nsmap["rsm"], "ram": root.nsmap["ram"]}
    return [str(value).strip() for value in root.xpath(path, namespaces=ns)]


def issue(django_capture_on_commit_callbacks, make, *args, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return make(*args, **kwargs)


@pytest.fixture
def note(etda, alice_profile, django_capture_on_commit_callbacks):
    return issue(
        django_capture_on_commit_callbacks,
        services.create_billing_note,
        alice_profile,
        lines=HOSTING,
    )


@pytest.fixture
def receipt(note, django_capture_on_commit_callbacks):
    payment = issue(
        django_capture_on_commit_callbacks,
        services.record_payment,
        note,
        received_on=note.issued_on,
        net_received=note.total,
    )
    return payment.tax_invoices.get()


def test_billing_note_is_an_etda_invoice_380(etda, note, tmp_path):
    record = stored(note)
    assert record.status == EtaxXml.Status.VALID
    assert "valid" in etda_validate(etda, tmp_path, record.xml)
    root = etree.fromstring(record.xml.encode())
    assert etree.QName(root).localname == "Invoice_CrossIndustryInvoice"
    assert xpath(record.xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["380"]
    assert xpath(record.xml, "//rsm:ExchangedDocument/ram:ID/text()") == [note.number]


def test_receipt_is_a_t03_tax_invoice_with_parties_address_codes_and_totals(
    etda, receipt, tmp_path
):
    record = stored(receipt)
    etda_validate(etda, tmp_path, record.xml)
    assert xpath(record.xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["T03"]
    seller = "//ram:SellerTradeParty"
    buyer = "//ram:BuyerTradeParty"
    # A company: TXID is the 13-digit number and the 5-digit branch.
    assert xpath(
        record.xml, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID/text()"
    ) == ["010555800001400000"]
    assert xpath(
        record.xml, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID/@schemeID"
    ) == ["TXID"]
    # สามเสนใน, พญาไท, กรุงเทพมหานคร: TISI 101401, 1014, 10.
    address = f"{buyer}/ram:PostalTradeAddress"
    assert xpath(record.xml, f"{address}/ram:CitySubDivisionName/text()") == ["101401"]
    assert xpath(record.xml, f"{address}/ram:CityName/text()") == ["1014"]
    assert xpath(record.xml, f"{address}/ram:CountrySubDivisionID/text()") == ["10"]
    assert xpath(record.xml, f"{address}/ram:BuildingNumber/text()") == ["99/1"]
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert xpath(record.xml, f"{summation}/ram:TaxBasisTotalAmount/text()") == [
        "3250.50"
    ]
    assert xpath(record.xml, f"{summation}/ram:TaxTotalAmount/text()") == ["227.54"]
    assert xpath(record.xml, f"{summation}/ram:GrandTotalAmount/text()") == ["3478.04"]
    assert len(xpath(record.xml, "//ram:IncludedSupplyChainTradeLineItem")) == 2


def test_a_person_is_nidn_and_the_xml_is_built_from_the_frozen_document(
    etda, alice, django_capture_on_commit_callbacks, tmp_path
):
    person = BillingProfileFactory(
        customer=alice, legal_name="นางสาวน้ำฝน ใจดี", tax_id="3100600445635", branch=""
    )
    note = services.create_billing_note(person, lines=HOSTING)
    # The profile changes before the render task runs: the XML keeps the issued details.
    person.legal_name = "นางสาวน้ำฝน เปลี่ยนชื่อ"
    person.subdistrict, person.district = "ศรีภูมิ", "เมืองเชียงใหม่"
    person.province = "เชียงใหม่"
    person.save()
    from billing.tasks import render_document

    render_document.call(note.pk)
    record = stored(note)
    etda_validate(etda, tmp_path, record.xml)
    registration = "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"
    assert xpath(record.xml, f"{registration}/@schemeID") == ["NIDN"]
    assert xpath(record.xml, f"{registration}/text()") == ["3100600445635"]
    assert xpath(record.xml, "//ram:BuyerTradeParty/ram:Name/text()") == [
        "นางสาวน้ำฝน ใจดี"
    ]
    assert xpath(
        record.xml, "//ram:BuyerTradeParty//ram:CitySubDivisionName/text()"
    ) == ["101401"]
    assert person.subdistrict_code == "500101"  # the profile maps its new address


@pytest.mark.parametrize(
    ("kind", "value", "reason", "code", "purpose"),
    [
        (Document.Kind.CREDIT_NOTE, "3000.00", Document.Reason.CDNS03, "81", "CDNS03"),
        (Document.Kind.CREDIT_NOTE, "2000.00", Document.Reason.CDNS99, "81", "CDNS99"),
        (Document.Kind.DEBIT_NOTE, "3500.00", Document.Reason.DBNS01, "80", "DBNS01"),
    ],
)
def test_notes_are_etda_debit_credit_notes_citing_the_original(
    etda,
    receipt,
    django_capture_on_commit_callbacks,
    tmp_path,
    kind,
    value,
    reason,
    code,
    purpose,
):
    note = issue(
        django_capture_on_commit_callbacks,
        services.issue_adjustment,
        receipt,
        kind=kind,
        corrected_value=Decimal(value),
        reason_code=reason,
        reason_text="ลูกค้ายกเลิกบริการบางส่วน" if purpose.endswith("99") else "",
    )
    record = stored(note)
    etda_validate(etda, tmp_path, record.xml)
    assert etree.QName(etree.fromstring(record.xml.encode())).localname == (
        "DebitCreditNote_CrossIndustryInvoice"
    )
    assert xpath(record.xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == [code]
    assert xpath(record.xml, "//rsm:ExchangedDocument/ram:PurposeCode/text()") == [
        purpose
    ]
    cited = "//ram:AdditionalReferencedDocument"
    assert xpath(record.xml, f"{cited}/ram:IssuerAssignedID/text()") == [receipt.number]
    assert xpath(record.xml, f"{cited}/ram:ReferenceTypeCode/text()") == ["T03"]
    assert xpath(record.xml, f"{cited}/ram:IssueDateTime/text()") == [
        f"{receipt.issued_on.isoformat()}T00:00:00"
    ]
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert xpath(record.xml, f"{summation}/ram:OriginalInformationAmount/text()") == [
        "3250.50"
    ]
    assert xpath(record.xml, f"{summation}/ram:DifferenceInformationAmount/text()") == [
        str(abs(Decimal("3250.50") - Decimal(value)))
    ]


def test_cancel_and_replace_gives_a_t07_and_a_replacement_citing_the_original(
    etda, receipt, alice, django_capture_on_commit_callbacks, tmp_path
):
    corrected = BillingProfileFactory(
        customer=alice, is_default=False, legal_name="บริษัท อลิซ คลาวด์ (ประเทศไทย) จำกัด"
    )
    replacement = issue(
        django_capture_on_commit_callbacks,
        services.replace_tax_invoice,
        receipt,
        profile=corrected,
        reason="ชื่อผู้ซื้อไม่ถูกต้อง",
    )
    cancellation = stored(receipt, "T07")
    assert cancellation.status == EtaxXml.Status.VALID
    etda_validate(etda, tmp_path, cancellation.xml)
    assert xpath(cancellation.xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == [
        "T07"
    ]
    cited = "//ram:AdditionalReferencedDocument"
    assert xpath(cancellation.xml, f"{cited}/ram:IssuerAssignedID/text()") == [
        receipt.number
    ]
    new = stored(replacement)
    etda_validate(etda, tmp_path, new.xml)
    assert xpath(new.xml, f"{cited}/ram:IssuerAssignedID/text()") == [receipt.number]
    assert xpath(new.xml, "//rsm:ExchangedDocument/ram:PurposeCode/text()") == [
        "TIVC99"
    ]
    assert xpath(new.xml, "//rsm:ExchangedDocument/ram:Purpose/text()") == [
        "ชื่อผู้ซื้อไม่ถูกต้อง"
    ]
    # The original's own T03 is kept, beside its cancellation note.
    assert stored(receipt).status == EtaxXml.Status.VALID


def test_a_multi_line_multi_page_document_is_valid(
    etda, alice_profile, django_capture_on_commit_callbacks, tmp_path
):
    many = lines(
        *[
            (f"บริการคลาวด์เซิร์ฟเวอร์ เครื่องที่ {n} (Cloud server #{n})", "1", f"{n}99.25")
            for n in range(1, 61)
        ]
    )
    note = issue(
        django_capture_on_commit_callbacks,
        services.create_billing_note,
        alice_profile,
        lines=many,
    )
    from django.core.files.storage import storages
    from pypdf import PdfReader

    note.refresh_from_db()
    with storages["private"].open(note.pdf, "rb") as pdf:
        assert len(PdfReader(pdf).pages) >= 4  # original and copy, each over pages
    record = stored(note)
    etda_validate(etda, tmp_path, record.xml)
    assert len(xpath(record.xml, "//ram:IncludedSupplyChainTradeLineItem")) == 60


def test_a_buyer_address_without_codes_fails_the_xml_not_the_document(
    etda, alice, finance, django_capture_on_commit_callbacks, tmp_path
):
    # Saved outside the form (which refuses names ETDA's lists do not have).
    profile = BillingProfileFactory(customer=alice, subdistrict="ไม่มีจริง")
    assert profile.subdistrict_code == ""
    mail.outbox.clear()
    note = issue(
        django_capture_on_commit_callbacks,
        services.create_billing_note,
        profile,
        lines=HOSTING,
    )
    note.refresh_from_db()
    record = stored(note)
    assert record.status == EtaxXml.Status.FAILED
    assert not record.signed
    # The reason names what is missing, in Thai and in English.
    thai, english = record.error.splitlines()
    assert "ตำบล/แขวง “ไม่มีจริง” ไม่อยู่ในรายการตำบลของอำเภอ “พญาไท”" in thai
    assert "the sub-district “ไม่มีจริง” is not in ETDA's list" in english
    # The XML is kept for inspection; the address is one line without codes.
    address = "//ram:BuyerTradeParty/ram:PostalTradeAddress"
    assert xpath(record.xml, f"{address}/ram:CitySubDivisionName") == []
    assert xpath(record.xml, f"{address}/ram:LineOne/text()") == ["99/1 ถนนพหลโยธิน"]
    # The document is issued, printed and sent; finance is told why.
    assert note.is_issued
    assert note.pdf
    assert [m.to for m in mail.outbox].count([profile.email]) == 1
    (to_finance,) = [m for m in mail.outbox if m.to == [finance.email]]
    assert note.number in to_finance.subject
    assert "the sub-district “ไม่มีจริง”" in to_finance.body
    assert "etax_generate --failed" in to_finance.body  # how to make it again


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"district": "ไม่มีจริง"}, "the district “ไม่มีจริง” is not in ETDA's list"),
        ({"province": "ไม่มีจริง"}, "the province “ไม่มีจริง” is not in ETDA's"),
    ],
)
def test_the_reason_names_the_part_without_a_code(
    etda, alice, django_capture_on_commit_callbacks, changes, missing
):
    profile = BillingProfileFactory(customer=alice, **changes)
    note = issue(
        django_capture_on_commit_callbacks,
        services.create_billing_note,
        profile,
        lines=HOSTING,
    )
    record = stored(note)
    assert record.status == EtaxXml.Status.FAILED
    assert missing in record.error


def test_a_code_not_stored_is_looked_up_from_the_frozen_names(
    etda, alice, django_capture_on_commit_callbacks, tmp_path
):
    """A profile saved while ETDA's code lists were missing: the frozen names still map."""
    profile = BillingProfileFactory(customer=alice)
    BillingProfile.objects.filter(pk=profile.pk).update(subdistrict_code="")
    profile.refresh_from_db()
    note = issue(
        django_capture_on_commit_callbacks,
        services.create_billing_note,
        profile,
        lines=HOSTING,
    )
    note.refresh_from_db()
    assert note.buyer_address_parts["subdistrict_code"] == ""
    record = stored(note)
    assert record.status == EtaxXml.Status.VALID, record.error
    etda_validate(etda, tmp_path, record.xml)
    address = "//ram:BuyerTradeParty/ram:PostalTradeAddress"
    assert xpath(record.xml, f"{address}/ram:CitySubDivisionName/text()") == ["101401"]


def test_a_one_line_address_of_an_older_document_fails_with_the_reason(
    etda, alice_profile, django_capture_on_commit_callbacks
):
    note = issue(
        django_capture_on_commit_callbacks,
        services.create_billing_note,
        alice_profile,
        lines=HOSTING,
    )
    EtaxXml.objects.filter(document=note).delete()
    note.buyer_address_parts = {}  # as frozen before the parts were kept
    record = generation.generate(note)
    assert record.status == EtaxXml.Status.FAILED
    assert "the document holds the address as one line" in record.error


_thai = st.text(
    alphabet=st.sampled_from(
        "กขคงจฉชซญดตถทนบปผพฟภมยรลวศษสหอฮะาำิีึืุูเแโใไ่้๊๋็์ 0123456789ABCXYZabcxyz-/()&.,"
    ),
    min_size=1,
    max_size=80,
).filter(lambda text: text.strip() != "")
_line = st.tuples(
    _thai,
    st.decimals(min_value="0.01", max_value="999", places=2),
    st.decimals(min_value="0.00", max_value="99999", places=2),
)


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    items=st.lists(_line, min_size=1, max_size=12),
    company=st.booleans(),
    branch=st.sampled_from(["00000", "00001", "12345"]),
    fraction=st.decimals(min_value="0", max_value="0.99", places=2),
    reason=_thai,
)
def test_random_valid_documents_pass_etdas_schemas(
    etda, alice, items, company, branch, fraction, reason
):
    profile = BillingProfileFactory(
        customer=alice,
        is_default=False,
        tax_id="0107536000315" if company else "3100600445635",
        branch=branch if company else "",
    )
    note = services.create_billing_note(
        profile,
        lines=[
            services.LineInput(text, quantity, price) for text, quantity, price in items
        ],
    )
    assert validation.errors(builder.build(note)) == []
    payment = services.record_payment(
        note, received_on=note.issued_on, net_received=note.total
    )
    receipt = payment.tax_invoices.get()
    assert validation.errors(builder.build(receipt)) == []
    if receipt.subtotal >= Decimal("0.02"):
        corrected = (receipt.subtotal * fraction).quantize(Decimal("0.01"))
        credit = services.issue_adjustment(
            receipt,
            kind=Document.Kind.CREDIT_NOTE,
            corrected_value=max(corrected, Decimal("0.00")),
            reason_code=Document.Reason.CDNS99,
            reason_text=reason,
        )
        assert validation.errors(builder.build(credit)) == []
        debit = services.issue_adjustment(
            receipt,
            kind=Document.Kind.DEBIT_NOTE,
            corrected_value=receipt.subtotal + corrected + Decimal("0.01"),
            reason_code=Document.Reason.DBNS02,
        )
        assert validation.errors(builder.build(debit)) == []


@pytest.mark.django_db(transaction=True)
def test_the_retention_purge_takes_the_xml_with_its_document(alice_profile, vat_rate):
    """On PostgreSQL billing_purge_expired() deletes in SQL: the foreign key cascades."""
    import datetime

    from django.utils import timezone

    from policy.registry import registry
    from tests.billing.test_retention import _issue

    today = timezone.localdate()
    expired = _issue(alice_profile, datetime.date(today.year - 6, 12, 31))
    kept = _issue(alice_profile, datetime.date(today.year - 1, 3, 1))
    assert EtaxXml.objects.filter(document__billing_note=expired).count() == 1
    assert EtaxXml.objects.filter(document=expired).count() == 1
    registry["billing-document"].purge_expired(timezone.now())
    assert not Document.objects.filter(pk=expired.pk).exists()
    assert not EtaxXml.objects.filter(document_id=expired.pk).exists()
    assert EtaxXml.objects.count() == 2  # the kept note and its receipt
    assert EtaxXml.objects.filter(document=kept).exists()
