"""A customer who joins or verifies after a version is announced, before it takes
effect, is emailed the announcement by the daily maintenance."""

import pytest
from django.core import mail
from django.utils import timezone

from policy.models import NoticeDelivery
from policy.tasks import run_daily_maintenance
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _told(version):
    return set(
        NoticeDelivery.objects.filter(version=version).values_list(
            "customer__email", flat=True
        )
    )


def test_daily_maintenance_announces_a_scheduled_version_to_late_joiners(
    alice, scheduled_v2, django_capture_on_commit_callbacks
):
    from policy import services

    services.announce_version(scheduled_v2)
    assert _told(scheduled_v2) == {"alice@example.com"}
    mail.outbox.clear()

    carol = CustomerFactory(email="carol@example.com", full_name="Carol")
    dave = CustomerFactory(email="dave@example.com", email_verified_at=None)

    counts = run_daily_maintenance.call()
    assert counts["late-notice-emails"] == 1
    assert _told(scheduled_v2) == {"alice@example.com", "carol@example.com"}
    assert [message.to for message in mail.outbox] == [["carol@example.com"]]

    # Dave verifies his address later: the next daily run tells him, and nobody twice.
    dave.email_verified_at = timezone.now()
    dave.save(update_fields=["email_verified_at"])
    mail.outbox.clear()
    counts = run_daily_maintenance.call()
    assert counts["late-notice-emails"] == 1
    assert [message.to for message in mail.outbox] == [["dave@example.com"]]
    assert carol.pk in NoticeDelivery.objects.values_list("customer_id", flat=True)


def test_no_late_announcement_once_the_version_is_in_force(alice, v1):
    counts = run_daily_maintenance.call()
    assert counts["late-notice-emails"] == 0
    assert mail.outbox == []
