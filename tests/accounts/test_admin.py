import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ServiceToken
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_admin_refuses_staff_session_without_second_factor(client, support_agent):
    client.force_login(support_agent)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:second-factor"))
    assert response.status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 302


def test_admin_refuses_customers(client, alice):
    client.force_login(alice)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "ท่านไม่สามารถเปิดหน้านี้ได้" in response.content.decode()
    assert client.get(reverse("accounts:second-factor")).status_code == 403


def test_anonymous_admin_visit_gets_the_portal_sign_in_form(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert response.status_code == 200
    assert response.templates[0].name == "accounts/login.html"
    assert 'name="next" value="/admin/"' in response.content.decode()


def test_staff_sign_in_at_admin_login_leads_to_second_factor(client, support_agent):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": support_agent.email, "password": TEST_PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302
    follow = client.get(response.url, follow=True)
    assert follow.redirect_chain[-1][0].startswith(reverse("accounts:second-factor"))


def test_first_staff_sign_in_enrols_authenticator(client, support_agent):
    client.post(
        "/accounts/login/",
        {"username": support_agent.email, "password": TEST_PASSWORD, "next": "/admin/"},
    )
    page = client.get(reverse("accounts:second-factor") + "?next=/admin/")
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user=support_agent)
    assert not device.confirmed
    wrong = client.post(
        reverse("accounts:second-factor"), {"token": "000000", "next": "/admin/"}
    )
    assert "token" in wrong.context["form"].errors
    # django-otp throttles a device for a moment after a wrong code.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        response = client.post(
            reverse("accounts:second-factor"),
            {"token": _code(device), "next": "/admin/"},
        )
    # Enrolment ends on the recovery codes, shown this once, then continues to next.
    assert response.status_code == 200
    assert response.templates[0].name == "accounts/recovery_codes.html"
    assert 'href="/admin/"' in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_second_sign_in_asks_for_code_only(client, support_agent):
    device = TOTPDevice.objects.create(user=support_agent, name="app", confirmed=True)
    client.force_login(support_agent)
    page = client.get(reverse("accounts:second-factor"))
    assert "data:image/svg+xml" not in page.content.decode()
    client.post(reverse("accounts:second-factor"), {"token": _code(device)})
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.filter(user=support_agent).count() == 1


def test_staff_with_second_factor_reach_admin(staff_client, support_agent):
    assert staff_client(support_agent).get("/admin/").status_code == 200


def test_user_admin_shows_personal_data_fieldset(staff_client, alice, db):
    from tests.factories import StaffFactory

    boss = StaffFactory(email="boss@onespace.test", is_superuser=True)
    response = staff_client(boss).get(
        reverse("admin:accounts_user_change", args=[alice.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "ข้อมูลส่วนบุคคล" in html or "Personal data" in html
    assert alice.phone in html


def test_service_token_shown_once_and_revocable(staff_client, db):
    from tests.factories import StaffFactory

    boss = StaffFactory(email="boss@onespace.test", is_superuser=True)
    client: Client = staff_client(boss)
    response = client.post(
        reverse("admin:accounts_servicetoken_add"),
        {"name": "control plane", "scopes": ["node-events", "access-check"]},
    )
    assert response.status_code == 200
    raw = re.search(r'<code id="raw-token">([^<]+)</code>', response.content.decode())[
        1
    ]
    token = ServiceToken.objects.get()
    assert token.token_hash == ServiceToken.hash(raw)
    assert token.scopes == ["node-events", "access-check"]
    assert token.created_by == boss
    assert (
        raw
        not in client.get(
            reverse("admin:accounts_servicetoken_change", args=[token.pk])
        ).content.decode()
    )
    client.post(
        reverse("admin:accounts_servicetoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_admin_creates_staff_user_and_lists_users(staff_client, alice):
    from accounts.models import User
    from tests.factories import StaffFactory

    boss = StaffFactory(email="boss@onespace.test", is_superuser=True)
    client = staff_client(boss)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Staff@OneSpace.test",
            "full_name": "New Staff",
            "usable_password": "true",
            "password1": "staff passphrase 2026",
            "password2": "staff passphrase 2026",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(email="new.staff@onespace.test")
    assert created.check_password("staff passphrase 2026")
    listing = client.get(reverse("admin:accounts_user_changelist"), {"q": "alice"})
    assert alice.email in listing.content.decode()


def test_admin_pages_load_the_project_stylesheet(staff_client, support_agent):
    html = staff_client(support_agent).get("/admin/").content.decode()
    assert "css/admin.css" in html
    assert "admin/css/base.css" in html  # Django's own styles still come first


def test_admin_never_deletes_a_customer_account(staff_client, alice, db):
    # Customers leave through closure and erasure; a delete would be refused by the
    # database (acceptances) and shown as a 500.
    from policy.services import accept_notice
    from tests.factories import StaffFactory, version_one

    accept_notice(alice, version=version_one(), source="signup")
    boss = StaffFactory(email="boss@onespace.test", is_superuser=True)
    client = staff_client(boss)
    url = reverse("admin:accounts_user_delete", args=[alice.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:accounts_user_changelist"))
    assert b"delete_selected" not in changelist.content
    alice.refresh_from_db()
    assert alice.pk is not None
