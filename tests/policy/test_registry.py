"""The personal-data registry: every personal field is declared, export and erase work."""

from datetime import timedelta

import pytest
from django.utils import translation

from accounts.models import PasswordHistory, User
from policy import registry as privacy
from policy import services
from policy.models import Acceptance, ConsentRecord, pseudonym_of
from policy.registry import looks_personal, registry
from tests import owner


def test_every_model_of_every_installed_app_is_declared():
    """Django's, third-party and our own: sessions, axes, otp, admin log, task queue…"""
    undeclared = registry.undeclared_models()
    assert undeclared == [], (
        f"No privacy.py says what these models hold: {undeclared}. Register a "
        "privacy.Category for them (in the app that configures them, or in "
        "onespace/privacy.py), or declare privacy.no_personal_data(Model, reason=...)."
    )


def test_every_personal_or_free_form_field_of_every_installed_app_is_declared():
    uncovered = registry.uncovered_fields()
    assert uncovered == [], (
        "These fields look like personal data, or are free-form text or JSON, but no "
        f"privacy.py declares them: {uncovered}. Add them to a privacy.Category in the "
        "app's privacy.py, or, if they are not personal data, declare "
        "privacy.not_personal(Model, 'field', reason=...) there."
    )


def test_coverage_walks_third_party_apps_and_free_form_fields():
    """The checks above can fail: without its declarations a third-party model shows up."""
    from django.contrib.sessions.models import Session

    saved = dict(registry._registry)
    registry.unregister("accounts-session")
    try:
        assert "sessions.Session" in registry.undeclared_models()
        # session_data is a TextField whose name looks harmless: flagged all the same.
        assert "sessions.Session.session_data" in registry.uncovered_fields()
    finally:
        registry._registry = saved
    assert Session._meta.label not in registry.undeclared_models()


def test_detector_flags_email_ip_name_and_free_text_but_not_dates_or_choices():
    from django.db import models

    flagged = {
        "email": models.EmailField(),
        "last_ip": models.GenericIPAddressField(),
        "company_name": models.CharField(max_length=10),
        "tax_id": models.CharField(max_length=13),
        "user_agent": models.CharField(max_length=10),
        "message": models.TextField(),
        "address_line": models.CharField(max_length=10),
    }
    ignored = {
        "email_verified_at": models.DateTimeField(),
        "kind": models.CharField(max_length=10),
        "reason": models.CharField(max_length=10, choices=[("a", "A")]),
        "amount": models.DecimalField(),
    }
    for name, field in {**flagged, **ignored}.items():
        field.name = name
    assert all(looks_personal(field) for field in flagged.values())
    assert not any(looks_personal(field) for field in ignored.values())


def test_registration_data_covers_exactly_name_email_phone_and_a_pending_address():
    category = registry["accounts-registration"]
    assert category.model is User
    assert set(category.fields) == {"full_name", "email", "phone", "pending_email"}
    assert category.legal_basis == privacy.Basis.CONTRACT
    assert category.retention_reason


def test_every_category_has_name_purpose_basis_and_retention_reason_in_both_languages():
    for category in registry:
        for language in ("th", "en"):
            with translation.override(language):
                assert str(category.name), category.key
                assert str(category.purpose), category.key
                assert category.get_legal_basis_display(), category.key
                assert str(category.retention_reason), category.key
        with translation.override("th"):
            thai = str(category.purpose)
        with translation.override("en"):
            english = str(category.purpose)
        if category.key.startswith(("accounts-", "policy-")):
            assert thai != english, f"{category.key} purpose is not translated"


def test_retention_is_shown_in_words():
    class Five(privacy.Category):
        retention = timedelta(days=5 * 365)

    class Ninety(privacy.Category):
        retention = timedelta(days=90)

    with translation.override("en"):
        assert Five.retention_display() == "5 years"
        assert Ninety.retention_display() == "90 days"
        assert privacy.Category.retention_display() == ""


def test_not_personal_requires_a_reason_and_an_existing_field():
    with pytest.raises(ValueError, match="why"):
        privacy.not_personal(User, "full_name", reason="")
    from django.core.exceptions import FieldDoesNotExist

    with pytest.raises(FieldDoesNotExist):
        privacy.not_personal(User, "no_such_field", reason="typo")


def test_password_history_export_gives_dates_not_hashes(alice):
    PasswordHistory.objects.create(user=alice, password="md5$salt$hash")
    rows = list(registry["accounts-password-history"].export(alice))
    assert len(rows) == 1
    assert "password" not in rows[0]
    assert rows[0]["created_at"]


def test_registration_export_holds_the_customer_only(alice, bob):
    rows = list(registry["accounts-registration"].export(alice))
    assert [row["email"] for row in rows] == ["alice@example.com"]


def test_erasing_acceptances_keeps_the_proof_under_a_pseudonym(v1, alice, bob, rf):
    request = rf.post("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox/140")
    services.accept_notice(alice, version=v1, source="signup", request=request)
    services.accept_notice(bob, version=v1, source="signup", request=request)
    services.set_consent(
        alice, purpose="marketing_email", is_given=True, source="signup"
    )
    owner.closure_due(alice)

    assert registry["policy-acceptance"].erase(alice) == 1
    assert registry["policy-consent"].erase(alice) == 1

    kept = Acceptance.objects.get(
        version=v1, pseudonym=pseudonym_of("alice@example.com")
    )
    assert kept.customer_id is None
    assert kept.ip_address is None
    assert kept.user_agent == ""
    assert kept.fingerprint == v1.fingerprint
    assert not Acceptance.objects.filter(customer=alice).exists()
    assert not ConsentRecord.objects.filter(customer=alice).exists()
    # Bob's record is untouched.
    assert Acceptance.objects.get(customer=bob).ip_address == "203.0.113.9"


def test_after_erasure_the_address_still_proves_acceptance(v1, alice):
    services.accept_notice(alice, version=v1, source="signup")
    owner.closure_due(alice)
    registry["policy-acceptance"].erase(alice)
    alice.delete()

    proof = services.acceptances_for_email("  Alice@Example.com ", label="1")
    assert [(row.version.label, row.fingerprint) for row in proof] == [
        ("1", v1.fingerprint)
    ]
    assert not services.acceptances_for_email("mallory@example.com").exists()


def test_deleting_an_account_first_keeps_acceptances_without_address_or_browser(
    v1, alice, rf
):
    request = rf.post("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox/140")
    services.accept_notice(alice, version=v1, source="signup", request=request)
    services.set_consent(
        alice,
        purpose="marketing_email",
        is_given=True,
        source="signup",
        request=request,
    )
    owner.closure_due(alice)
    # Erasure may run the registration category (which deletes the user) first.
    registry["accounts-registration"].erase(alice)
    registry["policy-acceptance"].erase(alice)
    kept = Acceptance.objects.get(version=v1)
    assert (kept.customer_id, kept.ip_address, kept.user_agent) == (None, None, "")
    consent = ConsentRecord.objects.get()
    assert (consent.customer_id, consent.ip_address, consent.user_agent) == (
        None,
        None,
        "",
    )
    assert services.acceptances_for_email("alice@example.com").count() == 1
