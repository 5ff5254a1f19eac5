"""Registry declarations: profiles on contract, issued documents kept 5 years as a legal obligation."""

import datetime

from billing.models import BillingProfile, Document
from policy import registry as privacy
from policy.registry import registry


def test_billing_data_is_declared_in_the_registry():
    profile = registry["billing-profile"]
    documents = registry["billing-document"]
    assert profile.legal_basis == privacy.Basis.CONTRACT
    assert {"legal_name", "tax_id", "email", "phone", "postcode", "province"} <= set(
        profile.fields
    )
    assert documents.legal_basis == privacy.Basis.LEGAL_OBLIGATION
    assert documents.erasure == privacy.Erasure.RETAIN
    assert documents.retention >= datetime.timedelta(days=5 * 365)
    assert documents.retention_from == "issued_on"
    assert registry.uncovered_fields(["billing"]) == []


def test_export_contains_profiles_and_issued_documents(
    alice, alice_profile, tax_invoice
):
    profiles = list(registry["billing-profile"].export(alice))
    documents = list(registry["billing-document"].export(alice))
    assert profiles[0]["tax_id"] == alice_profile.tax_id
    assert {row["number"] for row in documents} == set(
        Document.objects.issued().values_list("number", flat=True)
    )


def test_erasure_deletes_profiles_but_keeps_tax_documents(alice, tax_invoice):
    assert registry["billing-document"].erase(alice) == 0
    registry["billing-profile"].erase(alice)
    assert not BillingProfile.objects.filter(customer=alice).exists()
    tax_invoice.refresh_from_db()
    assert tax_invoice.buyer_name == "บริษัท อลิซ คลาวด์ จำกัด"
    assert tax_invoice.profile is None
    assert Document.objects.issued().count() == 2


def test_deleting_the_account_keeps_the_documents(alice, tax_invoice):
    alice.delete()
    tax_invoice.refresh_from_db()
    assert tax_invoice.customer is None
    assert tax_invoice.buyer_tax_id == "0107536000315"
