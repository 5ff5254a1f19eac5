"""PSEUDONYM_KEY: "did this address accept?" survives rotating SECRET_KEY and the key."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from policy import pseudonyms, services
from policy.models import Acceptance, ConsentRecord, ErasureRecord
from tests import owner

pytestmark = pytest.mark.django_db


def _accepted_then_erased(v1, alice):
    services.accept_notice(alice, version=v1, source="signup")
    services.set_consent(
        alice, purpose="marketing_email", is_given=True, source="signup"
    )
    record = services.request_closure(alice)
    owner.let_cool_off_pass()
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        services.erase_account(record)
    assert not Acceptance.objects.filter(customer_id=alice.pk).exists()


def test_rows_carry_the_id_of_the_key_that_made_the_pseudonym(settings, v1, alice):
    settings.PSEUDONYM_KEY = "pseudonym-key-one"
    services.accept_notice(alice, version=v1, source="signup")
    services.set_consent(
        alice, purpose="marketing_email", is_given=True, source="signup"
    )
    expected = pseudonyms.key_id("pseudonym-key-one")
    assert Acceptance.objects.get().pseudonym_key_id == expected
    assert ConsentRecord.objects.get().pseudonym_key_id == expected
    assert expected not in ("", pseudonyms.key_id(settings.SECRET_KEY))
    assert "pseudonym-key-one" not in expected


def test_rotating_pseudonym_key_and_secret_key_keeps_acceptance_look_ups(
    settings, v1, alice
):
    settings.PSEUDONYM_KEY = "pseudonym-key-one"
    _accepted_then_erased(v1, alice)
    record = ErasureRecord.objects.get()
    assert record.pseudonym_key_id == pseudonyms.key_id("pseudonym-key-one")

    # Both keys rotate; the old pseudonym key is kept for look-ups only.
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    settings.PSEUDONYM_KEY = "pseudonym-key-two"
    settings.PSEUDONYM_KEYS_OLD = ["pseudonym-key-one"]
    proof = services.acceptances_for_email("Alice@Example.com", label="1")
    assert proof.count() == 1
    # New records use the new key.
    assert pseudonyms.current_key_id() == pseudonyms.key_id("pseudonym-key-two")

    # Without the old key, the address no longer matches: the look-up really uses it.
    settings.PSEUDONYM_KEYS_OLD = []
    assert not services.acceptances_for_email("alice@example.com").exists()


def test_rows_made_before_pseudonym_key_existed_are_found_after_secret_key_rotation(
    settings, v1, alice
):
    settings.PSEUDONYM_KEY = ""  # development: derived from SECRET_KEY
    old_secret = settings.SECRET_KEY
    _accepted_then_erased(v1, alice)

    settings.PSEUDONYM_KEY = "pseudonym-key-new"
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert services.acceptances_for_email("alice@example.com").count() == 1

    settings.SECRET_KEY_FALLBACKS = []
    assert not services.acceptances_for_email("alice@example.com").exists()


def test_admin_search_by_address_finds_records_made_with_an_old_key(
    settings, v1, alice, staff_client, privacy_officer
):
    settings.PSEUDONYM_KEY = "pseudonym-key-one"
    _accepted_then_erased(v1, alice)
    settings.PSEUDONYM_KEY = "pseudonym-key-two"
    settings.PSEUDONYM_KEYS_OLD = ["pseudonym-key-one"]
    client = staff_client(privacy_officer)
    response = client.get("/admin/policy/erasurerecord/", {"q": "alice@example.com"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
