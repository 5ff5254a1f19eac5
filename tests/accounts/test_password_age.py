from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import PasswordHistory, User
from accounts.services import send_password_reminders
from tests.accounts.conftest import NEW_PASSWORD
from tests.factories import TEST_PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db


def _change(client, new, old=TEST_PASSWORD, url="/accounts/password/"):
    return client.post(
        url, {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_password_change_restarts_the_clock_and_keeps_history(client, alice):
    later = timezone.now() + timedelta(days=30)
    with time_machine.travel(later, tick=False):
        client.force_login(alice)
        response = _change(client, NEW_PASSWORD)
        assert response.status_code == 302
        assert response.url == reverse("accounts:profile")
        # Still signed in after the change.
        assert client.get(reverse("accounts:home")).status_code == 200
    alice.refresh_from_db()
    assert alice.password_changed_at == later
    assert alice.check_password(NEW_PASSWORD)
    assert PasswordHistory.objects.filter(user=alice).count() == 1


@pytest.mark.parametrize("days", [0, 10, 60])
def test_no_banner_before_reminder_period(client, alice, days):
    with time_machine.travel(alice.password_changed_at + timedelta(days=days)):
        client.force_login(alice)
        html = client.get(reverse("accounts:home")).content.decode()
    assert 'class="banner"' not in html


def test_banner_from_fourteen_days_before_expiry(client, alice):
    with time_machine.travel(alice.password_changed_at + timedelta(days=76, hours=1)):
        client.force_login(alice)
        response = client.get(reverse("accounts:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "รหัสผ่านของท่านจะหมดอายุใน 13 วัน" in html
    assert reverse("accounts:password-change") in html


def test_expired_password_forces_change_before_anything_else(client, alice):
    with time_machine.travel(alice.password_changed_at + timedelta(days=90, seconds=1)):
        client.force_login(alice)
        signed_in = client
        for url in [reverse("accounts:home"), reverse("accounts:profile"), "/"]:
            response = signed_in.get(url)
            assert response.status_code == 302
            assert response.url == reverse("accounts:password-expired")
        page = signed_in.get(reverse("accounts:password-expired"))
        assert page.status_code == 200
        assert "รหัสผ่านของท่านหมดอายุแล้ว" in page.content.decode()
        response = _change(
            signed_in, NEW_PASSWORD, url=reverse("accounts:password-expired")
        )
        assert response.status_code == 302
        assert signed_in.get(reverse("accounts:home")).status_code == 200


def test_sign_in_with_expired_password_leads_to_change(client, alice):
    with time_machine.travel(alice.password_changed_at + timedelta(days=91)):
        response = client.post(
            "/accounts/login/",
            {"username": alice.email, "password": TEST_PASSWORD},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == reverse("accounts:password-expired")


def test_staff_password_expires_too(staff_client, support_agent):
    with time_machine.travel(support_agent.password_changed_at + timedelta(days=91)):
        response = staff_client(support_agent).get("/admin/")
    assert response.url == reverse("accounts:password-expired")


def test_last_five_passwords_cannot_be_reused(signed_in, alice):
    passwords = [f"rotating passphrase number {n}" for n in range(1, 6)]
    current = TEST_PASSWORD
    for password in passwords:
        assert _change(signed_in, password, old=current).status_code == 302
        current = password
    # The current password and the four before it are refused...
    for password in passwords:
        response = _change(signed_in, password, old=current)
        assert response.status_code == 200
        assert "ท่านเคยใช้รหัสผ่านนี้" in " ".join(
            response.context["form"].errors["new_password2"]
        )
    alice.refresh_from_db()
    assert alice.check_password(current)
    # ...the sixth-last (the factory's original) is old enough again.
    assert _change(signed_in, TEST_PASSWORD, old=current).status_code == 302


def test_history_keeps_only_five_hashes(alice):
    for n in range(8):
        alice.set_password(f"passphrase that changes {n}")
        alice.save()
    assert PasswordHistory.objects.filter(user=alice).count() == 5


def test_reused_password_refused_on_reset_too(
    client, alice, django_capture_on_commit_callbacks
):
    alice.set_password(NEW_PASSWORD)
    alice.save()
    client.post("/accounts/password/reset/", {"email": alice.email})
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line
    )
    path = link[link.index("/accounts/") :].strip()
    form_page = client.get(path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    before = alice.password
    alice.refresh_from_db()
    assert alice.password == before


def test_reminder_sent_once_in_window(alice, bob):
    alice.password_changed_at = timezone.now() - timedelta(days=77)
    alice.save(update_fields=["password_changed_at"])
    assert send_password_reminders() == 1
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "รหัสผ่าน" in mail.outbox[0].subject
    assert send_password_reminders() == 0
    call_command("send_password_reminders")
    assert len(mail.outbox) == 1
    alice.refresh_from_db()
    assert alice.password_reminder_sent_at is not None


def test_reminder_in_english_for_english_speakers():
    user = CustomerFactory(language="en")
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - timedelta(days=80)
    )
    send_password_reminders()
    assert mail.outbox[0].subject == "Your OneSpace password expires soon"


def test_new_password_rearms_the_reminder(alice):
    alice.password_changed_at = timezone.now() - timedelta(days=80)
    alice.save(update_fields=["password_changed_at"])
    send_password_reminders()
    alice.set_password(NEW_PASSWORD)
    alice.save()
    alice.refresh_from_db()
    assert alice.password_reminder_sent_at is None
    with time_machine.travel(timezone.now() + timedelta(days=77)):
        assert send_password_reminders() == 1
    assert len(mail.outbox) == 2


def test_reminder_dates_the_expiry_in_the_buddhist_era(alice):
    with time_machine.travel(datetime(2026, 11, 25, tzinfo=UTC), tick=False):
        alice.password_changed_at = timezone.now() - timedelta(days=77)
        alice.save(update_fields=["password_changed_at"])
        send_password_reminders()
    # 90 days after the change: 8 December 2026, 2569 in the Buddhist era.
    assert "8 ธ.ค. 2569" in mail.outbox[0].body
