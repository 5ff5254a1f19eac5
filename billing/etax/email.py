"""e-Tax Invoice by Email: the document's email also goes to ETAX_BY_EMAIL_CC, and is recorded.

Under the Revenue Department's e-Tax Invoice by Email scheme (for companies below its
revenue threshold) the email that carries the PDF to the buyer is copied to the address
the scheme gives; its Message-ID and the time it was sent are kept with the document.
"""

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.utils import timezone

from billing.etax.builder import type_code
from billing.models import Document, EtaxXml


def send(document: Document, message: EmailMessage) -> None:
    """Send ``message`` (the document's PDF to its buyer), copied and recorded for e-Tax."""
    if settings.ETAX_BY_EMAIL_CC:
        message.cc = [*message.cc, settings.ETAX_BY_EMAIL_CC]
    message_id = make_msgid(domain=str(DNS_NAME))
    message.extra_headers["Message-ID"] = message_id
    message.send()
    EtaxXml.objects.filter(document=document, type_code=type_code(document)).update(
        email_message_id=message_id, emailed_at=timezone.now()
    )
