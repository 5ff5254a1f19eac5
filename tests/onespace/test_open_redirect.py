"""No ``next`` parameter anywhere in the portal sends a visitor off-site."""

from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

# The payloads of issue 11: each one is a way to write "another host" that a naive
# check ("starts with /", "no http://") lets through.
PAYLOADS = [
    "https://evil.example/",
    "//evil.example/x",
    "https:evil.example",
    "///evil.example",
    "http://127.0.0.1:8000@evil.example/",
]


def _stays_on_site(response) -> None:
    assert response.status_code in (301, 302), response.status_code
    location = response["Location"]
    parts = urlsplit(location)
    assert not parts.scheme, location
    assert not parts.netloc, location
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    assert "evil.example" not in location.split("?")[0], location


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _portal_login(client, alice, staff, payload):
    return client.post(
        reverse("accounts:login"),
        {"username": alice.email, "password": TEST_PASSWORD, "next": payload},
    )


def _admin_login_as_customer(client, alice, staff, payload):
    """The reported hole: /admin/login/ handed the raw next to LoginView's next_page."""
    return client.post(
        "/admin/login/?" + urlencode({"next": payload}),
        {"username": alice.email, "password": TEST_PASSWORD},
    )


def _admin_login_as_staff(client, alice, staff, payload):
    response = client.post(
        "/admin/login/?" + urlencode({"next": payload}),
        {"username": staff.email, "password": TEST_PASSWORD, "next": payload},
    )
    _stays_on_site(response)
    # Signed in, but not verified: admin login hands over to the second factor.
    return client.get("/admin/login/", {"next": payload})


def _second_factor_post(client, alice, staff, payload):
    device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    client.force_login(staff)
    return client.post(
        reverse("accounts:second-factor"), {"token": _code(device), "next": payload}
    )


def _second_factor_get_when_verified(client, alice, staff, payload):
    _second_factor_post(client, alice, staff, "/admin/")
    return client.get(reverse("accounts:second-factor"), {"next": payload})


def _logout(client, alice, staff, payload):
    client.force_login(alice)
    return client.post(reverse("accounts:logout"), {"next": payload})


def _admin_logout(client, alice, staff, payload):
    _second_factor_post(client, alice, staff, "/admin/")
    return client.post("/admin/logout/", {"next": payload})


def _set_language(client, alice, staff, payload):
    return client.post(reverse("set_language"), {"language": "en", "next": payload})


def _notice_gate(client, alice, staff, payload):
    client.force_login(alice)
    return client.get(reverse("policy:gate"), {"next": payload})


def _notice_accept(client, alice, staff, payload):
    from tests.factories import version_one

    client.force_login(alice)
    return client.post(
        reverse("policy:accept"),
        {"version": version_one().label, "source": "gate", "next": payload},
    )


VIEWS = [
    _portal_login,
    _admin_login_as_customer,
    _admin_login_as_staff,
    _second_factor_post,
    _second_factor_get_when_verified,
    _logout,
    _admin_logout,
    _set_language,
    _notice_gate,
    _notice_accept,
]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.__name__.strip("_"))
def test_next_never_leads_off_site(client, alice, support_agent, view, payload):
    _stays_on_site(view(client, alice, support_agent, payload))


def test_a_next_on_this_site_is_still_followed(client, alice):
    response = client.post(
        "/admin/login/?next=/billing/",
        {"username": alice.email, "password": TEST_PASSWORD},
    )
    assert response["Location"] == "/billing/"
