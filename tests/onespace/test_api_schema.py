"""The OpenAPI document (/api/schema/) states the limits the API enforces (issue 11)."""

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_endpoint_documents_auth_size_and_rate_errors(schema):
    operations = list(_operations(schema))
    assert len(operations) >= 3
    for path, method, operation in operations:
        codes = set(operation["responses"])
        assert {"400", "401", "403", "413", "429"} <= codes, (path, method, codes)
        for code in ("401", "403", "413", "429"):
            content = operation["responses"][code]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}


def test_413_names_the_body_limit(schema, settings):
    operation = schema["paths"]["/api/v1/node-events/"]["post"]
    assert (
        f"{settings.API_MAX_BODY_BYTES:,}"
        in (operation["responses"]["413"]["description"])
    )


def test_node_event_batch_is_1_to_1000(schema):
    body = schema["paths"]["/api/v1/node-events/"]["post"]["requestBody"]
    array = body["content"]["application/json"]["schema"]
    assert (array["type"], array["minItems"], array["maxItems"]) == ("array", 1, 1000)


def test_node_id_is_documented_as_text_or_integer(schema):
    node_id = schema["components"]["schemas"]["NodeEventInput"]["properties"]["node_id"]
    assert [kind["type"] for kind in node_id["oneOf"]] == ["string", "integer"]
    assert node_id["oneOf"][0]["maxLength"] == 64


def test_invoice_lines_are_1_to_the_configured_limit(schema, settings):
    lines = schema["components"]["schemas"]["InvoiceInput"]["properties"]["lines"]
    assert lines["minItems"] == 1
    assert lines["maxItems"] == settings.BILLING_INVOICE_MAX_LINES


def test_idempotency_key_limits_are_documented(schema):
    operation = schema["paths"]["/api/v1/invoices/"]["post"]
    (header,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["required"] is True
    assert header["schema"]["minLength"] == 1
    assert header["schema"]["maxLength"] == 100
    assert "pattern" in header["schema"]
