"""Three-template emails (subject, text, HTML) rendered in the recipient's language."""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User


def send_to_user(
    user: User,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    to: str | None = None,
) -> None:
    """Send ``<template>.subject.txt/.txt/.html`` to ``user`` (or ``to``) in ``user.language``."""
    context = {"user": user, "site_url": settings.SITE_URL, **(context or {})}
    with translation.override(user.language):
        subject = render_to_string(f"{template}.subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, [to or user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()
