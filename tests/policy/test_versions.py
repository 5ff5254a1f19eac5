"""Notice versions: version 1 from the seed, fingerprints, states, immutability."""

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from policy import services
from policy.models import (
    Acceptance,
    ClosureNotDue,
    ConsentRecord,
    ImmutableRecord,
    NoticeVersion,
    fingerprint_of,
    pseudonym_of,
)
from tests import owner
from tests.factories import NoticeVersionFactory

SEED = Path(__file__).resolve().parents[2] / "policy" / "seed"


def test_version_one_is_the_seed_policy_and_in_force_from_the_start(v1):
    text_th = (SEED / "privacy-policy.th.txt").read_text(encoding="utf-8")
    text_en = (SEED / "privacy-policy.en.txt").read_text(encoding="utf-8")
    assert v1.text_th == text_th
    assert "ข้อมูลส่วนตัว คือ ข้อมูลที่สามารถใช้เพื่อระบุตัวตน" in v1.text_th
    assert v1.text_en == text_en
    assert v1.summary_th
    assert v1.summary_en
    assert NoticeVersion.objects.in_force() == v1
    assert v1.state == NoticeVersion.State.IN_FORCE


def test_fingerprint_is_sha256_of_both_texts(v1):
    expected = hashlib.sha256(
        v1.text_th.encode() + b"\x00" + v1.text_en.encode()
    ).hexdigest()
    assert v1.fingerprint == expected == fingerprint_of(v1.text_th, v1.text_en)


def test_draft_fingerprint_follows_its_text(draft):
    before = draft.fingerprint
    draft.text_en = "Changed."
    draft.save()
    assert draft.fingerprint != before
    assert draft.state == NoticeVersion.State.DRAFT


def test_states_follow_publication_and_effective_dates(v1, scheduled_v2):
    assert scheduled_v2.state == NoticeVersion.State.SCHEDULED
    assert v1.state == NoticeVersion.State.IN_FORCE
    with time_machine.travel(scheduled_v2.effective_at + timedelta(seconds=1)):
        assert scheduled_v2.state == NoticeVersion.State.IN_FORCE
        assert v1.state == NoticeVersion.State.SUPERSEDED
        assert NoticeVersion.objects.in_force() == scheduled_v2
        assert NoticeVersion.objects.scheduled() is None


def test_published_version_cannot_be_saved_or_deleted_through_the_orm(v1):
    v1.text_th = "แก้ไขแล้ว"
    with pytest.raises(ImmutableRecord):
        v1.save()
    with pytest.raises(ImmutableRecord):
        v1.delete()
    with pytest.raises(ImmutableRecord):
        NoticeVersion.objects.filter(pk=v1.pk).delete()
    with pytest.raises(ImmutableRecord):
        NoticeVersion.objects.filter(pk=v1.pk).update(text_th="แก้ไขแล้ว")
    v1.refresh_from_db()
    assert v1.text_th != "แก้ไขแล้ว"


def test_draft_can_be_edited_and_deleted(draft):
    draft.summary_en = "Better summary."
    draft.save()
    draft.delete()
    assert not NoticeVersion.objects.filter(label="2").exists()


def test_acceptance_records_are_append_only_in_the_orm(v1, alice):
    acceptance = services.accept_notice(alice, version=v1, source="signup")
    acceptance.source = "gate"
    with pytest.raises(ImmutableRecord):
        acceptance.save()
    with pytest.raises(ImmutableRecord):
        acceptance.delete()
    with pytest.raises(ImmutableRecord):
        Acceptance.objects.filter(pk=acceptance.pk).update(source="gate")
    with pytest.raises(ImmutableRecord):
        Acceptance.objects.all().delete()
    assert Acceptance.objects.get().source == "signup"


def test_consent_records_are_append_only_in_the_orm(alice):
    record = services.set_consent(
        alice, purpose="marketing_email", is_given=True, source="signup"
    )
    with pytest.raises(ImmutableRecord):
        record.delete()
    with pytest.raises(ImmutableRecord):
        ConsentRecord.objects.update(is_given=False)
    assert services.has_consent(alice, "marketing_email")


def _refused_by_database(sql: str, params: list) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        # The runtime role (CI) lacks the privilege before the trigger is asked.
        return "policy:" in str(error) or "permission denied" in str(error)
    return False


@pytest.mark.postgres
def test_postgresql_refuses_changing_or_deleting_a_published_version(postgres, v1):
    assert _refused_by_database(
        "UPDATE policy_noticeversion SET text_th = %s WHERE id = %s", ["x", v1.pk]
    )
    assert _refused_by_database(
        "DELETE FROM policy_noticeversion WHERE id = %s", [v1.pk]
    )
    v1.refresh_from_db()
    assert v1.text_th.startswith("นโยบายส่วนบุคคล")


@pytest.mark.postgres
def test_postgresql_lets_a_draft_be_edited_and_published_once(postgres, draft):
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE policy_noticeversion SET published_at = %s, effective_at = %s WHERE id = %s",
            [now, now + timedelta(days=31), draft.pk],
        )
    assert _refused_by_database(
        "UPDATE policy_noticeversion SET effective_at = %s WHERE id = %s",
        [now + timedelta(days=60), draft.pk],
    )


@pytest.mark.postgres
def test_postgresql_keeps_acceptances_append_only_but_allows_pseudonymising(
    postgres, v1, alice, rf
):
    request = rf.post("/", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Chrome")
    acceptance = services.accept_notice(
        alice, version=v1, source="gate", request=request
    )
    assert _refused_by_database(
        "UPDATE policy_acceptance SET source = 'banner' WHERE id = %s", [acceptance.pk]
    )
    assert _refused_by_database(
        "UPDATE policy_acceptance SET pseudonym = 'x' WHERE id = %s", [acceptance.pk]
    )
    assert _refused_by_database(
        "UPDATE policy_acceptance SET ip_address = '192.0.2.1' WHERE id = %s",
        [acceptance.pk],
    )
    assert _refused_by_database(
        "DELETE FROM policy_acceptance WHERE id = %s", [acceptance.pk]
    )
    # Erasure, once the account's closure is due: the person is detached, the proof stays.
    with pytest.raises(ClosureNotDue):
        Acceptance.objects.pseudonymise(alice.pk)
    services.request_closure(alice)
    owner.let_cool_off_pass()
    assert Acceptance.objects.pseudonymise(alice.pk) == 1
    alice.delete()
    row = Acceptance.objects.get(pk=acceptance.pk)
    assert (row.customer_id, row.ip_address, row.user_agent) == (None, None, "")
    assert row.pseudonym == pseudonym_of("alice@example.com")


@pytest.mark.postgres
def test_postgresql_keeps_consent_records_append_only(postgres, alice):
    record = services.set_consent(
        alice, purpose="marketing_email", is_given=True, source="signup"
    )
    assert _refused_by_database(
        "UPDATE policy_consentrecord SET is_given = false WHERE id = %s", [record.pk]
    )
    assert _refused_by_database(
        "DELETE FROM policy_consentrecord WHERE id = %s", [record.pk]
    )


def test_new_published_version_can_be_created_in_one_go(v1):
    now = timezone.now()
    version = NoticeVersionFactory(
        label="9", published_at=now, effective_at=now + timedelta(days=30)
    )
    assert version.state == NoticeVersion.State.SCHEDULED


def test_checks_refuse_a_zero_notice_period_and_a_sign_up_without_acceptance(settings):
    from policy.checks import notice_settings

    assert notice_settings(None) == []
    settings.POLICY_NOTICE_PERIOD = timedelta(0)
    settings.SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
    assert [error.id for error in notice_settings(None)] == [
        "policy.E001",
        "policy.E002",
    ]
