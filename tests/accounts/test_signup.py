import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.accounts.conftest import signup_data

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"


def test_signup_creates_unverified_account_with_e164_phone(client):
    response = client.post(SIGNUP, signup_data(email="Somchai@Example.COM"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:signup-done")
    user = User.objects.get()
    assert user.email == "somchai@example.com"
    assert user.full_name == "Somchai Jaidee"
    assert user.phone == "+66812345678"
    assert user.language == "th"
    assert user.email_verified_at is None
    assert user.check_password("kettle mango sunrise 42")
    assert user.password_history.count() == 1


def test_signup_sends_verification_link_in_interface_language(
    client, django_capture_on_commit_callbacks
):
    client.cookies["onespace_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGNUP, signup_data())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["somchai@example.com"]
    assert "Confirm your email address" in message.subject
    assert re.search(r"/accounts/verify/[^/\s]+/", message.body)
    assert User.objects.get().language == "en"


def test_signup_email_in_thai_by_default(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGNUP, signup_data())
    assert "ยืนยันอีเมล" in mail.outbox[0].subject


def test_signup_page_has_exactly_the_policy_fields(client):
    response = client.get(SIGNUP)
    names = set(re.findall(r'<input[^>]* name="([^"]+)"', response.content.decode()))
    names -= {"csrfmiddlewaretoken", "next", "accept_notice", "marketing_consent"}
    assert names == {"full_name", "email", "phone", "password1", "password2"}


def test_signup_form_class_comes_from_settings(client, settings):
    settings.SIGNUP_FORM_CLASS = "tests.accounts.signup_forms.ExplodingSignupForm"
    with pytest.raises(RuntimeError):
        client.post(SIGNUP, signup_data())
    # on_signup runs inside the sign-up transaction: nothing is left behind.
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "ALICE@example.com"}, "email", "มีบัญชีที่ใช้อีเมลนี้อยู่แล้ว"),
        ({"phone": "02 123 4567"}, "phone", "ไม่ใช่หมายเลขโทรศัพท์มือถือ"),
        (
            {"phone": "+1 415 555 2671"},
            "phone",
            "ใช้ได้เฉพาะหมายเลขโทรศัพท์มือถือในประเทศไทย",
        ),
        ({"phone": "08123"}, "phone", "กรอกหมายเลขโทรศัพท์มือถือไทย"),
        ({"phone": "hello"}, "phone", "กรอกหมายเลขโทรศัพท์มือถือไทย"),
        ({"password1": "short", "password2": "short"}, "password1", "รหัสผ่าน"),
        (
            {"password1": "password123", "password2": "password123"},
            "password1",
            "รหัสผ่าน",
        ),
        ({"password2": "something else 99"}, "password2", "รหัสผ่านทั้งสองช่องไม่ตรงกัน"),
        ({"full_name": ""}, "full_name", "This field is required"),
        ({"email": ""}, "email", "This field is required"),
        ({"phone": ""}, "phone", "This field is required"),
    ],
)
def test_bad_signup_input_shows_thai_field_error_and_creates_nothing(
    client, alice, overrides, field, message, django_capture_on_commit_callbacks
):
    before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(SIGNUP, signup_data(**overrides))
    assert callbacks == []
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    if message != "This field is required":
        assert message in " ".join(errors[field])
    else:
        assert "ต้องกรอก" in " ".join(errors[field]) or "จำเป็น" in " ".join(
            errors[field]
        )
    html = response.content.decode()
    # The error is tied to its input for screen readers.
    assert f'id="id_{field}_error"' in html
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', html)
    assert User.objects.count() == before
    assert mail.outbox == []


def test_bad_signup_input_in_english_interface(client, english):
    response = client.post(SIGNUP, signup_data(phone="02 123 4567"))
    assert "This is not a mobile number" in " ".join(
        response.context["form"].errors["phone"]
    )
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0812345678", "+66812345678"),
        ("+66 91 234 5678", "+66912345678"),
        ("061-234-5678", "+66612345678"),
        ("0601234567", "+66601234567"),  # classed VOIP by phonenumbers, sold as mobile
        ("0681234567", "+66681234567"),
    ],
)
def test_thai_mobile_numbers_are_accepted(client, typed, stored):
    client.post(SIGNUP, signup_data(phone=typed))
    assert User.objects.get().phone == stored


def test_signed_in_user_is_sent_home_from_signup(signed_in):
    assert signed_in.get(SIGNUP).url == reverse("accounts:home")
