"""e-Tax Invoice by Email: the PDF's email is copied to ETAX_BY_EMAIL_CC and recorded."""

import datetime

from django.core import mail

from billing import services
from billing.models import EtaxXml
from tests.billing.conftest import HOSTING

CC = "csemail@etax.example.th"


def issue(profile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.create_billing_note(profile, lines=HOSTING)


def test_the_document_email_is_copied_and_its_message_id_and_time_stored(
    settings, alice_profile, django_capture_on_commit_callbacks
):
    settings.ETAX_BY_EMAIL_CC = CC
    mail.outbox.clear()
    note = issue(alice_profile, django_capture_on_commit_callbacks)
    (sent,) = mail.outbox
    assert sent.to == [alice_profile.email]
    assert sent.cc == [CC]
    assert sent.attachments[0][0] == f"{note.number}.pdf"
    record = EtaxXml.objects.get(document=note)
    message_id = sent.message()["Message-ID"]
    assert message_id
    assert record.email_message_id == message_id
    assert record.emailed_at is not None
    assert abs(record.emailed_at - datetime.datetime.now(tz=datetime.UTC)) < (
        datetime.timedelta(minutes=1)
    )


def test_without_the_setting_nobody_is_copied(
    settings, alice_profile, django_capture_on_commit_callbacks
):
    settings.ETAX_BY_EMAIL_CC = ""
    mail.outbox.clear()
    note = issue(alice_profile, django_capture_on_commit_callbacks)
    (sent,) = mail.outbox
    assert sent.cc == []
    assert (
        EtaxXml.objects.get(document=note).email_message_id
        == sent.message()["Message-ID"]
    )
