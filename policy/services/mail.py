"""Policy emails to a customer, in their language."""

from typing import Any

from django.conf import settings

from accounts.emails import send_to_user


def send_policy_email(customer: Any, template: str, context: dict[str, Any]) -> None:
    """Send ``policy/email/<template>`` to the customer in their language."""
    send_to_user(
        customer,
        f"policy/email/{template}",
        {
            "site": settings.SITE_URL.rstrip("/"),
            "privacy_contact": settings.PRIVACY_CONTACT_EMAIL,
            **context,
        },
    )
