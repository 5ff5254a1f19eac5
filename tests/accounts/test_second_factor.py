"""The staff second factor: a fresh session key once verified, recovery codes that work once."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
URL = reverse("accounts:second-factor")


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _sign_in(client, user) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


def _enrol(client, user) -> list[str]:
    """Sign in, enrol an authenticator; return the recovery codes shown."""
    _sign_in(client, user)
    client.get(URL)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(URL, {"token": _code(device), "next": "/admin/"})
    assert response.status_code == 200
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())


def test_verifying_the_second_factor_rotates_the_session_key(client, support_agent):
    device = TOTPDevice.objects.create(user=support_agent, name="app", confirmed=True)
    _sign_in(client, support_agent)
    before = client.session.session_key
    response = client.post(URL, {"token": _code(device), "next": "/admin/"})
    assert response.status_code == 302
    after = client.session.session_key
    assert after != before
    # The old key is dead: a copy of it carries neither the sign-in nor the factor.
    client.cookies[settings.SESSION_COOKIE_NAME] = before
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_enrolment_shows_recovery_codes_once(client, support_agent):
    codes = _enrol(client, support_agent)
    assert len(codes) == settings.STAFF_RECOVERY_CODE_COUNT == 10
    assert len(set(codes)) == 10
    assert set(
        StaticToken.objects.filter(device__user=support_agent).values_list(
            "token", flat=True
        )
    ) == set(codes)
    # Never again: the second-factor page of a verified session just continues.
    page = client.get(URL + "?next=/admin/")
    assert page.status_code == 302
    assert not any(code in page.content.decode() for code in codes)


def test_enrolment_page_is_never_cached(client, support_agent):
    _sign_in(client, support_agent)
    assert "no-store" in client.get(URL)["Cache-Control"]


def test_a_recovery_code_works_once_at_the_verify_step(client, support_agent):
    codes = _enrol(client, support_agent)
    client.post(reverse("accounts:logout"))

    _sign_in(client, support_agent)
    # Typed as people do: upper case, a space in the middle.
    typed = f"{codes[0][:4]} {codes[0][4:]}".upper()
    response = client.post(URL, {"token": typed, "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    client.post(reverse("accounts:logout"))

    _sign_in(client, support_agent)
    # django-otp throttles a device briefly after each use; wait it out.
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        again = client.post(URL, {"token": codes[0], "next": "/admin/"})
        assert again.status_code == 200
        assert "token" in again.context["form"].errors
        assert client.get("/admin/").status_code == 302
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert client.post(URL, {"token": codes[1]}).status_code == 302
    assert StaticToken.objects.filter(device__user=support_agent).count() == 8


def test_the_page_explains_recovery_codes_in_thai_and_english(client, support_agent):
    TOTPDevice.objects.create(user=support_agent, name="app", confirmed=True)
    _sign_in(client, support_agent)
    assert "รหัสกู้คืน" in client.get(URL).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "recovery codes" in client.get(URL).content.decode()
