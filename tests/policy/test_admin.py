"""The privacy officer's admin: drafts, preview, publish, counts, CSV; published is frozen."""

import csv
import io
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from policy import services
from policy.models import NoticeVersion
from tests import owner
from tests.factories import CustomerFactory


def _admin(staff_client, user):
    client = staff_client(user)
    client.cookies["onespace_language"] = "en"
    return client


def test_officer_creates_a_draft_and_previews_both_languages(
    staff_client, privacy_officer, v1
):
    client = _admin(staff_client, privacy_officer)
    response = client.post(
        reverse("admin:policy_noticeversion_add"),
        {
            "label": "2",
            "text_th": "ข้อความไทย ฉบับสอง",
            "summary_th": "สรุปไทย",
            "text_en": "English text two",
            "summary_en": "English summary",
        },
    )
    assert response.status_code == 302
    draft = NoticeVersion.objects.get(label="2")
    assert draft.state == NoticeVersion.State.DRAFT
    preview = client.get(reverse("admin:policy_noticeversion_preview", args=[draft.pk]))
    html = preview.content.decode()
    assert "ข้อความไทย ฉบับสอง" in html
    assert "English text two" in html
    assert "สรุปไทย" in html
    assert "English summary" in html


def test_officer_publishes_through_the_admin_form(
    staff_client, privacy_officer, v1, draft
):
    client = _admin(staff_client, privacy_officer)
    action = client.post(
        reverse("admin:policy_noticeversion_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    publish_url = reverse("admin:policy_noticeversion_publish", args=[draft.pk])
    assert action["Location"] == publish_url
    form = client.get(publish_url)
    assert form.status_code == 200
    when = timezone.localtime(timezone.now() + timedelta(days=45)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    response = client.post(publish_url, {"effective_at": when})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == NoticeVersion.State.SCHEDULED


def test_admin_refuses_too_short_a_notice_with_a_message(
    staff_client, privacy_officer, v1, draft
):
    client = _admin(staff_client, privacy_officer)
    when = timezone.localtime(timezone.now() + timedelta(days=3)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    response = client.post(
        reverse("admin:policy_noticeversion_publish", args=[draft.pk]),
        {"effective_at": when},
    )
    assert response.status_code == 200
    assert "at least 30 days" in response.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is None


def test_other_staff_cannot_publish(staff_client, finance, v1, draft):
    finance.is_superuser = (
        True  # even with every permission, only the officer publishes
    )
    finance.save()
    client = _admin(staff_client, finance)
    when = timezone.localtime(timezone.now() + timedelta(days=45)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    response = client.post(
        reverse("admin:policy_noticeversion_publish", args=[draft.pk]),
        {"effective_at": when},
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.published_at is None


def test_published_version_is_read_only_and_cannot_be_deleted_in_admin(
    staff_client, privacy_officer, v1
):
    client = _admin(staff_client, privacy_officer)
    change_url = reverse("admin:policy_noticeversion_change", args=[v1.pk])
    page = client.get(change_url).content.decode()
    assert 'name="text_th"' not in page
    assert 'name="_save"' not in page
    assert (
        client.post(
            change_url,
            {
                "label": "1",
                "text_th": "แก้",
                "text_en": "x",
                "summary_th": "x",
                "summary_en": "x",
            },
        ).status_code
        == 403
    )
    response = client.post(
        reverse("admin:policy_noticeversion_delete", args=[v1.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    v1.refresh_from_db()
    assert v1.text_th.startswith("นโยบายส่วนบุคคล")


def test_changelist_shows_acceptances_among_active_customers(
    staff_client, privacy_officer, v1
):
    for n in range(3):
        services.accept_notice(
            CustomerFactory(email=f"c{n}@example.com"), version=v1, source="signup"
        )
    closed = CustomerFactory(email="closed@example.com")
    services.accept_notice(closed, version=v1, source="signup")
    closed.is_active = False
    closed.save()
    client = _admin(staff_client, privacy_officer)
    response = client.get(reverse("admin:policy_noticeversion_changelist"))
    version = next(v for v in response.context["cl"].result_list if v.pk == v1.pk)
    assert version.accepted_active == 3
    assert f"?version__id__exact={v1.pk}" in response.content.decode()


def test_acceptances_export_as_streamed_csv(staff_client, privacy_officer, v1, rf):
    request = rf.post("/", REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="Safari")
    services.accept_notice(
        CustomerFactory(email="x@example.com"),
        version=v1,
        source="signup",
        request=request,
    )
    client = _admin(staff_client, privacy_officer)
    response = client.post(
        reverse("admin:policy_noticeversion_changelist"),
        {"action": "export_acceptances", "_selected_action": [v1.pk]},
    )
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["version", "fingerprint", "accepted_at", "source"]
    assert rows[1][0] == "1"
    assert rows[1][1] == v1.fingerprint
    assert "192.0.2.44" in rows[1]
    assert "Safari" in rows[1]


def test_customers_cannot_reach_the_csv(client, alice, v1):
    client.force_login(alice)
    response = client.get(reverse("admin:policy_noticeversion_export", args=[v1.pk]))
    assert response.status_code == 302  # to the admin login


def test_officer_finds_acceptances_by_email_after_erasure(
    staff_client, privacy_officer, v1
):
    customer = CustomerFactory(email="gone@example.com")
    services.accept_notice(customer, version=v1, source="signup")
    owner.closure_due(customer)
    customer.delete()
    client = _admin(staff_client, privacy_officer)
    url = reverse("admin:policy_acceptance_changelist")
    found = client.get(url, {"q": "Gone@Example.com"})
    assert len(found.context["cl"].result_list) == 1
    assert (
        len(client.get(url, {"q": "other@example.com"}).context["cl"].result_list) == 0
    )
