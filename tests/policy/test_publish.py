"""Publishing a version: the rules, the officer only, and notice emails sent exactly once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from policy import services
from policy.models import NoticeDelivery, NoticeVersion
from tests.factories import CustomerFactory, NoticeVersionFactory, StaffFactory


def _effective(days: int = 31):
    return timezone.now() + timedelta(days=days)


def test_officer_publishes_a_complete_draft(
    v1, draft, privacy_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_version(draft, by=privacy_officer, effective_at=_effective())
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.published_by == privacy_officer
    assert draft.state == NoticeVersion.State.SCHEDULED


@pytest.mark.parametrize("field", ["text_th", "text_en", "summary_th", "summary_en"])
def test_publishing_without_a_text_or_summary_is_refused(v1, privacy_officer, field):
    version = NoticeVersionFactory(label="2", **{field: "  "})
    with pytest.raises(ValidationError) as error:
        services.publish_version(version, by=privacy_officer, effective_at=_effective())
    assert field in error.value.message_dict
    version.refresh_from_db()
    assert version.published_at is None


def test_publishing_with_too_short_a_notice_is_refused(
    v1, draft, privacy_officer, settings
):
    settings.POLICY_NOTICE_PERIOD = timedelta(days=30)
    with pytest.raises(ValidationError) as error:
        services.publish_version(draft, by=privacy_officer, effective_at=_effective(29))
    assert "30" in error.value.message_dict["effective_at"][0]
    draft.refresh_from_db()
    assert draft.published_at is None
    assert draft.effective_at is None


def test_notice_period_comes_from_settings(v1, draft, privacy_officer, settings):
    settings.POLICY_NOTICE_PERIOD = timedelta(days=7)
    services.publish_version(draft, by=privacy_officer, effective_at=_effective(8))
    assert draft.published_at is not None


def test_only_the_privacy_officer_may_publish(v1, draft, finance, support_agent, alice):
    superuser = StaffFactory(email="root@onespace.test", is_superuser=True)
    for user in (finance, support_agent, alice, superuser):
        with pytest.raises(PermissionDenied):
            services.publish_version(draft, by=user, effective_at=_effective())
    draft.refresh_from_db()
    assert draft.published_at is None


def test_publishing_twice_is_refused(v1, draft, privacy_officer):
    services.publish_version(draft, by=privacy_officer, effective_at=_effective())
    with pytest.raises(ValidationError):
        services.publish_version(draft, by=privacy_officer, effective_at=_effective(60))


def test_effective_date_must_follow_the_latest_published_version(
    v1, scheduled_v2, privacy_officer
):
    version = NoticeVersionFactory(label="3")
    with pytest.raises(ValidationError):
        services.publish_version(
            version,
            by=privacy_officer,
            effective_at=scheduled_v2.effective_at - timedelta(days=1),
        )


def test_publishing_emails_every_active_customer_once_in_their_language(
    v1, draft, privacy_officer, django_capture_on_commit_callbacks, settings
):
    settings.POLICY_NOTICE_BATCH_SIZE = 2  # several batches
    thai = CustomerFactory(email="somchai@example.com", language="th")
    english = CustomerFactory(email="jane@example.com", language="en")
    third = CustomerFactory(email="third@example.com")
    CustomerFactory(email="unverified@example.com", email_verified_at=None)
    CustomerFactory(email="closed@example.com", is_active=False)
    StaffFactory(email="staff@onespace.test")

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_version(draft, by=privacy_officer, effective_at=_effective())

    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([thai.email, english.email, third.email])
    by_address = {message.to[0]: message for message in mail.outbox}
    assert "นโยบาย" in by_address[thai.email].subject
    assert "privacy notice" in by_address[english.email].subject.lower()
    assert "/privacy/versions/1/diff/2/" in by_address[english.email].body
    assert by_address[english.email].alternatives  # an HTML part too
    assert set(
        NoticeDelivery.objects.filter(version=draft).values_list(
            "customer__email", flat=True
        )
    ) == set(recipients)

    # Sending again (a retried task, a second worker) sends nothing more.
    mail.outbox.clear()
    services.announce_version(draft)
    assert services.send_notice(thai, version=draft) is False
    assert mail.outbox == []
    assert NoticeDelivery.objects.filter(version=draft).count() == 3


def test_a_customer_who_joins_later_gets_the_notice_on_the_next_run(v1, scheduled_v2):
    first = CustomerFactory(email="first@example.com")
    services.announce_version(scheduled_v2)
    assert [m.to for m in mail.outbox] == [[first.email]]
    later = CustomerFactory(email="later@example.com")
    services.announce_version(scheduled_v2)
    assert [m.to for m in mail.outbox] == [[first.email], [later.email]]


def test_a_failed_send_is_not_recorded_so_a_retry_sends_it(
    v1, scheduled_v2, alice, settings
):
    settings.MAILERS = {
        "default": {"BACKEND": "tests.policy.test_publish.RefusingBackend"}
    }
    with pytest.raises(ConnectionError):
        services.send_notice(alice, version=scheduled_v2)
    assert not NoticeDelivery.objects.exists()


class RefusingBackend:
    """A mail server that is down (outside our code, so standing in for it is fair)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("mail server down")


def test_announce_command_sends_only_to_those_not_yet_told(v1, scheduled_v2):
    from django.core.management import CommandError, call_command

    told = CustomerFactory(email="told@example.com")
    services.send_notice(told, version=scheduled_v2)
    untold = CustomerFactory(email="untold@example.com")
    mail.outbox.clear()
    call_command("announce_version", "2")
    assert [m.to for m in mail.outbox] == [[untold.email]]
    with pytest.raises(CommandError):
        call_command("announce_version", "no-such-version")
