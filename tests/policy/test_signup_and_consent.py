"""Acknowledgement at sign-up, and optional consents given and withdrawn with one click."""

import pytest
from django.urls import reverse

from accounts.models import User
from policy import services
from policy.forms import SignupForm
from policy.models import Acceptance, ConsentRecord, pseudonym_of
from tests.factories import CustomerFactory

SIGNUP = {
    "full_name": "สมหญิง รักดี",
    "email": "Somying@Example.com",
    "phone": "081 234 5678",
    "password1": "a-long-unusual-passphrase",
    "password2": "a-long-unusual-passphrase",
}


def test_signup_form_is_the_policy_form(settings):
    from accounts.services import signup_form_class

    assert settings.SIGNUP_FORM_CLASS == "policy.forms.SignupForm"
    assert signup_form_class() is SignupForm


def test_signup_page_shows_the_version_in_force_and_unticked_boxes(client, v1):
    html = client.get(reverse("accounts:signup")).content.decode()
    assert reverse("policy:version-detail", args=["1"]) in html
    assert 'name="accept_notice"' in html
    assert 'name="marketing_consent"' in html
    assert "checked" not in html


def test_no_account_without_accepting_the_notice(client, v1):
    response = client.post(reverse("accounts:signup"), SIGNUP)
    assert response.status_code == 200
    assert "accept_notice" in response.context["form"].errors
    assert not User.objects.exists()
    assert not Acceptance.objects.exists()


def test_signup_records_acceptance_with_address_and_browser(client, v1):
    response = client.post(
        reverse("accounts:signup"),
        {**SIGNUP, "accept_notice": "on"},
        REMOTE_ADDR="203.0.113.20",
        HTTP_USER_AGENT="Mozilla/5.0 (X11) Chromium",
    )
    assert response.status_code == 302
    user = User.objects.get(email="somying@example.com")
    record = Acceptance.objects.get(customer=user)
    assert record.version == v1
    assert record.fingerprint == v1.fingerprint
    assert record.source == Acceptance.Source.SIGNUP
    assert record.ip_address == "203.0.113.20"
    assert record.user_agent == "Mozilla/5.0 (X11) Chromium"
    assert record.pseudonym == pseudonym_of("somying@example.com")
    # Marketing was left unticked: no consent, nothing recorded.
    assert not services.has_consent(user, "marketing_email")
    assert not ConsentRecord.objects.exists()


def test_signup_with_marketing_consent_records_it_separately(client, v1):
    client.post(
        reverse("accounts:signup"),
        {**SIGNUP, "accept_notice": "on", "marketing_consent": "on"},
    )
    user = User.objects.get(email="somying@example.com")
    record = ConsentRecord.objects.get(customer=user)
    assert (record.purpose, record.is_given, record.source) == (
        "marketing_email",
        True,
        "signup",
    )


def test_consent_is_given_and_withdrawn_with_one_click_each_change_recorded(
    client, alice
):
    client.force_login(alice)
    client.cookies["onespace_language"] = "en"
    page = client.get(reverse("policy:my-privacy")).content.decode()
    assert "News and offers by email" in page
    assert "Not given" in page

    client.post(
        reverse("policy:consent"), {"purpose": "marketing_email", "is_given": "1"}
    )
    assert services.has_consent(alice, "marketing_email")
    assert list(services.consenting_customers("marketing_email")) == [alice]

    client.post(
        reverse("policy:consent"), {"purpose": "marketing_email", "is_given": "0"}
    )
    # Withdrawal stops the use at once.
    assert not services.has_consent(alice, "marketing_email")
    assert list(services.consenting_customers("marketing_email")) == []
    assert list(
        ConsentRecord.objects.filter(customer=alice)
        .order_by("recorded_at", "pk")
        .values_list("is_given", flat=True)
    ) == [True, False]


def test_repeating_the_same_choice_records_nothing_new(alice):
    services.set_consent(
        alice, purpose="marketing_email", is_given=True, source="signup"
    )
    assert (
        services.set_consent(
            alice, purpose="marketing_email", is_given=True, source="privacy_page"
        )
        is None
    )
    assert ConsentRecord.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"purpose": "sell_my_data", "is_given": "1"},
        {"purpose": "marketing_email", "is_given": "maybe"},
    ],
)
def test_bad_consent_input_changes_nothing(client, alice, data):
    client.force_login(alice)
    assert client.post(reverse("policy:consent"), data).status_code == 302
    assert not ConsentRecord.objects.exists()


def test_consents_of_one_customer_do_not_touch_another(client, alice, bob):
    client.force_login(alice)
    client.post(
        reverse("policy:consent"),
        {"purpose": "marketing_email", "is_given": "1", "customer": bob.pk},
    )
    assert not services.has_consent(bob, "marketing_email")
    assert services.has_consent(alice, "marketing_email")


def test_privacy_page_lists_own_acceptances_only(client, v1, alice, bob):
    services.accept_notice(bob, version=v1, source="signup")
    client.force_login(alice)
    client.cookies["onespace_language"] = "en"
    html = client.get(reverse("policy:my-privacy")).content.decode()
    assert "Version 1, accepted" not in html
    services.accept_notice(alice, version=v1, source="signup")
    assert (
        "Version 1, accepted"
        in client.get(reverse("policy:my-privacy")).content.decode()
    )


def test_inactive_customers_are_not_counted_as_consenting(alice):
    services.set_consent(
        alice, purpose="marketing_email", is_given=True, source="signup"
    )
    closed = CustomerFactory(email="closed@example.com", is_active=False)
    services.set_consent(
        closed, purpose="marketing_email", is_given=True, source="signup"
    )
    assert list(services.consenting_customers("marketing_email")) == [alice]
