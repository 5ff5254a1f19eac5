"""Billing-profile input: Thai and full-width digits, phones, branches and Thai field errors."""

import re

import pytest
from django.urls import reverse

from billing.models import BillingProfile
from tests.billing.test_views import VALID

THAI = re.compile("[\u0e01-\u0e5b]")


def post(client, alice, **changes):
    client.force_login(alice)
    return client.post(reverse("billing:profile-create"), {**VALID, **changes})


def test_thai_and_full_width_digits_are_stored_as_ascii(client, alice):
    response = post(
        client,
        alice,
        tax_id="๐-๑๐๗๕-๓๖๐๐๐-๓๑-๕",
        branch="００００１",
        postcode="๑๐๕๐๐",
        phone="๐๒ １２３ ๔๕๖๗",
    )
    assert response.status_code == 302, response.context["form"].errors
    profile = BillingProfile.objects.get(customer=alice)
    assert (profile.tax_id, profile.branch, profile.postcode, profile.phone) == (
        "0107536000315",
        "00001",
        "10500",
        "+6621234567",
    )


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("02-123-4567", "+6621234567"),  # Bangkok landline
        ("053 123 456", "+6653123456"),  # Chiang Mai landline
        ("081 234 5678", "+66812345678"),  # mobile
        ("+66 61 234 5678", "+66612345678"),  # 06x mobile (VOIP to phonenumbers)
    ],
)
def test_landlines_and_mobiles_are_accepted_in_e164(client, alice, phone, stored):
    response = post(client, alice, phone=phone)
    assert response.status_code == 302, response.context["form"].errors
    assert BillingProfile.objects.get(customer=alice).phone == stored


@pytest.mark.parametrize(
    "phone", ["12345", "+1 415 555 2671", "1800 123 456", "02-123-456-789", "โทรหาได้"]
)
def test_other_phone_numbers_are_refused_in_thai(client, alice, phone):
    response = post(client, alice, phone=phone)
    assert response.status_code == 200
    [message] = response.context["form"].errors["phone"]
    assert THAI.search(message), message
    assert not BillingProfile.objects.exists()


def test_a_company_must_give_its_branch(client, alice):
    response = post(client, alice, tax_id="0107536000315", branch="")
    assert response.status_code == 200
    [message] = response.context["form"].errors["branch"]
    assert "00000" in message
    assert THAI.search(message)


def test_a_person_has_no_branch_and_no_head_office(client, alice):
    response = post(client, alice, tax_id="3100600445635", branch="")
    assert response.status_code == 302
    profile = BillingProfile.objects.get(customer=alice)
    assert profile.branch == ""
    assert profile.branch_label == ""
    page = client.get(reverse("billing:profile-list")).content.decode()
    assert "สำนักงานใหญ่" not in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_name", ""),
        ("legal_name", "x" * 201),
        ("legal_name", "บริษัท\x00 จำกัด"),
        ("tax_id", "0107536000316"),
        ("tax_id", "01075360003"),
        ("tax_id", "abcdefghijklm"),
        ("branch", "0001"),
        ("branch", "๐๐๐๑"),
        ("address_line", ""),
        ("subdistrict", "y" * 101),
        ("province", "Atlantis"),
        ("postcode", "1050"),
        ("postcode", "๑๐๕"),
        ("email", "not-an-email"),
        ("phone", ""),
        ("phone", "12"),
    ],
)
def test_every_field_error_is_a_thai_sentence(client, alice, field, value):
    response = post(client, alice, **{field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    for messages in errors.values():
        for message in messages:
            assert THAI.search(message), message
            assert "onstraint" not in message
    assert not BillingProfile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_hostile_text_is_a_form_error_on_postgresql_too(client, alice, postgres):
    """NUL bytes cannot be stored in PostgreSQL text: refused at the form, never a 500."""
    for field in ("legal_name", "address_line", "subdistrict", "district"):
        response = post(client, alice, **{field: "ก\x00ข"})
        assert response.status_code == 200
        assert field in response.context["form"].errors
    response = post(client, alice, legal_name="บริษัท 🚀 \u200b ค้ำประกัน จำกัด")
    assert response.status_code == 302
    assert BillingProfile.objects.get(customer=alice).legal_name == (
        "บริษัท 🚀 \u200b ค้ำประกัน จำกัด"
    )


def test_the_names_are_mapped_to_etdas_tisi_code(etda, client, alice):
    # Typed with the words แขวง and เขต, which ETDA's list leaves out.
    response = post(client, alice, subdistrict="แขวงสีลม", district="เขต บางรัก")
    assert response.status_code == 302, response.context["form"].errors
    assert BillingProfile.objects.get(customer=alice).subdistrict_code == "100402"
    page = client.get(reverse("billing:profile-list")).content.decode()
    assert "XML ของเอกสารที่ออกให้โปรไฟล์นี้" not in page


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("district", "บางลัก", "อำเภอ/เขตชื่อนี้"),
        ("subdistrict", "สีลมใต้", "ตำบล/แขวงชื่อนี้"),
    ],
)
def test_names_etda_does_not_list_are_refused_until_confirmed(
    etda, client, alice, field, value, hint
):
    response = post(client, alice, **{field: value})
    assert response.status_code == 200
    [message] = response.context["form"].errors[field]
    assert hint in message
    assert "ทำเครื่องหมายในช่องด้านล่าง" in message
    assert not BillingProfile.objects.exists()
    response = post(client, alice, **{field: value, "confirm_unlisted_address": "on"})
    assert response.status_code == 302, response.context["form"].errors
    assert BillingProfile.objects.get(customer=alice).subdistrict_code == ""
    # The list of profiles keeps saying so.
    page = client.get(reverse("billing:profile-list")).content.decode()
    assert "XML ของเอกสารที่ออกให้โปรไฟล์นี้" in page


def test_without_etdas_code_lists_the_names_are_not_checked(
    settings, client, alice, tmp_path
):
    settings.ETAX_SCHEMA_DIR = tmp_path  # no code lists there
    response = post(client, alice, subdistrict="สีลมใต้")
    assert response.status_code == 302, response.context["form"].errors
    assert BillingProfile.objects.get(customer=alice).subdistrict_code == ""


def test_admin_checks_the_address_against_etdas_lists_too(
    etda, alice, finance, staff_client
):
    from django.contrib.auth.models import Permission

    from billing.models import BillingProfile as Profile
    from tests.factories import BillingProfileFactory

    profile = BillingProfileFactory(customer=alice)
    assert profile.subdistrict_code == "101401"
    # Finance only reads profiles; a staff member who may change them:
    finance.user_permissions.add(
        Permission.objects.get(codename="change_billingprofile")
    )
    client = staff_client(finance)
    url = reverse("admin:billing_billingprofile_change", args=[profile.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "101401" in page.content.decode()  # the stored TISI code is shown
    data = {
        "customer": str(alice.pk),
        "is_default": "on",
        **VALID,
        "subdistrict": "สีลมใต้",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "ตำบล/แขวงชื่อนี้" in response.content.decode()
    assert Profile.objects.get(pk=profile.pk).subdistrict == "สามเสนใน"
    response = client.post(url, {**data, "confirm_unlisted_address": "on"})
    assert response.status_code == 302
    saved = Profile.objects.get(pk=profile.pk)
    assert (saved.subdistrict, saved.subdistrict_code) == ("สีลมใต้", "")
