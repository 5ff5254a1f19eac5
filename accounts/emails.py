"""Three-template emails (subject, text, HTML) rendered in the recipient's language.

Every app sends its emails through here: ``<template>.subject.txt``, ``.txt`` and
``.html`` under ``templates/<app>/email/``, rendered with the recipient's language active.
"""

import email.message
import email.policy
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User

# RFC 5322 s.2.1.1: a line of a message is at most 998 octets. Up to that, a text part is
# sent as it is (8bit); a longer line is quoted-printable.
MAX_8BIT_LINE = 998


class ReadableEmail(EmailMultiAlternatives):
    """A message whose Thai text parts are 8bit, readable as sent, never base64.

    Python's email package base64-encodes a UTF-8 part whose lines are longer than 78
    octets, which Thai text always is (three octets a character): the console backend
    under ``make run`` then shows no readable word and no link. Parts are sent 8bit
    instead (every mail server of the last twenty years takes 8BITMIME), or
    quoted-printable when a line is too long for SMTP; attachments keep their encoding.
    """

    def message(self, *, policy: email.policy.Policy = email.policy.default) -> Any:
        msg = super().message(policy=policy)
        for part in msg.walk():
            if (
                part.get_content_maintype() == "text"
                and not part.is_attachment()
                and part.get("Content-Transfer-Encoding") == "base64"
            ):
                _reencode(part)
        return msg


def _reencode(part: email.message.EmailMessage) -> None:
    text = part.get_content()
    longest = max((len(line.encode()) for line in text.splitlines()), default=0)
    part.set_content(
        text,
        subtype=part.get_content_subtype(),
        charset="utf-8",
        cte="8bit" if longest <= MAX_8BIT_LINE else "quoted-printable",
    )


def build_email(
    template: str, context: dict[str, Any], *, language: str, to: list[str]
) -> ReadableEmail:
    """The message of ``template`` in ``language``, ready for attachments and ``send()``."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"{template}.subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = ReadableEmail(
        " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, to
    )
    message.attach_alternative(html, "text/html")
    return message


def send_to_user(
    user: User,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    to: str | None = None,
) -> None:
    """Send ``template`` to ``user`` (or to the address ``to``) in ``user.language``."""
    build_email(
        template,
        {"user": user, **(context or {})},
        language=user.language,
        to=[to or user.email],
    ).send()
