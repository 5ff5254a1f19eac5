"""The re-acceptance gate: on by itself at the effective date, free for those who accepted."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
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


def test_gate_costs_no_query_for_a_customer_who_accepted(
    client, scheduled_v2, old_customer, settings
):
    url = reverse("policy:version-list")
    with _after(scheduled_v2):
        client.force_login(old_customer)
        client.post(reverse("policy:accept"), {"version": "2", "source": "gate"})
        client.get(url)  # warm: versions cached, acceptance remembered in the session
        with CaptureQueriesContext(connection) as with_gate:
            assert client.get(url).status_code == 200
        settings.MIDDLEWARE = [
            m
            for m in settings.MIDDLEWARE
            if m != "policy.middleware.NoticeGateMiddleware"
        ]
        with CaptureQueriesContext(connection) as without_gate:
            assert client.get(url).status_code == 200
    assert len(with_gate.captured_queries) == len(without_gate.captured_queries)
    assert not any("policy_acceptance" in q["sql"] for q in with_gate.captured_queries)


def test_gate_pinned_query_count_for_an_accepted_customer(
    client, scheduled_v2, old_customer, django_assert_num_queries
):
    with _after(scheduled_v2):
        client.force_login(old_customer)
        client.post(reverse("policy:accept"), {"version": "2", "source": "gate"})
        client.get(reverse("policy:scheduled"))
        # Session + user (authentication) + the page's one query for the scheduled version.
        with django_assert_num_queries(3):
            client.get(reverse("policy:scheduled"))
