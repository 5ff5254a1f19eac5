"""Public notice pages: in force, by label, history, scheduled, diff; the banner."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from policy.diff import word_diff
from policy.models import Acceptance
from tests.factories import NoticeVersionFactory


def test_notice_page_shows_the_text_in_force_and_the_registry_table(client, v1):
    response = client.get(reverse("policy:notice"), HTTP_ACCEPT_LANGUAGE="th")
    html = response.content.decode()
    assert response.status_code == 200
    assert "บริษัท วันสเปซ คอร์ปอเรชั่น จำกัด" in html
    # The "what we collect" table comes from the registry.
    assert 'class="registry"' in html
    assert html.count('<th scope="row">') >= 3
    assert "support@onespace.co.th" in html


def test_notice_page_in_english(client, v1):
    client.cookies["onespace_language"] = "en"
    html = client.get(reverse("policy:notice")).content.decode()
    assert "OneSpace Corporation Co., Ltd. recognises the importance" in html
    assert "What we collect, why, on what basis and for how long" in html


def test_any_published_version_by_label_but_not_a_draft(client, v1, draft):
    assert client.get(reverse("policy:version-detail", args=["1"])).status_code == 200
    assert client.get(reverse("policy:version-detail", args=["2"])).status_code == 404
    assert (
        client.get(reverse("policy:version-diff", args=["1", "2"])).status_code == 404
    )


def test_history_lists_published_versions_but_no_draft(client, v1, scheduled_v2):
    NoticeVersionFactory(label="draft-3")
    client.cookies["onespace_language"] = "en"
    html = client.get(reverse("policy:version-list")).content.decode()
    assert reverse("policy:version-detail", args=["1"]) in html
    assert reverse("policy:version-detail", args=["2"]) in html
    assert "draft-3" not in html
    assert "Scheduled" in html
    assert "In force" in html


def test_scheduled_page_shows_the_date_and_changes(client, v1, scheduled_v2):
    client.cookies["onespace_language"] = "en"
    response = client.get(reverse("policy:scheduled"))
    html = response.content.decode()
    assert "Version 2 takes effect on" in html
    assert "<ins>" in html
    assert "<del>" in html


def test_scheduled_page_without_a_scheduled_version(client, v1):
    client.cookies["onespace_language"] = "en"
    assert (
        "No change to the privacy notice is scheduled"
        in client.get(reverse("policy:scheduled")).content.decode()
    )


def test_word_diff_marks_removed_and_added_words_and_escapes_html():
    html = word_diff("we keep <b>logs</b> 90 days", "we keep <b>logs</b> 365 days")
    assert "<del>90</del><ins>365</ins>" in html
    assert "&lt;b&gt;logs&lt;/b&gt;" in html
    assert word_diff("same text", "same text") == "same text"


def test_diff_page_between_any_two_versions(client, v1):
    now = timezone.now()
    NoticeVersionFactory(
        label="2",
        text_en="We collect name, email and phone.",
        text_th="ก ข",
        published_at=now,
        effective_at=now + timedelta(days=31),
    )
    NoticeVersionFactory(
        label="3",
        text_en="We collect name and phone.",
        text_th="ก ค",
        published_at=now,
        effective_at=now + timedelta(days=62),
    )
    client.cookies["onespace_language"] = "en"
    html = client.get(reverse("policy:version-diff", args=["2", "3"])).content.decode()
    assert re.search(r"<del>[^<]*email[^<]*</del>", html)
    assert "<ins>" in html
    client.cookies["onespace_language"] = "th"
    html = client.get(reverse("policy:version-diff", args=["2", "3"])).content.decode()
    assert "<del>ข</del><ins>ค</ins>" in html


def test_banner_shows_scheduled_version_to_visitors_with_date_and_diff_link(
    client, v1, scheduled_v2
):
    client.cookies["onespace_language"] = "en"
    html = client.get(reverse("home")).content.decode()
    assert "notice-banner" in html
    assert "(version 2) takes effect on" in html
    assert reverse("policy:version-diff", args=["1", "2"]) in html
    assert "Accept now" not in html  # visitors cannot accept


def test_no_banner_without_a_scheduled_version(client, v1):
    assert "notice-banner" not in client.get(reverse("home")).content.decode()


def test_customer_accepts_early_from_the_banner(client, v1, scheduled_v2, alice):
    client.force_login(alice)
    client.cookies["onespace_language"] = "en"
    page = client.get(reverse("policy:notice")).content.decode()
    assert "Accept now" in page
    response = client.post(
        reverse("policy:accept"),
        {"version": "2", "source": "banner", "next": reverse("policy:notice")},
        HTTP_USER_AGENT="Mozilla/5.0 Test",
        REMOTE_ADDR="203.0.113.5",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("policy:notice")
    record = Acceptance.objects.get(customer=alice)
    assert (record.version, record.source, record.fingerprint) == (
        scheduled_v2,
        "banner",
        scheduled_v2.fingerprint,
    )
    assert (record.ip_address, record.user_agent) == ("203.0.113.5", "Mozilla/5.0 Test")
    assert "Accept now" not in client.get(reverse("policy:notice")).content.decode()


def test_accepting_a_draft_or_superseded_version_is_refused_with_a_message(
    client, v1, alice
):
    now = timezone.now()
    client.force_login(alice)
    client.cookies["onespace_language"] = "en"
    NoticeVersionFactory(label="d")
    response = client.post(
        reverse("policy:accept"), {"version": "d", "source": "banner"}, follow=True
    )
    assert "That version cannot be accepted." in response.content.decode()
    # Version 2 in force supersedes version 1.
    NoticeVersionFactory(
        label="2",
        published_at=now - timedelta(days=40),
        effective_at=now - timedelta(days=1),
    )
    response = client.post(
        reverse("policy:accept"), {"version": "1", "source": "gate"}, follow=True
    )
    assert (
        "Only the version in force or the scheduled version can be accepted."
        in response.content.decode()
    )
    assert not Acceptance.objects.exists()


def test_forged_acceptance_for_another_customer_records_only_the_signed_in_one(
    client, v1, scheduled_v2, alice, bob
):
    client.force_login(alice)
    client.post(
        reverse("policy:accept"),
        {"version": "2", "source": "banner", "customer": bob.pk, "customer_id": bob.pk},
    )
    assert list(Acceptance.objects.values_list("customer", flat=True)) == [alice.pk]


def test_accept_requires_sign_in_and_post(client, v1, scheduled_v2, alice):
    response = client.post(
        reverse("policy:accept"), {"version": "2", "source": "banner"}
    )
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    client.force_login(alice)
    assert client.get(reverse("policy:accept")).status_code == 405
    assert not Acceptance.objects.exists()


def test_accept_ignores_an_offsite_next(client, v1, scheduled_v2, alice):
    client.force_login(alice)
    response = client.post(
        reverse("policy:accept"),
        {"version": "2", "source": "banner", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("accounts:home")


def test_scheduled_page_dates_the_new_version_in_the_buddhist_era(client, v1):
    with time_machine.travel(datetime(2026, 11, 25, tzinfo=UTC), tick=False):
        NoticeVersionFactory(
            label="2",
            published_at=timezone.now(),
            # 03:00 UTC is 10:00 in Bangkok; 2027 CE is 2570 BE.
            effective_at=datetime(2027, 1, 4, 3, 0, tzinfo=UTC),
        )
        html = client.get(reverse("policy:scheduled")).content.decode()
    assert "4 มกราคม 2570 10:00" in html
    assert "2027" not in html
