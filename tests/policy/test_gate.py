"""The re-acceptance gate: on by itself at the effective date, free for those who accepted."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from policy import current
from policy.models import Acceptance
from tests.factories import CustomerFactory


@pytest.fixture
def old_customer(db, v1):
    """A customer who signed up (and accepted version 1) long before version 2."""
    customer = CustomerFactory(email="old@example.com")
    customer.date_joined = v1.effective_at + timedelta(days=1)
    customer.save(update_fields=["date_joined"])
    return customer


def _routed(name):
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def _after(version, **delta):
    return time_machine.travel(
        version.effective_at + timedelta(seconds=1, **delta), tick=False
    )


def test_gate_switches_on_at_the_effective_date_without_restart(
    client, scheduled_v2, old_customer
):
    client.force_login(old_customer)
    assert client.get(reverse("accounts:home")).status_code == 200
    current.published()  # the process cache is warm and stays warm
    with _after(scheduled_v2):
        client.force_login(old_customer)  # sessions last two weeks, not forty days
        response = client.get(reverse("accounts:profile") + "?tab=1")
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("policy:gate") + "?next=%2Faccounts%2Fprofile%2F%3Ftab%3D1"
    )


def test_gated_customer_sees_summary_and_diff_accepts_and_continues(
    client, scheduled_v2, old_customer
):
    client.cookies["onespace_language"] = "en"
    with _after(scheduled_v2):
        client.force_login(old_customer)
        gate = client.get(reverse("policy:gate"), {"next": "/accounts/profile/"})
        html = gate.content.decode()
        assert gate.status_code == 200
        assert scheduled_v2.summary_en in html
        assert "<ins>" in html
        # The ways out (privacy-rights issue) show only once their pages exist.
        assert ("Download my data" in html) == _routed("policy:export")
        assert ("Close my account" in html) == _routed("policy:close-account")
        response = client.post(
            reverse("policy:accept"),
            {"version": "2", "source": "gate", "next": "/accounts/profile/"},
        )
        assert response["Location"] == "/accounts/profile/"
        assert client.get("/accounts/profile/").status_code == 200
    record = Acceptance.objects.get(customer=old_customer)
    assert (record.version, record.source) == (scheduled_v2, "gate")


def test_while_gated_only_the_notice_and_gate_work(client, scheduled_v2, old_customer):
    with _after(scheduled_v2):
        client.force_login(old_customer)
        assert client.get(reverse("accounts:home")).status_code == 302
        assert client.get(reverse("policy:my-privacy")).status_code == 302
        assert client.get(reverse("policy:notice")).status_code == 200
        assert (
            client.get(reverse("policy:version-diff", args=["1", "2"])).status_code
            == 200
        )
        assert client.post(reverse("accounts:logout")).status_code == 302


def test_gated_api_call_gets_403_json_saying_why(client, scheduled_v2, old_customer):
    with _after(scheduled_v2):
        client.force_login(old_customer)
        client.cookies["onespace_language"] = "en"
        response = client.get(reverse("api-schema"))
    assert response.status_code == 403
    body = response.json()
    assert "version 2" in body["detail"]
    assert body["notice_version"] == "2"


def test_staff_are_never_gated(client, scheduled_v2, privacy_officer):
    with _after(scheduled_v2):
        client.force_login(privacy_officer)
        response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert "gate" not in response["Location"]


def test_customer_who_joined_after_the_version_took_effect_is_not_gated(
    client, scheduled_v2
):
    with _after(scheduled_v2, hours=1):
        newcomer = CustomerFactory(email="new@example.com")
        client.force_login(newcomer)
        assert client.get(reverse("accounts:home")).status_code == 200


def test_customer_who_accepted_early_is_not_gated(client, scheduled_v2, old_customer):
    client.force_login(old_customer)
    client.post(reverse("policy:accept"), {"version": "2", "source": "banner"})
    with _after(scheduled_v2):
        client.force_login(old_customer)
        assert client.get(reverse("accounts:home")).status_code == 200


def _accepted_and_warm(client, version, customer, url):
    """Sign in, accept ``version`` at the gate and open ``url`` once (caches warm)."""
    client.force_login(customer)
    client.post(reverse("policy:accept"), {"version": version.label, "source": "gate"})
    assert client.get(url).status_code == 200


# A page the gate guards (not one of its open views): the gate really runs there.
GATED_PAGE = "accounts:profile"


def test_gated_page_is_one_the_gate_checks(client, scheduled_v2, old_customer):
    with _after(scheduled_v2):
        client.force_login(old_customer)
        assert client.get(reverse(GATED_PAGE)).status_code == 302


def test_gate_costs_no_query_for_a_customer_who_accepted(
    client, scheduled_v2, old_customer, settings
):
    url = reverse(GATED_PAGE)
    with _after(scheduled_v2):
        _accepted_and_warm(client, scheduled_v2, old_customer, url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        # Read now: the next request empties the connection's query log.
        with_gate = [query["sql"] for query in captured]
        settings.MIDDLEWARE = [
            m
            for m in settings.MIDDLEWARE
            if m != "policy.middleware.NoticeGateMiddleware"
        ]
        # A client builds its middleware chain on its first request: a new one
        # is needed to run without the gate.
        without = Client()
        without.force_login(old_customer)
        assert without.get(url).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            assert without.get(url).status_code == 200
        without_gate = [query["sql"] for query in captured]
    assert len(with_gate) == len(without_gate)
    assert not any("policy_acceptance" in sql for sql in with_gate)


def test_gate_pinned_query_count_for_an_accepted_customer(
    client, scheduled_v2, old_customer, django_assert_num_queries
):
    url = reverse(GATED_PAGE)
    with _after(scheduled_v2):
        _accepted_and_warm(client, scheduled_v2, old_customer, url)
        # Session + user (authentication); the gate adds none once the session
        # remembers the acceptance, and the profile page needs no more.
        with django_assert_num_queries(2):
            client.get(url)
