"""Legal holds: purge and erasure keep held rows, say so, and a release is recorded."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessFailureLog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from billing.models import BillingProfile
from policy import services
from policy.models import ErasureRecord, LegalHold, LegalHoldEvent
from support.models import Message, Ticket
from tests import owner

pytestmark = pytest.mark.django_db

ORDER = "ศาลอาญา คำสั่งที่ 123/2569"


def _hold(by, **scope):
    return services.place_hold(
        by,
        reason="Preservation order for an investigation",
        order_reference=ORDER,
        ends_on=timezone.localdate() + timedelta(days=365),
        **scope,
    )


def _close_and_erase(customer):
    record = services.request_closure(customer)
    owner.let_cool_off_pass()
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        services.erase_account(record)
    record.refresh_from_db()
    return record


def test_held_customers_closure_keeps_held_rows_and_erases_the_rest(
    alice_data, bob_data, privacy_officer, auditor
):
    alice = alice_data
    _hold(privacy_officer, customer=alice, category="billing-profile")
    _hold(auditor, node_id="node-a11ce", category="support.ticket")

    record = _close_and_erase(alice)

    # Held: her billing profile and the ticket about the node, untouched.
    profile = BillingProfile.objects.get(customer=alice)
    assert profile.legal_name == "บริษัท อลิซ คลาวด์ จำกัด"
    assert profile.tax_id == "0107536000315"
    ticket = Ticket.objects.get(customer=alice)
    assert ticket.subject == "Node node-a11ce is down"
    # The rest is erased as usual: messages anonymised, lockout rows and account gone.
    assert not Message.objects.filter(
        body__contains="node-a11ce", ticket=ticket
    ).exists()
    assert not AccessFailureLog.objects.filter(username="alice@example.com").exists()
    alice.refresh_from_db()
    assert alice.email == f"erased-{alice.pk}@erased.invalid"
    assert alice.full_name == ""
    assert not alice.is_active
    # The erasure record says what the holds kept.
    assert record.counts["billing-profile"]["held"] == 1
    assert record.counts["billing-profile"]["rows"] == 0
    assert record.counts["support.ticket"]["held"] == 1
    assert "held" not in record.counts["support.message"]
    # Bob is not touched by Alice's holds.
    assert BillingProfile.objects.get(customer=bob_data).legal_name


def test_without_a_hold_the_same_closure_erases_the_profile(alice_data):
    record = _close_and_erase(alice_data)
    assert not BillingProfile.objects.filter(customer=alice_data).exists()
    assert "held" not in record.counts["billing-profile"]


def test_a_hold_on_the_whole_customer_keeps_the_account_fields(alice, privacy_officer):
    _hold(privacy_officer, customer=alice)
    record = _close_and_erase(alice)
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert not alice.is_active
    assert record.counts["account"]["held"] == 1
    assert ErasureRecord.objects.get().erased_at is not None


def _failure(email, at):
    row = AccessFailureLog.objects.create(
        username=email,
        ip_address="203.0.113.5",
        user_agent="Browser",
        http_accept="*/*",
        path_info="/accounts/login/",
        locked_out=False,
    )
    AccessFailureLog.objects.filter(pk=row.pk).update(attempt_time=at)


def test_purge_skips_held_rows_says_so_and_purges_them_after_release(
    alice, privacy_officer
):
    now = timezone.now()
    long_ago = now - timedelta(days=settings.AUDITLOG_RETENTION_DAYS + 10)
    _failure("alice@example.com", long_ago)
    _failure("mallory@example.com", long_ago)
    hold = _hold(
        privacy_officer,
        customer=alice,
        category="accounts-lockout-failure",
        data_from=long_ago - timedelta(days=1),
        data_until=long_ago + timedelta(days=1),
    )

    counts = services.purge_expired(now)
    assert counts["accounts-lockout-failure"] == 1
    assert counts["held:accounts-lockout-failure"] == 1
    assert list(AccessFailureLog.objects.values_list("username", flat=True)) == [
        "alice@example.com"
    ]

    services.release_hold(hold, by=privacy_officer, reason="Investigation closed")
    counts = services.purge_expired(now)
    assert counts["accounts-lockout-failure"] == 1
    assert "held:accounts-lockout-failure" not in counts
    assert not AccessFailureLog.objects.exists()
    history = list(LegalHoldEvent.objects.filter(hold=hold).values_list("action", "by"))
    assert history == [("placed", privacy_officer.pk), ("released", privacy_officer.pk)]
    hold.refresh_from_db()
    assert hold.released_by == privacy_officer
    assert hold.release_reason == "Investigation closed"


def test_a_log_purge_waits_while_a_hold_covers_expired_rows(alice, privacy_officer):
    """The hash-chained logs purge only a prefix: a held old row stops the purge."""
    from auditlog import chain
    from auditlog.models import SecurityEvent

    old = timezone.now() - timedelta(days=settings.AUDITLOG_RETENTION_DAYS + 10)
    chain.append(
        SecurityEvent,
        [
            {
                "occurred_at": old,
                "action": SecurityEvent.Action.SIGN_IN,
                "user_id": alice.pk,
                "attempted_email": "",
                "ip": "203.0.113.5",
                "user_agent": "Browser",
                "subject_id": None,
                "object_label": "",
            }
        ],
    )
    owner.age_logs(timedelta(days=settings.AUDITLOG_RETENTION_DAYS + 10))
    _hold(privacy_officer, customer=alice, category="auditlog-security-event")
    counts = services.purge_expired()
    assert counts["held:auditlog-security-event"] == 1
    assert SecurityEvent.objects.filter(user=alice).count() == 1


def test_only_the_privacy_officer_or_security_auditor_place_holds(support_agent, alice):
    with pytest.raises(PermissionDenied):
        _hold(support_agent, customer=alice)
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on_days": 2 * 365 + 2}, "ends_on"),
        ({"ends_on_days": -1}, "ends_on"),
        ({"category": "no-such-category"}, "category"),
        ({"no_scope": True}, "customer"),
        ({"order_reference": " "}, "order_reference"),
    ],
)
def test_bad_holds_are_refused_with_field_errors_in_thai(
    privacy_officer, alice, fields, field
):
    values = {
        "customer": None if fields.get("no_scope") else alice,
        "category": fields.get("category", ""),
        "reason": "Preservation order",
        "order_reference": fields.get("order_reference", ORDER),
        "ends_on": timezone.localdate()
        + timedelta(days=fields.get("ends_on_days", 30)),
    }
    with translation.override("th"), pytest.raises(ValidationError) as refused:
        services.place_hold(privacy_officer, **values)
    assert field in refused.value.message_dict
    message = refused.value.message_dict[field][0]
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in message), message
    assert not LegalHold.objects.exists()


@pytest.mark.postgres
def test_policy_held_sql_predicate_answers_like_python(
    postgres, alice, bob, privacy_officer
):
    assert connection.vendor == "postgresql"
    now = timezone.now()
    _hold(
        privacy_officer,
        customer=alice,
        category="auditlog-access-log",
        data_from=now - timedelta(days=10),
        data_until=now,
    )

    def held(category, customer, node, at):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT policy_held(%s, %s, %s, %s)", [category, customer, node, at]
            )
            return cursor.fetchone()[0]

    assert held("auditlog-access-log", alice.pk, None, now - timedelta(days=1))
    assert not held("auditlog-access-log", bob.pk, None, now - timedelta(days=1))
    assert not held("auditlog-access-log", alice.pk, None, now - timedelta(days=30))
    assert not held("billing-profile", alice.pk, None, now)
    # A partition drop asks without a customer: any hold on the category counts.
    assert held("auditlog-access-log", None, None, None)


def test_admin_places_and_releases_a_hold_with_history(
    staff_client, privacy_officer, alice
):
    client = staff_client(privacy_officer)
    response = client.post(
        "/admin/policy/legalhold/add/",
        {
            "customer": alice.pk,
            "node_id": "node-a11ce",
            "category": "",
            "order_reference": ORDER,
            "reason": "Preservation order",
            "ends_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hold = LegalHold.objects.get()
    assert (hold.customer, hold.placed_by) == (alice, privacy_officer)
    response = client.post(
        f"/admin/policy/legalhold/{hold.pk}/change/",
        {"release_reason": "Order lifted"},
    )
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None
    assert list(hold.events.values_list("action", flat=True)) == ["placed", "released"]
    # Never deleted.
    assert client.post(f"/admin/policy/legalhold/{hold.pk}/delete/").status_code == 403


def test_admin_refuses_a_hold_longer_than_two_years_with_a_field_error(
    staff_client, auditor, alice
):
    response = staff_client(auditor).post(
        "/admin/policy/legalhold/add/",
        {
            "customer": alice.pk,
            "order_reference": ORDER,
            "reason": "Preservation order",
            "ends_on": (timezone.localdate() + timedelta(days=3 * 365)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "ends_on" in response.context["adminform"].form.errors
    assert not LegalHold.objects.exists()


def test_support_staff_cannot_reach_legal_holds(staff_client, support_agent):
    response = staff_client(support_agent).get("/admin/policy/legalhold/")
    assert response.status_code == 403
