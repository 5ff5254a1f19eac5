"""POST /api/v1/invoices/: the billing engine issues billing notes with a service token."""

import pytest
from django.core.files.storage import storages
from rest_framework.test import APIClient

from accounts.models import ServiceToken
from billing.models import Document, NumberSeries

URL = "/api/v1/invoices/"


@pytest.fixture
def engine(db):
    _token, raw = ServiceToken.issue(name="billing engine", scopes=["billing"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def body(customer, **extra):
    data = {
        "customer_id": customer.pk,
        "lines": [
            {
                "description": "Cloud server, November",
                "quantity": "1",
                "unit_price": "1000.00",
            },
            {"description": "Backup", "quantity": "2.5", "unit_price": "40.00"},
        ],
    }
    data.update(extra)
    return data


def post(client, data, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, data, format="json", **headers)


def test_engine_issues_a_billing_note_for_the_default_profile(
    engine, alice, alice_profile
):
    response = post(engine, body(alice))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith("BN")
    assert data["kind"] == "billing_note"
    assert data["status"] == "issued"
    assert data["subtotal"] == "1100.00"
    assert data["vat_amount"] == "77.00"
    assert data["total"] == "1177.00"
    assert data["buyer_name"] == alice_profile.legal_name


def test_same_idempotency_key_never_issues_twice(engine, alice, alice_profile):
    first = post(engine, body(alice))
    again = post(engine, body(alice))
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Document.objects.count() == 1
    different = post(
        engine,
        body(alice, lines=[{"description": "x", "quantity": "1", "unit_price": "1"}]),
    )
    assert different.status_code == 409
    assert Document.objects.count() == 1


def test_other_key_issues_the_next_number(engine, alice, alice_profile):
    first = post(engine, body(alice), key="a").json()["number"]
    second = post(engine, body(alice), key="b").json()["number"]
    assert int(second[-6:]) == int(first[-6:]) + 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines"),
        (
            {"lines": [{"description": "x", "quantity": "0", "unit_price": "1"}]},
            "lines",
        ),
        (
            {"lines": [{"description": "x", "quantity": "-1", "unit_price": "1"}]},
            "lines",
        ),
        (
            {"lines": [{"description": "x", "quantity": "1", "unit_price": "-0.01"}]},
            "lines",
        ),
        (
            {"lines": [{"description": "x", "quantity": "1", "unit_price": "1.005"}]},
            "lines",
        ),
        (
            {"lines": [{"description": "x", "quantity": "1.001", "unit_price": "1"}]},
            "lines",
        ),
        ({"lines": "nope"}, "lines"),
        (
            {
                "lines": [
                    {
                        "description": "x",
                        "quantity": "9999999999",
                        "unit_price": "999999999999",
                    }
                ]
            },
            "lines",
        ),
        ({"customer_id": "abc"}, "customer_id"),
    ],
)
def test_bad_input_is_a_400_and_nothing_is_numbered(
    engine, alice, alice_profile, change, field
):
    response = post(engine, body(alice, **change))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]
    assert not Document.objects.exists()
    assert not NumberSeries.objects.filter(last_number__gt=0).exists()
    assert not storages["private"].exists("billing")  # nothing rendered


def test_another_customers_profile_is_refused(
    engine, alice, alice_profile, bob_profile
):
    response = post(engine, body(alice, billing_profile_id=bob_profile.pk))
    assert response.status_code == 400
    assert "billing_profile_id" in response.json()["errors"]
    assert not Document.objects.exists()


def test_missing_idempotency_key_is_refused(engine, alice, alice_profile):
    response = post(engine, body(alice), key=None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Document.objects.exists()


def test_token_without_billing_scope_is_refused(alice, alice_profile):
    _token, raw = ServiceToken.issue(name="control plane", scopes=["node-events"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert post(client, body(alice)).status_code == 403
    assert post(APIClient(), body(alice)).status_code in (401, 403)
    assert not Document.objects.exists()


def test_signed_in_customer_cannot_use_the_engine_endpoint(alice, alice_profile):
    client = APIClient()
    client.force_login(alice)
    assert post(client, body(alice)).status_code in (401, 403)
    assert not Document.objects.exists()
