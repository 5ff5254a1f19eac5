import pytest
from django.core import mail

from billing import services
from billing.checks import check_seller
from tests.billing.conftest import HOSTING


def test_seller_settings_pass_the_checks():
    assert check_seller() == []


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ({"tax_id": "0107536000316"}, "billing.E002"),
        ({"branch": "1"}, "billing.E003"),
        ({"name": ""}, "billing.E001"),
    ],
)
def test_bad_seller_settings_are_reported(settings, change, error_id):
    settings.BILLING_SELLER = {**settings.BILLING_SELLER, **change}
    assert error_id in [error.id for error in check_seller()]


def test_email_is_in_the_customers_language(
    alice, alice_profile, django_capture_on_commit_callbacks
):
    alice.language = "en"
    alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        note = services.create_billing_note(alice_profile, lines=HOSTING)
    message = mail.outbox[-1]
    assert message.subject == f"ใบแจ้งหนี้ {note.number} from OneSpace"
    assert "This is a bill, not a tax invoice" in message.body
    assert message.alternatives[0].mimetype == "text/html"


def test_email_is_thai_by_default(alice_profile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.create_billing_note(alice_profile, lines=HOSTING)
    message = mail.outbox[-1]
    assert message.subject == f"ใบแจ้งหนี้ เลขที่ {note.number} จาก OneSpace"
    assert "ไม่ใช่ใบกำกับภาษี" in message.body
