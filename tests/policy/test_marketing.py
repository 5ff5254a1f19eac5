"""Marketing email goes only to consenting customers and stops with one click (RFC 8058)."""

import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from policy import services
from policy.models import ConsentRecord, MarketingDelivery, MarketingEmail
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

MARKETING = ConsentRecord.Purpose.MARKETING_EMAIL


def _consent(customer, given=True):
    services.set_consent(customer, purpose=MARKETING, is_given=given, source="signup")


@pytest.fixture
def newsletter():
    return MarketingEmail.objects.create(
        subject_th="ข่าวใหม่จาก OneSpace",
        body_th="โหนดรุ่นใหม่พร้อมแล้ว",
        subject_en="News from OneSpace",
        body_en="New nodes are ready",
    )


@pytest.fixture
def audience(alice, bob):
    """Alice consents; Bob never did; Carol consents but objected; Dan withdrew."""
    carol = CustomerFactory(email="carol@example.com")
    dan = CustomerFactory(email="dan@example.com", language="en")
    for customer in (alice, carol, dan):
        _consent(customer)
    services.record_objection(carol, purpose="marketing")
    _consent(dan, given=False)
    return {"alice": alice, "bob": bob, "carol": carol, "dan": dan}


def test_only_consenting_unrestricted_customers_receive_it(
    audience, newsletter, staff_client, django_capture_on_commit_callbacks
):
    assert list(services.marketing_recipients()) == [audience["alice"]]
    admin_user = CustomerFactory(
        email="marketing@onespace.test", is_staff=True, is_superuser=True
    )
    client = staff_client(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:policy_marketingemail_changelist"),
            {"action": "send_to_consenting", "_selected_action": [newsletter.pk]},
        )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "ข่าวใหม่จาก OneSpace"
    assert "โหนดรุ่นใหม่พร้อมแล้ว" in message.body
    url = services.unsubscribe_url(audience["alice"])
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert (
        message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )
    assert url in message.body
    # Sending again sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.queue_marketing_email(newsletter) == 0
    assert len(mail.outbox) == 1


def test_withdrawal_between_queueing_and_sending_is_honoured(audience, newsletter):
    alice = audience["alice"]
    _consent(alice, given=False)
    assert services.send_marketing_email(newsletter, alice) is False
    assert not MarketingDelivery.objects.exists()
    assert mail.outbox == []


def test_one_click_post_withdraws_consent_without_signing_in(audience, newsletter):
    alice = audience["alice"]
    services.send_marketing_email(newsletter, alice)
    header = mail.outbox[0].extra_headers["List-Unsubscribe"]
    path = urlparse(re.match(r"<(.+)>", header).group(1)).path
    # What a mail provider sends (RFC 8058): a POST with this body, no cookie, no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not services.has_consent(alice, MARKETING)
    latest = ConsentRecord.objects.latest_for(alice, MARKETING)
    assert latest.source == ConsentRecord.Source.UNSUBSCRIBE_LINK
    assert latest.is_given is False
    assert list(services.marketing_recipients()) == []


def test_following_the_link_only_shows_the_button(audience, client):
    alice = audience["alice"]
    url = reverse("policy:unsubscribe", args=[services.unsubscribe_token(alice)])
    response = client.get(url)
    assert response.status_code == 200
    assert 'id="unsubscribe-form"' in response.content.decode()
    assert services.has_consent(alice, MARKETING)


def test_a_forged_token_changes_nothing(audience, client):
    token = services.unsubscribe_token(audience["alice"])
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    response = client.post(reverse("policy:unsubscribe", args=[forged]))
    assert response.status_code == 404
    assert services.has_consent(audience["alice"], MARKETING)
