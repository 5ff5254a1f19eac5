"""Account closure and erasure (PDPA s.33): password, cool-off, registry erase, what is kept."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from auditlog.models import AccessLog, NodeEvent
from billing.models import Document
from policy import services
from policy.models import ErasureRecord, pseudonym_of
from policy.registry import Erasure, registry
from tests import owner
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


# The keyed hash of the email address stays on acceptance and consent records by design:
# it is the company's proof (policy clause 3, PDPA s.19) and names no one by itself.
KEPT_BY_DESIGN = {"pseudonym"}


def _fields(category):
    return [name for name in category.fields if name not in KEPT_BY_DESIGN]


def _can_sign_in(client, email):
    client.logout()
    client.post(
        reverse("accounts:login"), {"username": email, "password": TEST_PASSWORD}
    )
    return "_auth_user_id" in client.session


def _personal_values(category, user):
    """Every non-empty value of the category's personal fields held about ``user``."""
    values = set()
    fields = _fields(category)
    if not fields:
        return values
    for row in category.for_subject(user).values(*fields):
        for value in row.values():
            if value not in (None, "", {}, []):
                values.add(str(value))
    return values


def _close(client, user, password=TEST_PASSWORD):
    client.force_login(user)
    return client.post(reverse("policy:close-account"), {"password": password})


def _after_cool_off():
    # PostgreSQL counts the cool-off with its own clock, which time_machine cannot move.
    owner.let_cool_off_pass(timedelta(days=3, minutes=1))
    return time_machine.travel(timezone.now() + timedelta(days=3, minutes=1))


def test_close_account_page_lists_kept_records_from_the_registry(client, alice):
    client.force_login(alice)
    page = client.get(reverse("policy:close-account")).content.decode()
    kept = [c for c in registry if c.erasure == Erasure.RETAIN]
    assert kept
    for category in kept:
        assert str(category.name) in page
        assert escape(str(category.retention_reason)) in page
    # Tax documents (billing) and traffic data (auditlog) are among them.
    assert {"billing-document", "auditlog-access-log"} <= {c.key for c in kept}
    deleted = registry["billing-profile"]
    assert f"<strong>{deleted.name}</strong>" not in page


def test_wrong_password_is_a_field_error_and_changes_nothing(client, alice):
    response = _close(client, alice, password="not my password")
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not ErasureRecord.objects.exists()
    alice.refresh_from_db()
    assert alice.is_active
    assert len(mail.outbox) == 0


def test_closing_signs_out_and_schedules_erasure_after_the_cool_off(
    client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _close(client, alice)
    assert response.status_code == 200
    record = ErasureRecord.objects.get()
    assert record.customer == alice
    assert record.pseudonym == pseudonym_of("alice@example.com")
    assert record.erase_after == record.requested_at + timedelta(days=3)
    assert "_auth_user_id" not in client.session
    assert mail.outbox[0].to == ["alice@example.com"]
    # During the cool-off the customer can still sign in, and cancel.
    assert _can_sign_in(client, "alice@example.com")


def test_cancel_during_cool_off_keeps_the_account(client, alice):
    _close(client, alice)
    client.force_login(alice)
    response = client.post(reverse("policy:close-account-cancel"))
    assert response.status_code == 302
    record = ErasureRecord.objects.get()
    assert record.cancelled_at is not None
    with _after_cool_off():
        call_command("purge_expired", stdout=open("/dev/null", "w"))  # noqa: SIM115
    alice.refresh_from_db()
    assert alice.is_active
    assert alice.email == "alice@example.com"


def test_erasure_is_refused_during_the_cool_off(alice):
    record = services.request_closure(alice)
    with pytest.raises(ValidationError):
        services.erase_account(record)
    alice.refresh_from_db()
    assert alice.full_name == "Alice Smith"


def test_erasure_leaves_no_personal_value_but_keeps_retained_records(
    client, alice_data, bob_data
):
    before = {c.key: _personal_values(c, alice_data) for c in registry}
    bob_before = {c.key: _personal_values(c, bob_data) for c in registry}
    documents = Document.objects.issued().filter(customer=alice_data).count()
    access_logs = AccessLog.objects.filter(user=alice_data).count()
    node_events = NodeEvent.objects.filter(customer=alice_data).count()
    record = services.request_closure(alice_data)
    with _after_cool_off():
        call_command("purge_expired", stdout=open("/dev/null", "w"))  # noqa: SIM115
    record.refresh_from_db()
    assert record.erased_at is not None
    alice_data.refresh_from_db()
    for category in registry:
        if category.erasure == Erasure.RETAIN:
            continue
        # No personal value of hers remains in the table of any erased category.
        if not _fields(category):
            continue
        assert before[category.key], f"no data of hers in {category.key} to erase"
        table = category.model._default_manager.values_list(*_fields(category))
        remaining = {str(v) for row in table for v in row if v not in (None, "")}
        if category.key == "accounts-registration":
            remaining = {
                str(v)
                for v in (alice_data.email, alice_data.full_name, alice_data.phone)
            }
        # Values Bob shares (factory defaults such as a district) are his, not hers.
        leaked = (before[category.key] - bob_before[category.key]) & remaining
        assert not (_personal_values(category, alice_data) & before[category.key])
        assert not leaked, f"{category.key} still holds {leaked}"
    # Retained: tax documents (5 years) and traffic data (>= 90 days).
    assert Document.objects.issued().filter(customer=alice_data).count() == documents
    assert AccessLog.objects.filter(user=alice_data).count() == access_logs
    assert NodeEvent.objects.filter(customer=alice_data).count() == node_events
    # Bob is untouched.
    assert {c.key: _personal_values(c, bob_data) for c in registry} == bob_before
    # Sign-in is impossible afterwards.
    assert not alice_data.is_active
    assert not alice_data.has_usable_password()
    assert not _can_sign_in(client, "alice@example.com")
    # The record keeps counts and the pseudonym, never the data.
    assert record.counts["billing-profile"]["rows"] >= 1
    assert record.counts["billing-document"]["kept"] >= 1
    assert "alice" not in str(record.counts).lower()
    assert "Alice" not in str(record.__dict__)


def test_erasing_twice_is_refused_and_changes_nothing(alice_data):
    records_before = ErasureRecord.objects.count()  # the seed's cancelled request
    record = services.request_closure(alice_data)
    with _after_cool_off():
        services.erase_account(record)
        record.refresh_from_db()
        counts, erased_at = record.counts, record.erased_at
        with (
            translation.override("en"),
            pytest.raises(ValidationError, match="already erased"),
        ):
            services.erase_account(record)
    record.refresh_from_db()
    assert (record.counts, record.erased_at) == (counts, erased_at)
    alice_data.refresh_from_db()
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="already closed"),
    ):
        services.request_closure(alice_data)
    assert ErasureRecord.objects.count() == records_before + 1


def test_closing_twice_while_pending_is_refused(alice):
    services.request_closure(alice)
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="already scheduled"),
    ):
        services.request_closure(alice)
    assert ErasureRecord.objects.count() == 1


def test_erase_task_runs_the_erasure_when_due(alice):
    from policy.tasks import erase_account

    record = services.request_closure(alice)
    assert erase_account.call(record.pk) == 0  # cool-off not over
    with _after_cool_off():
        assert erase_account.call(record.pk) == 1
        assert erase_account.call(record.pk) == 0  # already done
    alice.refresh_from_db()
    assert not alice.is_active


def test_erasure_completes_within_thirty_days(settings):
    from django.core.checks import run_checks

    settings.ACCOUNT_CLOSURE_COOL_OFF = timedelta(days=31)
    ids = {message.id for message in run_checks()}
    assert "policy.E010" in ids


def test_retained_records_go_with_the_retention_purge(alice_data, settings):
    record = services.request_closure(alice_data)
    with _after_cool_off():
        services.erase_account(record)
    assert AccessLog.objects.filter(user=alice_data).exists()
    period = timedelta(days=settings.AUDITLOG_RETENTION_DAYS + 5)
    owner.age_logs(period)
    with time_machine.travel(timezone.now() + period):
        call_command("purge_expired", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not AccessLog.objects.filter(user=alice_data).exists()


def test_staff_accounts_are_not_closed_here(privacy_officer):
    with pytest.raises(ValidationError):
        services.request_closure(privacy_officer)
    assert not ErasureRecord.objects.exists()


def test_signing_in_during_the_cool_off_reminds_and_offers_to_keep(client, alice):
    services.request_closure(alice)
    assert _can_sign_in(client, "alice@example.com")
    page = client.get(reverse("policy:my-data")).content.decode()
    assert reverse("policy:close-account") in page
    assert reverse("policy:close-account-cancel") in page
    response = client.post(reverse("policy:close-account-cancel"), follow=True)
    assert response.status_code == 200
    assert services.pending_closure(alice) is None


def test_signing_in_during_cool_off_names_the_erasure_date_in_the_buddhist_era(
    client, alice
):
    from onespace import thaidates

    alice.language = "th"
    alice.save(update_fields=["language"])
    _close(client, alice)
    record = ErasureRecord.objects.get()
    client.logout()
    client.cookies["onespace_language"] = "th"
    response = client.post(
        reverse("accounts:login"),
        {"username": "alice@example.com", "password": TEST_PASSWORD},
        follow=True,
    )
    page = response.content.decode()
    assert thaidates.thai_date(timezone.localtime(record.erase_after)) in page
