"""Breach register (PDPA s.37) and record of processing (s.39) for the privacy officer."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from policy import services
from policy.models import Breach, BreachNotice
from policy.registry import registry

pytestmark = pytest.mark.django_db

ADD = reverse("admin:policy_breach_add")


def _fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(base font, embedded?) of every font on every page."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            inner = (
                font["/DescendantFonts"][0].get_object()
                if "/DescendantFonts" in font
                else font
            )
            descriptor = inner["/FontDescriptor"].get_object()
            found.append(
                (
                    str(font["/BaseFont"]),
                    any(
                        k in descriptor
                        for k in ("/FontFile", "/FontFile2", "/FontFile3")
                    ),
                )
            )
    return found


def _form(**extra):
    now = timezone.localtime()
    data = {
        "detected_at_0": now.strftime("%Y-%m-%d"),
        "detected_at_1": now.strftime("%H:%M:%S"),
        "became_aware_at_0": "",
        "became_aware_at_1": "",
        "description": "Backup bucket was public for two hours",
        "measures": "Bucket closed; keys rotated",
        "risk": "high",
        "categories": ["billing-profile"],
        "people_affected": "2",
    }
    data.update(extra)
    return data


def test_breach_without_detection_time_is_refused_clearly(
    staff_client, privacy_officer
):
    client = staff_client(privacy_officer)
    response = client.post(ADD, _form(detected_at_0="", detected_at_1=""))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "detected_at" in errors
    assert not Breach.objects.exists()
    with pytest.raises(ValidationError) as raised:
        services.record_breach(
            detected_at=None, description="x", people_affected=1, risk="risk"
        )
    assert "detected_at" in raised.value.message_dict
    assert not Breach.objects.exists()


def test_breach_deadline_is_72_hours_after_becoming_aware(
    staff_client, privacy_officer
):
    client = staff_client(privacy_officer)
    response = client.post(ADD, _form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    breach = Breach.objects.get()
    assert breach.became_aware_at == breach.detected_at
    assert breach.regulator_deadline == breach.became_aware_at + timedelta(hours=72)
    listing = client.get(reverse("admin:policy_breach_changelist")).content.decode()
    assert "เหลือ 71 ชม." in listing  # 71 h 59 min left
    with time_machine.travel(timezone.now() + timedelta(hours=80)):
        assert breach.is_overdue()
        client = staff_client(privacy_officer)  # a staff session lasts 12 hours
        listing = client.get(reverse("admin:policy_breach_changelist")).content.decode()
    assert "เกินกำหนด 8 ชม." in listing


def test_notify_action_emails_each_affected_customer_once_in_their_language(
    staff_client, privacy_officer, alice, bob, django_capture_on_commit_callbacks
):
    alice.language, bob.language = "en", "th"
    alice.save()
    bob.save()
    breach = services.record_breach(
        detected_at=timezone.now(),
        description="Backup bucket was public",
        people_affected=2,
        risk="high",
        categories=["billing-profile"],
        affected_customers=[alice, bob],
    )
    client = staff_client(privacy_officer)
    changelist = reverse("admin:policy_breach_changelist")
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                changelist,
                {"action": "notify_customers", "_selected_action": [breach.pk]},
            )
    assert BreachNotice.objects.filter(breach=breach).count() == 2
    assert len(mail.outbox) == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "security incident" in by_recipient["alice@example.com"].subject
    assert "security incident" not in by_recipient["bob@example.com"].subject
    assert "Billing profiles" in by_recipient["alice@example.com"].body


def test_customers_cannot_reach_the_breach_register(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:policy_breach_changelist"))
    assert response.status_code == 302


def test_record_of_processing_lists_every_category(staff_client, privacy_officer):
    client = staff_client(privacy_officer)
    response = client.get(reverse("admin:policy_processing_record"))
    assert response.status_code == 200
    page = response.content.decode()
    for category in registry:
        assert category.key in page
    assert "The Revenue Department" in page or "กรมสรรพากร" in page


def test_record_of_processing_pdf_embeds_sarabun(staff_client, privacy_officer):
    client = staff_client(privacy_officer)
    response = client.get(reverse("admin:policy_processing_record_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    fonts = _fonts(response.content)
    assert fonts
    assert all("Sarabun" in name and embedded for name, embedded in fonts)


def test_record_of_processing_needs_the_permission(staff_client, support_agent):
    client = staff_client(support_agent)
    response = client.get(reverse("admin:policy_processing_record"))
    assert response.status_code == 403


def test_pdf_helper_embeds_fonts():
    from onespace.pdf import html_to_pdf

    pdf = html_to_pdf("<p>ใบกำกับภาษี</p>")
    assert pdf.startswith(b"%PDF")
    fonts = _fonts(pdf)
    assert fonts
    assert all("Sarabun" in name and embedded for name, embedded in fonts)


def test_officer_finds_an_erasure_by_email_and_sees_exports_read_only(
    staff_client, privacy_officer, alice, django_capture_on_commit_callbacks
):
    from policy.models import DataExport, ErasureRecord

    with django_capture_on_commit_callbacks(execute=True):
        services.request_export(alice)
    record = services.request_closure(alice)
    client = staff_client(privacy_officer)
    changelist = reverse("admin:policy_erasurerecord_changelist")
    response = client.get(changelist, {"q": "ALICE@example.com"})
    assert list(response.context["cl"].result_list) == [record]
    assert (
        client.get(changelist, {"q": "bob@example.com"}).context["cl"].result_count == 0
    )
    export = DataExport.objects.get()
    detail = client.get(reverse("admin:policy_dataexport_change", args=[export.pk]))
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]
    assert client.get(reverse("admin:policy_dataexport_add")).status_code == 403
    assert ErasureRecord.objects.count() == 1


def test_record_of_processing_shows_sources_and_security_measures(
    staff_client, privacy_officer
):
    from policy.processing import SECURITY_MEASURES

    client = staff_client(privacy_officer)
    with translation.override("en"):
        response = client.get(
            reverse("admin:policy_processing_record"), HTTP_ACCEPT_LANGUAGE="en"
        )
        page = response.content.decode()
        for category in registry:
            source = category.get_source_display().replace("'", "&#x27;")
            assert source in page, category.key
        assert "From the cloud control plane, about your nodes" in page
        assert "Recorded by our systems while you use the service" in page
        assert "Security measures" in page
        for measure in SECURITY_MEASURES:
            assert str(measure).replace("'", "&#x27;") in page


def test_record_of_processing_pdf_has_the_security_measures(
    staff_client, privacy_officer
):
    client = staff_client(privacy_officer)
    response = client.get(
        reverse("admin:policy_processing_record_pdf"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Security measures" in text
