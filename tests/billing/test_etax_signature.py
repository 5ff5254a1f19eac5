"""XAdES-BES signatures with a throw-away certificate, and what happens when e-Tax cannot be made.

Bad input never stops a document: it is issued, printed and emailed; the XML is marked
failed with the reason in admin and finance is told.
"""

import datetime

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    pkcs12,
)
from cryptography.x509.oid import NameOID
from django.core import mail
from django.urls import reverse
from signxml.exceptions import InvalidDigest
from signxml.exceptions import InvalidSignature as InvalidXmlSignature

from billing import services
from billing.etax import signature
from billing.models import EtaxXml
from tests.billing.conftest import HOSTING
from tests.billing.test_etax_xml import etda_validate


def make_p12(
    path,
    *,
    password="s3cret",
    key=None,
    not_before=None,
    not_after=None,
):
    """A self-signed company certificate in a PKCS#12 file, as a CA would hand it over."""
    now = datetime.datetime.now(tz=datetime.UTC)  # the billing tests' clock
    not_before = not_before or now - datetime.timedelta(days=1)
    not_after = not_after or now + datetime.timedelta(days=365)
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OneSpace Test Co., Ltd."),
            x509.NameAttribute(NameOID.COMMON_NAME, "0105558000014"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"onespace",
            key,
            certificate,
            None,
            BestAvailableEncryption(password.encode()),
        )
    )
    return certificate


@pytest.fixture
def certificate(settings, tmp_path):
    path = tmp_path / "company.p12"
    cert = make_p12(path)
    settings.ETAX_CERT_FILE = str(path)
    settings.ETAX_CERT_PASSWORD = "s3cret"
    return cert


def issue_note(profile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.create_billing_note(profile, lines=HOSTING)
    note.refresh_from_db()
    return note


def test_signed_xml_verifies_passes_etda_and_one_changed_digit_breaks_it(
    etda, certificate, alice_profile, django_capture_on_commit_callbacks, tmp_path
):
    note = issue_note(alice_profile, django_capture_on_commit_callbacks)
    record = EtaxXml.objects.get(document=note)
    assert record.status == EtaxXml.Status.VALID
    assert record.signed
    assert "xades:SignedProperties" in record.xml
    assert "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" in record.xml
    etda_validate(etda, tmp_path, record.xml)
    signature.verify(record.xml.encode(), certificate)
    total = "<ram:GrandTotalAmount>3478.04</ram:GrandTotalAmount>"
    assert total in record.xml
    forged = record.xml.replace(total, total.replace("3478.04", "3478.05"))
    with pytest.raises((InvalidDigest, InvalidXmlSignature, InvalidSignature)):
        signature.verify(forged.encode(), certificate)


def test_without_a_certificate_the_xml_is_unsigned_and_admin_says_so(
    etda, alice_profile, django_capture_on_commit_callbacks, finance, staff_client
):
    note = issue_note(alice_profile, django_capture_on_commit_callbacks)
    record = EtaxXml.objects.get(document=note)
    assert record.status == EtaxXml.Status.VALID
    assert not record.signed
    assert "Signature" not in record.xml
    page = staff_client(finance).get(
        reverse("admin:billing_document_change", args=[note.pk])
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "ETAX_CERT_FILE" in text


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("wrong password", "wrong ETAX_CERT_PASSWORD"),
        ("expired", "The certificate expired on"),
        ("elliptic curve key", "not RSA"),
        ("DSA key", "not RSA"),
        ("not yet valid", "The certificate is not valid before"),
        ("missing file", "Cannot read the certificate"),
        ("not a PKCS#12 file", "not a PKCS#12 file"),
    ],
)
def test_a_certificate_that_cannot_sign_fails_the_xml_not_the_document(
    etda,
    settings,
    tmp_path,
    alice_profile,
    finance,
    django_capture_on_commit_callbacks,
    problem,
    message,
):
    path = tmp_path / "company.p12"
    settings.ETAX_CERT_FILE = str(path)
    settings.ETAX_CERT_PASSWORD = "s3cret"
    if problem == "wrong password":
        make_p12(path, password="another")
    elif problem == "expired":
        make_p12(
            path,
            not_before=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
            not_after=datetime.datetime(2026, 10, 31, tzinfo=datetime.UTC),
        )
    elif problem == "elliptic curve key":
        make_p12(path, key=ec.generate_private_key(ec.SECP256R1()))
    elif problem == "DSA key":
        make_p12(path, key=dsa.generate_private_key(key_size=2048))
    elif problem == "not yet valid":
        make_p12(
            path,
            not_before=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC),
            not_after=datetime.datetime(2028, 1, 1, tzinfo=datetime.UTC),
        )
    elif problem == "not a PKCS#12 file":
        path.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot a key\n")
    mail.outbox.clear()
    note = issue_note(alice_profile, django_capture_on_commit_callbacks)
    record = EtaxXml.objects.get(document=note)
    assert record.status == EtaxXml.Status.FAILED
    assert message in record.error
    assert not record.signed
    # The document is issued, printed and sent to the buyer as always.
    assert note.is_issued
    assert note.pdf
    to_buyer = [m for m in mail.outbox if m.to == [alice_profile.email]]
    assert len(to_buyer) == 1
    to_finance = [m for m in mail.outbox if m.to == [finance.email]]
    assert len(to_finance) == 1
    assert note.number in to_finance[0].subject
    assert message in to_finance[0].body


def test_xml_that_fails_etdas_schematron_is_marked_failed_with_etdas_message(
    etda, settings, alice_profile, finance, django_capture_on_commit_callbacks
):
    # A seller address without its TISI code: ETDA requires the seller's district.
    settings.BILLING_SELLER = {**settings.BILLING_SELLER, "subdistrict_code": ""}
    note = issue_note(alice_profile, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.record_payment(
            note, received_on=note.issued_on, net_received=note.total
        )
    receipt = payment.tax_invoices.get()
    record = EtaxXml.objects.get(document=receipt)
    assert record.status == EtaxXml.Status.FAILED
    assert "TIV-SellerTradeParty-010" in record.error  # ETDA: ชื่ออำเภอ (CityName)
    assert "CountrySubDivisionID must be present" in record.error
    receipt.refresh_from_db()
    assert receipt.pdf
    assert [m.to for m in mail.outbox].count([finance.email]) == 1
    assert [m.to for m in mail.outbox].count([alice_profile.email]) == 1


def test_failed_xml_is_shown_with_its_reason_in_admin(
    etda,
    settings,
    alice_profile,
    finance,
    staff_client,
    django_capture_on_commit_callbacks,
):
    settings.ETAX_CERT_FILE = "/nonexistent/company.p12"
    note = issue_note(alice_profile, django_capture_on_commit_callbacks)
    client = staff_client(finance)
    page = client.get(reverse("admin:billing_document_change", args=[note.pk]))
    assert (
        "Cannot read the certificate /nonexistent/company.p12" in page.content.decode()
    )
    listing = client.get(reverse("admin:billing_etaxxml_changelist") + "?status=failed")
    assert listing.status_code == 200
    assert note.number in listing.content.decode()


def test_the_system_check_warns_about_a_certificate_that_cannot_sign(
    settings, tmp_path
):
    from billing.checks import check_etax_certificate

    settings.ETAX_CERT_FILE = ""
    assert check_etax_certificate() == []
    path = tmp_path / "company.p12"
    make_p12(path, password="another")
    settings.ETAX_CERT_FILE, settings.ETAX_CERT_PASSWORD = str(path), "s3cret"
    (warning,) = check_etax_certificate()
    assert warning.id == "billing.W005"
    assert "wrong ETAX_CERT_PASSWORD" in warning.msg
    settings.ETAX_CERT_PASSWORD = "another"
    assert check_etax_certificate() == []
