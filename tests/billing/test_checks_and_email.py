import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from billing import services
from billing.checks import check_seller, check_seller_is_not_the_example
from billing.models import Document, NumberSeries
from tests.billing.conftest import HOSTING
from tests.factories import BillingProfileFactory


def test_seller_settings_pass_the_checks():
    assert check_seller() == []


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ({"tax_id": "0107536000316"}, "billing.E002"),
        ({"tax_id": "0-1055-58000-01-4"}, "billing.E002"),  # valid, but not 13 digits
        ({"tax_id": "๐๑๐๕๕๕๘๐๐๐๐๑๔"}, "billing.E002"),  # Thai digits
        ({"branch": "1"}, "billing.E003"),
        ({"branch": "๐๐๐๐๐"}, "billing.E003"),
        ({"name": ""}, "billing.E001"),
        ({"address": " "}, "billing.E001"),
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


def test_the_example_seller_fails_the_deploy_check(settings):
    assert check_seller_is_not_the_example() == []
    settings.BILLING_SELLER = {**settings.BILLING_SELLER, "tax_id": "0107536000315"}
    assert [error.id for error in check_seller_is_not_the_example()] == ["billing.E004"]


def test_the_example_seller_refuses_to_issue_outside_debug(settings, alice_profile):
    settings.BILLING_SELLER = {**settings.BILLING_SELLER, "tax_id": "0107536000315"}
    settings.DEBUG = False
    with pytest.raises(ValidationError) as refused:
        services.create_billing_note(alice_profile, lines=HOSTING)
    assert "BILLING_SELLER_TAX_ID" in refused.value.messages[0]
    assert not Document.objects.exists()
    assert not NumberSeries.objects.exists()
    settings.DEBUG = True  # development may issue with the example
    assert services.create_billing_note(alice_profile, lines=HOSTING).number


def test_email_greets_a_company_by_its_name(
    alice_profile, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.create_billing_note(alice_profile, lines=HOSTING)
    message = mail.outbox[-1]
    assert message.body.startswith("เรียน บริษัท อลิซ คลาวด์ จำกัด")
    assert "คุณบริษัท" not in message.body


def test_email_greets_a_person_as_khun(alice, django_capture_on_commit_callbacks):
    person = BillingProfileFactory(
        customer=alice, legal_name="สมชาย ใจดี", tax_id="3100600445635", branch=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.create_billing_note(person, lines=HOSTING)
    message = mail.outbox[-1]
    assert message.body.startswith("เรียน คุณสมชาย ใจดี")
    assert "เรียน คุณสมชาย ใจดี" in message.alternatives[0].content
    alice.language = "en"
    alice.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        services.create_billing_note(person, lines=HOSTING)
    assert mail.outbox[-1].body.startswith("Dear สมชาย ใจดี,")
