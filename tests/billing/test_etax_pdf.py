"""The customer's PDF is PDF/A-3b with the e-Tax XML inside; PDF and XML download like the PDF did."""

import io

import pytest
from django.core.files.storage import storages
from django.urls import reverse
from pypdf import PdfReader

from auditlog import buffer
from auditlog.models import SecurityEvent
from billing.models import EtaxXml


def read_pdf(document) -> PdfReader:
    document.refresh_from_db()
    with storages["private"].open(document.pdf, "rb") as stored:
        return PdfReader(io.BytesIO(stored.read()))


def test_pdf_is_pdf_a_3b_with_the_xml_as_associated_file(etda, tax_invoice):
    record = EtaxXml.objects.get(document=tax_invoice)
    reader = read_pdf(tax_invoice)
    assert reader.attachments == {f"{tax_invoice.number}.xml": [record.xml.encode()]}
    catalog = reader.trailer["/Root"]
    # PDF/A-3: the file is an associated file of the document, with its relationship.
    associated = [spec.get_object() for spec in catalog["/AF"]]
    assert [spec["/F"] for spec in associated] == [f"{tax_invoice.number}.xml"]
    assert associated[0]["/AFRelationship"] == "/Alternative"
    metadata = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in metadata
    assert 'pdfaid:conformance="B"' in metadata
    # The text layer is still exact (tests/billing/test_pdf_text.py checks every glyph).
    assert "ใบเสร็จรับเงิน/ใบกำกับภาษี" in reader.pages[0].extract_text()


def test_a_failed_xml_is_not_embedded_but_the_pdf_is_made(etda, settings, tax_invoice):
    # The receipt of another bill, issued while the certificate is missing.
    assert EtaxXml.objects.get(document=tax_invoice).is_embeddable
    settings.ETAX_CERT_FILE = "/nonexistent.p12"
    from billing.pdf import etax_attachments

    EtaxXml.objects.filter(document=tax_invoice).update(status=EtaxXml.Status.FAILED)
    assert etax_attachments(tax_invoice) == []


def test_customer_downloads_the_xml_and_the_page_links_it(
    client, alice, etda, tax_invoice
):
    client.force_login(alice)
    page = client.get(reverse("billing:document-detail", args=[tax_invoice.pk]))
    url = reverse("billing:document-xml", args=[tax_invoice.pk])
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert f"{tax_invoice.number}.xml" in response["Content-Disposition"]
    assert response.content == EtaxXml.objects.get(document=tax_invoice).xml.encode()


def test_another_customer_gets_404_for_the_xml(client, bob, etda, tax_invoice):
    client.force_login(bob)
    url = reverse("billing:document-xml", args=[tax_invoice.pk])
    assert client.get(url).status_code == 404


def test_finance_needs_the_second_factor_and_the_read_is_recorded(
    client, staff_client, finance, alice, etda, tax_invoice
):
    url = reverse("billing:document-xml", args=[tax_invoice.pk])
    client.force_login(finance)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second-factor"))
    buffer.clear()
    assert staff_client(finance).get(url).status_code == 200
    buffer.flush()
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.PERSONAL_DATA_VIEWED)
    assert (event.user_id, event.subject_id) == (finance.pk, alice.pk)
    assert event.object_label == f"billing.document:{tax_invoice.pk}:xml"


@pytest.mark.usefixtures("etda")
def test_xml_is_404_while_it_is_not_made(client, alice, alice_profile):
    from billing import services
    from tests.billing.conftest import HOSTING

    note = services.create_billing_note(alice_profile, lines=HOSTING)  # task not run
    client.force_login(alice)
    assert (
        client.get(reverse("billing:document-xml", args=[note.pk])).status_code == 404
    )


def test_the_api_returns_links_to_the_pdf_and_the_xml(
    etda, alice, alice_profile, client, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    from accounts.models import ServiceToken
    from tests.billing.test_api import body, post

    _token, raw = ServiceToken.issue(name="billing engine", scopes=["billing"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with django_capture_on_commit_callbacks(execute=True):
        data = post(api, body(alice)).json()
    document_id = data["id"]
    assert data["pdf_url"] == "http://testserver" + reverse(
        "billing:document-pdf", args=[document_id]
    )
    assert data["xml_url"] == "http://testserver" + reverse(
        "billing:document-xml", args=[document_id]
    )
    client.force_login(alice)
    assert client.get(data["xml_url"]).status_code == 200  # the task ran on commit
