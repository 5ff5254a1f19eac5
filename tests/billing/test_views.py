"""Customer pages: billing profiles with Thai address and tax-ID checks, and own documents only."""

import pytest
from django.contrib.auth.models import Permission
from django.db import models
from django.urls import reverse
from django.utils import translation

from auditlog import buffer
from auditlog.models import SecurityEvent
from billing.models import BillingProfile, Document

VALID = {
    "legal_name": "บริษัท อลิซ คลาวด์ จำกัด",
    "tax_id": "0107536000315",
    "branch": "00000",
    "address_line": "1 ถนนสีลม",
    "subdistrict": "สีลม",
    "district": "บางรัก",
    "province": "กรุงเทพมหานคร",
    "postcode": "10500",
    "email": "billing@alice.example",
    "phone": "021234567",
}


@pytest.mark.parametrize(
    "tax_id", ["0107536000315", "3100600445635", "0-1075-36000-31-5"]
)
def test_valid_tax_ids_are_accepted(client, alice, tax_id):
    client.force_login(alice)
    response = client.post(
        reverse("billing:profile-create"), {**VALID, "tax_id": tax_id}
    )
    assert response.status_code == 302
    profile = BillingProfile.objects.get(customer=alice)
    assert profile.tax_id == tax_id.replace("-", "")
    assert profile.is_default  # the first profile becomes the default


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tax_id", "0107536000316"),  # wrong check digit
        ("tax_id", "9123456789012"),  # wrong check digit
        ("tax_id", "01075360003"),  # too short
        ("branch", "0001"),
        ("branch", "00001a"),
        ("postcode", "1050"),
        ("postcode", "105000"),
        ("province", "Atlantis"),
        ("email", "not-an-email"),
        ("legal_name", ""),
    ],
)
def test_bad_profile_input_is_a_form_error_and_saves_nothing(
    client, alice, field, value
):
    client.force_login(alice)
    response = client.post(reverse("billing:profile-create"), {**VALID, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not BillingProfile.objects.exists()


def test_tax_id_error_message_names_the_check_digit(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("billing:profile-create"), {**VALID, "tax_id": "0107536000316"}
    )
    assert "check digit" in str(
        response.context["form"].errors["tax_id"]
    ) or "หลักตรวจสอบ" in str(response.context["form"].errors["tax_id"])


def test_province_select_lists_all_77_provinces(client, alice):
    client.force_login(alice)
    response = client.get(reverse("billing:profile-create"))
    field = response.context["form"].fields["province"]
    assert len([value for value, _label in field.choices if value]) == 77
    assert "เชียงใหม่ (Chiang Mai)" in response.content.decode()


def test_customer_edits_own_profile_and_issued_documents_keep_their_snapshot(
    client, alice, billing_note, alice_profile
):
    client.force_login(alice)
    response = client.post(
        reverse("billing:profile-edit", args=[alice_profile.pk]),
        {**VALID, "legal_name": "ชื่อใหม่", "is_default": "on"},
    )
    assert response.status_code == 302
    alice_profile.refresh_from_db()
    billing_note.refresh_from_db()
    assert alice_profile.legal_name == "ชื่อใหม่"
    assert billing_note.buyer_name == "บริษัท อลิซ คลาวด์ จำกัด"


def test_another_customers_profile_is_404(client, alice, bob_profile):
    client.force_login(alice)
    assert (
        client.get(reverse("billing:profile-edit", args=[bob_profile.pk])).status_code
        == 404
    )
    assert (
        client.post(
            reverse("billing:profile-default", args=[bob_profile.pk])
        ).status_code
        == 404
    )
    response = client.post(
        reverse("billing:profile-edit", args=[bob_profile.pk]),
        {**VALID, "legal_name": "stolen"},
    )
    assert response.status_code == 404
    bob_profile.refresh_from_db()
    assert bob_profile.legal_name == "บ็อบ โจนส์"


def test_customer_sees_and_downloads_own_documents(client, alice, tax_invoice):
    client.force_login(alice)
    listing = client.get(reverse("billing:document-list"))
    assert tax_invoice.number in listing.content.decode()
    assert (
        client.get(
            reverse("billing:document-detail", args=[tax_invoice.pk])
        ).status_code
        == 200
    )
    response = client.get(reverse("billing:document-pdf", args=[tax_invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert f"{tax_invoice.number}.pdf" in response["Content-Disposition"]


def test_another_customers_documents_are_404(client, bob, tax_invoice):
    client.force_login(bob)
    assert (
        tax_invoice.number
        not in client.get(reverse("billing:document-list")).content.decode()
    )
    assert (
        client.get(
            reverse("billing:document-detail", args=[tax_invoice.pk])
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("billing:document-pdf", args=[tax_invoice.pk])).status_code
        == 404
    )


def test_drafts_are_invisible_to_customers(client, alice, alice_profile):
    draft = Document.objects.create(profile=alice_profile, customer=alice)
    client.force_login(alice)
    assert (
        client.get(reverse("billing:document-detail", args=[draft.pk])).status_code
        == 404
    )


def test_finance_with_a_password_only_is_sent_to_the_second_factor(
    client, finance, tax_invoice
):
    client.force_login(finance)
    for name in ("billing:document-detail", "billing:document-pdf"):
        response = client.get(reverse(name, args=[tax_invoice.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:second-factor"))


def test_finance_downloads_any_document_and_the_customer_sees_it(
    staff_client, finance, alice, tax_invoice
):
    buffer.clear()
    response = staff_client(finance).get(
        reverse("billing:document-pdf", args=[tax_invoice.pk])
    )
    assert response.status_code == 200
    buffer.flush()
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.PERSONAL_DATA_VIEWED)
    assert (event.user_id, event.subject_id) == (finance.pk, alice.pk)
    assert event.object_label == f"billing.document:{tax_invoice.pk}:pdf"


def test_other_staff_see_nothing_unless_given_the_permission(
    staff_client, support_agent, tax_invoice
):
    client = staff_client(support_agent)
    assert (
        client.get(reverse("billing:document-pdf", args=[tax_invoice.pk])).status_code
        == 404
    )
    support_agent.user_permissions.add(Permission.objects.get(codename="view_document"))
    support_agent = type(support_agent).objects.get(pk=support_agent.pk)
    client = staff_client(support_agent)
    assert (
        client.get(reverse("billing:document-pdf", args=[tax_invoice.pk])).status_code
        == 200
    )


def test_pages_need_sign_in(client, tax_invoice):
    for url in (
        reverse("billing:overview"),
        reverse("billing:document-pdf", args=[tax_invoice.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_document_list_query_count_does_not_grow_with_documents(
    client, alice, tax_invoice, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        client.get(reverse("billing:document-list"))


def test_overview_lists_profiles_and_recent_documents(
    client, alice, tax_invoice, alice_profile
):
    client.force_login(alice)
    response = client.get(reverse("billing:overview"))
    page = response.content.decode()
    assert alice_profile.legal_name in page
    assert tax_invoice.number in page
    assert "ดาวน์โหลด PDF" in page


def test_pages_speak_english_when_chosen(client, alice, tax_invoice, settings):
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("billing:document-list")).content.decode()
    assert "Tax invoices and bills" in page
    assert "Download PDF" in page


def test_staff_have_no_customer_billing_pages(staff_client, finance):
    client = staff_client(finance)
    assert client.get(reverse("billing:profile-list")).status_code == 404


def test_document_pages_date_in_the_buddhist_era_in_thai_only(
    client, alice, billing_note
):
    client.force_login(alice)
    day = billing_note.issued_on
    thai = client.get(reverse("billing:document-list")).content.decode()
    assert f"{day.day} " in thai
    assert f" {day.year + 543}</td>" in thai
    client.cookies["onespace_language"] = "en"
    english = client.get(reverse("billing:document-list")).content.decode()
    assert f" {day.year}</td>" in english


@pytest.mark.parametrize("language", ["th", "en"])
def test_document_kind_label_is_djangos_choice_label_in_the_active_language(language):
    with translation.override(language):
        for kind in [*Document.Kind.values, "unknown"]:
            document = Document(kind=kind)
            djangos = models.Model._get_FIELD_display(
                document, Document._meta.get_field("kind")
            )
            assert document.get_kind_display() == djangos


def test_document_list_loads_only_the_tables_columns(client, alice, tax_invoice):
    client.force_login(alice)
    response = client.get(reverse("billing:document-list"))
    documents = list(response.context["documents"])
    assert tax_invoice in documents
    for document in documents:
        assert document.get_deferred_fields() >= {"buyer_name", "subtotal"}
    assert tax_invoice.get_kind_display() in response.content.decode()
