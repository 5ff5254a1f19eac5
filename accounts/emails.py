"""Three-template emails (subject, text, HTML) rendered in the recipient's language.

Every app sends its emails through here: ``<template>.subject.txt``, ``.txt`` and
``.html`` under ``templates/<app>/email/``, rendered with the recipient's language active.
"""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User


def build_email(
    template: str, context: dict[str, Any], *, language: str, to: list[str]
) -> EmailMultiAlternatives:
    """The message of ``template`` in ``language``, ready for attachments and ``send()``."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"{template}.subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
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
