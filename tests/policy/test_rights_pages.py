"""My data page, the rights links and the gate's ways out."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from policy.registry import registry
from tests.factories import NoticeVersionFactory

pytestmark = pytest.mark.django_db


def test_my_data_shows_every_category_with_purpose_basis_retention_and_count(
    client, alice_data, bob_data
):
    client.force_login(alice_data)
    response = client.get(reverse("policy:my-data"))
    assert response.status_code == 200
    page = response.content.decode()
    counts = {row["category"].key: row["count"] for row in response.context["rows"]}
    for category in registry:
        assert f'id="{category.key}"' in page
        assert counts[category.key] == category.for_subject(alice_data).count()
    assert counts["auditlog-node-event"] == 1
    assert "node-a11ce" in page
    assert "node-b0bb0" not in page
    assert "bob@example.com" not in page


def test_my_data_never_shows_password_hashes(client, alice_data):
    client.force_login(alice_data)
    page = client.get(reverse("policy:my-data")).content.decode()
    assert "md5$old$" not in page


def test_restricted_disclosure_is_not_shown(client, alice_data):
    from auditlog.models import Disclosure
    from policy.history import record_version

    disclosures = Disclosure.objects.filter(customers=alice_data)
    disclosures.update(
        is_restricted=True,
        restriction_reason="Court order",
        restricted_until=timezone.localdate() + timedelta(days=30),
    )
    for disclosure in disclosures:
        record_version(disclosure, reason="Court order")  # a versioned record (0010)
    client.force_login(alice_data)
    response = client.get(reverse("policy:my-data"))
    counts = {row["category"].key: row["count"] for row in response.context["rows"]}
    assert counts["auditlog-disclosure"] == 0
    assert "Office of the Attorney General" not in response.content.decode()


def test_rights_links_point_to_editing_and_privacy_requests(client, alice):
    client.force_login(alice)
    page = client.get(reverse("policy:my-data")).content.decode()
    assert reverse("accounts:profile") in page
    assert reverse("billing:profile-list") in page
    assert reverse("policy:request-create") + "?right=objection" in page
    assert reverse("policy:request-create") + "?right=restriction" in page
    assert reverse("policy:close-account") in page


def test_navigation_and_privacy_page_link_to_my_data(client, alice):
    client.force_login(alice)
    page = client.get(reverse("policy:my-privacy")).content.decode()
    assert page.count(reverse("policy:my-data")) >= 2  # nav and the page itself
    assert reverse("policy:export") in page


def test_my_data_needs_sign_in(client):
    response = client.get(reverse("policy:my-data"))
    assert response.status_code == 302


@pytest.fixture
def gated(client, alice):
    """Alice signed in while a version she has not accepted is in force."""
    now = timezone.now()
    NoticeVersionFactory(
        label="9",
        published_at=now - timedelta(days=1),
        effective_at=now - timedelta(seconds=1),
    )
    alice.date_joined = now - timedelta(days=400)
    alice.save()
    client.force_login(alice)
    return client


def test_gate_lets_a_customer_export_and_close(
    gated, django_capture_on_commit_callbacks
):
    from policy import current

    current.clear()
    assert gated.get(reverse("accounts:profile")).status_code == 302  # gated
    gate = gated.get(reverse("policy:gate")).content.decode()
    assert reverse("policy:export") in gate
    assert reverse("policy:close-account") in gate
    assert gated.get(reverse("policy:export")).status_code == 200
    assert gated.get(reverse("policy:close-account")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        gated.post(reverse("policy:export"))
    from policy.models import DataExport

    export = DataExport.objects.get()
    response = gated.get(reverse("policy:export-download", args=[export.pk]))
    assert response.status_code == 200
    current.clear()


def test_my_data_costs_a_bounded_number_of_queries(
    client, alice_data, django_assert_max_num_queries
):
    client.force_login(alice_data)
    client.get(reverse("policy:my-data"))  # warm the session and caches
    # A count and a preview per category, plus the session, user and closure lookups.
    with django_assert_max_num_queries(2 * len(registry) + 6):
        assert client.get(reverse("policy:my-data")).status_code == 200


def test_my_data_preview_shows_times_in_bangkok_with_buddhist_year(client, alice):
    alice.date_joined = datetime(2026, 1, 5, 17, 30, tzinfo=UTC)
    alice.save(update_fields=["date_joined"])
    client.force_login(alice)
    html = client.get(
        reverse("policy:my-data"), HTTP_ACCEPT_LANGUAGE="th"
    ).content.decode()
    # 17:30 UTC is 00:30 the next day in Bangkok; 2026 CE is 2569 BE.
    assert "6 มกราคม 2569 00:30" in html
    assert "2026-01-05 17:30" not in html
