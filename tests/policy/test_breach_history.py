"""Breaches and disclosures are versioned records; the 72-hour clock alerts; candidates open themselves."""

from datetime import timedelta

import pytest
import time_machine
from axes.signals import user_locked_out
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from auditlog.models import Disclosure
from policy import services
from policy.history import history_of, record_version
from policy.models import Breach, RecordVersion

pytestmark = pytest.mark.django_db


def _breach(**extra):
    return services.record_breach(
        detected_at=extra.pop("detected_at", timezone.now()),
        description="Backup bucket was public",
        people_affected=2,
        risk="high",
        **extra,
    )


def _breach_form(breach, **extra):
    aware = timezone.localtime(breach.became_aware_at)
    detected = timezone.localtime(breach.detected_at)
    data = {
        "detected_at_0": detected.strftime("%Y-%m-%d"),
        "detected_at_1": detected.strftime("%H:%M:%S"),
        "became_aware_at_0": aware.strftime("%Y-%m-%d"),
        "became_aware_at_1": aware.strftime("%H:%M:%S"),
        "description": breach.description,
        "measures": "",
        "risk": breach.risk,
        "people_affected": str(breach.people_affected),
        "change_reason": "",
    }
    data.update(extra)
    return data


def test_each_breach_change_is_a_new_version_with_who_when_and_why(
    staff_client, privacy_officer
):
    breach = _breach()
    assert [v.number for v in history_of(breach)] == [1]
    client = staff_client(privacy_officer)
    change = reverse("admin:policy_breach_change", args=[breach.pk])
    response = client.post(
        change,
        _breach_form(
            breach,
            measures="Bucket closed; keys rotated",
            change_reason="Measures added after the review",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    breach.refresh_from_db()
    assert breach.version == 2
    first, second = history_of(breach)
    assert first.data["measures"] == ""
    assert second.data["measures"] == "Bucket closed; keys rotated"
    assert second.changed_by == privacy_officer
    assert second.reason == "Measures added after the review"
    page = client.get(change).content.decode()
    assert "Measures added after the review" in page
    with pytest.raises(Exception, match="append-only"):
        second.delete()
    with pytest.raises(Exception, match="append-only"):
        RecordVersion.objects.filter(pk=second.pk).update(reason="rewritten")
    # Never deleted in admin either.
    delete = client.post(
        reverse("admin:policy_breach_delete", args=[breach.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert Breach.objects.filter(pk=breach.pk).exists()


def _disclosure(officer, alice, **extra):
    disclosure = Disclosure.objects.create(
        authority="Royal Thai Police",
        legal_basis="Computer-related Crime Act s.18",
        requested_on=timezone.localdate(),
        categories=["auditlog-access-log"],
        approved_by=officer,
        disclosed_at=timezone.now(),
        **extra,
    )
    disclosure.customers.set([alice])
    record_version(disclosure, by=officer)
    return disclosure


def _disclosure_form(disclosure, alice, **extra):
    at = timezone.localtime(disclosure.disclosed_at)
    data = {
        "authority": disclosure.authority,
        "legal_basis": disclosure.legal_basis,
        "requested_on": disclosure.requested_on.isoformat(),
        "categories": disclosure.categories,
        "approved_by": disclosure.approved_by_id,
        "disclosed_at_0": at.strftime("%Y-%m-%d"),
        "disclosed_at_1": at.strftime("%H:%M:%S"),
        "customers": str(alice.pk),
        "change_reason": "",
    }
    data.update(extra)
    return data


def test_disclosure_restriction_cannot_switch_without_a_reason(
    staff_client, privacy_officer, alice
):
    disclosure = _disclosure(privacy_officer, alice)
    client = staff_client(privacy_officer)
    change = reverse("admin:auditlog_disclosure_change", args=[disclosure.pk])
    restrict = {
        "is_restricted": "on",
        "restriction_reason": "Court order 123/2569 forbids telling the customer",
        "restricted_until": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }
    silent = client.post(change, _disclosure_form(disclosure, alice, **restrict))
    assert silent.status_code == 200
    assert "change_reason" in silent.context["adminform"].form.errors
    disclosure.refresh_from_db()
    assert disclosure.is_restricted is False
    assert disclosure.version == 1

    told = client.post(
        change,
        _disclosure_form(
            disclosure, alice, change_reason="Court order received today", **restrict
        ),
    )
    assert told.status_code == 302, told.context["adminform"].form.errors
    disclosure.refresh_from_db()
    assert disclosure.is_restricted is True
    first, second = history_of(disclosure)
    assert first.data["is_restricted"] is False
    assert second.data["is_restricted"] is True
    assert second.reason == "Court order received today"
    assert second.changed_by == privacy_officer


def test_regulator_clock_alerts_at_24_48_and_66_hours(privacy_officer):
    aware = timezone.now()
    breach = _breach(detected_at=aware)

    def alerts_at(hours: float) -> list[str]:
        mail.outbox.clear()
        with time_machine.travel(aware + timedelta(hours=hours), tick=False):
            services.send_breach_alerts()
        return [message.subject for message in mail.outbox]

    assert alerts_at(23.9) == []
    (at_24,) = alerts_at(24)
    assert "24" in at_24
    assert alerts_at(30) == []
    (at_48,) = alerts_at(48.5)
    assert "48" in at_48
    (at_66,) = alerts_at(66)
    assert "66" in at_66
    assert alerts_at(70) == []
    assert sorted(breach.alerts.values_list("hours", flat=True)) == [24, 48, 66]


def test_no_alert_once_the_regulator_is_told(privacy_officer):
    aware = timezone.now()
    breach = _breach(detected_at=aware)
    Breach.objects.filter(pk=breach.pk).update(notified_regulator_at=aware)
    record_version(breach, reason="Regulator told")
    with time_machine.travel(aware + timedelta(hours=50), tick=False):
        assert services.send_breach_alerts() == 0
    assert mail.outbox == []


def test_missed_alerts_are_sent_once_by_the_daily_maintenance(privacy_officer):
    aware = timezone.now()
    _breach(detected_at=aware)
    from policy.receivers import on_daily_maintenance

    with time_machine.travel(aware + timedelta(hours=50), tick=False):
        counts = on_daily_maintenance(sender=None)
        again = on_daily_maintenance(sender=None)
    assert counts["breach-clock-alerts"] == 1  # one email: the clock is at 48 h
    assert again["breach-clock-alerts"] == 0


def test_a_lockout_spike_opens_one_breach_candidate(
    settings, privacy_officer, django_capture_on_commit_callbacks
):
    settings.BREACH_CANDIDATE_LOCKOUTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        for _lockout in range(5):
            user_locked_out.send(sender=None, request=None, username="x", ip_address="")
    (candidate,) = Breach.objects.all()
    assert candidate.is_candidate
    assert candidate.source == "lockout-spike"
    assert [m.to for m in mail.outbox] == [[privacy_officer.email]]
    assert reverse("admin:policy_breach_change", args=[candidate.pk]) in (
        mail.outbox[0].body
    )


def test_dismissing_a_candidate_needs_a_reason(staff_client, privacy_officer):
    candidate = services.open_breach_candidate(
        source="lockout-spike", description="20 lockouts within 60 minutes"
    )
    client = staff_client(privacy_officer)
    change = reverse("admin:policy_breach_change", args=[candidate.pk])
    form = _breach_form(candidate, is_candidate="on", dismiss="on")
    assert client.post(change, form).status_code == 200
    candidate.refresh_from_db()
    assert candidate.dismissed_at is None
    form["change_reason"] = "A password-spraying test by our own security team"
    assert client.post(change, form).status_code == 302
    candidate.refresh_from_db()
    assert candidate.dismissed_at is not None
    assert history_of(candidate).last().reason.startswith("A password-spraying")


def _check_now() -> None:
    """Run the deferred guards now instead of at commit (the test never commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_database_refuses_a_breach_change_without_a_version(postgres):
    rewritten, deleted, corrected = _breach(), _breach(), _breach()
    with (  # noqa: PT012
        pytest.raises(DatabaseError, match="without a new version"),
        transaction.atomic(),
    ):
        Breach.objects.filter(pk=rewritten.pk).update(description="rewritten")
        _check_now()
    with (  # noqa: PT012
        pytest.raises(DatabaseError, match="cannot be deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM policy_breach WHERE id = %s", [deleted.pk])
        _check_now()
    # Through the history it goes.
    with transaction.atomic():
        Breach.objects.filter(pk=corrected.pk).update(description="corrected")
        record_version(corrected, reason="typo")
        _check_now()
    corrected.refresh_from_db()
    assert corrected.description == "corrected"
    assert corrected.version == 2
