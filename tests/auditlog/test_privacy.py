"""The audit log's personal-data declarations: disclosures shown unless restricted."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from auditlog.models import Disclosure
from auditlog.privacy import DisclosureData
from policy.registry import registry

pytestmark = pytest.mark.django_db


def _disclosure(officer, customers, **extra):
    disclosure = Disclosure.objects.create(
        authority="Office of the Attorney General",
        legal_basis="Criminal Procedure Code s.132, court order 123/2569",
        requested_on=date(2026, 10, 1),
        categories=["auditlog-access-log"],
        approved_by=officer,
        disclosed_at=timezone.now(),
        **extra,
    )
    disclosure.customers.set(customers)
    return disclosure


def test_audit_log_categories_are_registered():
    keys = {c.key for c in registry}
    assert {
        "auditlog-access-log",
        "auditlog-security-event",
        "auditlog-node-event",
        "auditlog-access-grant",
        "auditlog-disclosure",
    } <= keys


def test_customer_export_lists_disclosures_about_them_without_other_customers(
    alice, bob, privacy_officer
):
    _disclosure(privacy_officer, [alice, bob])
    rows = list(DisclosureData.export(alice))
    assert len(rows) == 1
    assert rows[0]["authority"] == "Office of the Attorney General"
    assert "customers" not in rows[0]
    assert "bob" not in str(rows[0])


def test_restricted_disclosure_is_hidden_until_the_restriction_ends(
    alice, privacy_officer
):
    _disclosure(
        privacy_officer,
        [alice],
        is_restricted=True,
        restriction_reason="Court order forbids notice during the investigation",
        restricted_until=timezone.localdate() + timedelta(days=30),
    )
    assert list(DisclosureData.export(alice)) == []
    assert not DisclosureData.for_subject(alice).exists()
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert DisclosureData.for_subject(alice).count() == 1


def test_other_customers_do_not_see_a_disclosure(alice, bob, privacy_officer):
    _disclosure(privacy_officer, [alice])
    assert list(DisclosureData.export(bob)) == []


def test_restriction_needs_reason_and_end_date(privacy_officer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(
            authority="A",
            legal_basis="B",
            requested_on=date(2026, 1, 1),
            approved_by=privacy_officer,
            disclosed_at=timezone.now(),
            is_restricted=True,
        )


def test_access_logs_survive_account_erasure_request(alice):
    from auditlog.privacy import AccessLogData

    assert AccessLogData.erase(alice) == 0
