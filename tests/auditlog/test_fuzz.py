"""Schemathesis drives the audit log endpoints from the OpenAPI schema: never a 5xx."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from accounts.models import ServiceToken
from auditlog.models import NodeEvent
from onespace.wsgi import application

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def schema():
    # Calling the WSGI app directly sends request_finished, whose handler would close
    # the test's database connection; Django's test client unhooks it the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth(db):
    _token, raw = ServiceToken.issue(
        name="fuzz", scopes=["node-events", "access-check"]
    )
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/v1/node-events/", "POST"), ("/api/v1/access-grants/check", "GET")],
)
def test_fuzzed_requests_never_get_a_server_error(schema, auth, path, method):
    operation = schema[path][method]
    statuses = []

    @FUZZ
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=auth)
        statuses.append(response.status_code)
        assert response.status_code < 500, response.text
        assert "json" in str(
            response.headers.get("Content-Type", response.headers.get("content-type"))
        )

    run()
    assert statuses


def test_fuzzed_invalid_batches_store_nothing(schema, auth):
    operation = schema["/api/v1/node-events/"]["POST"]

    @FUZZ
    @given(
        case=operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE)
    )
    def run(case):
        before = NodeEvent.objects.count()
        response = case.call(headers=auth)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert NodeEvent.objects.count() == before

    run()
