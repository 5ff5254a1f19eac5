"""Reactions to the accounts app: an account that goes leaves its proof behind, unnamed."""

from typing import Any

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from policy.models import Acceptance, ConsentRecord


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def pseudonymise_records(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Before an account is deleted, detach its acceptances and consents from the person.

    The records stay the company's proof (policy clause 3, PDPA s.19) under the keyed hash
    of the email address; the address and browser go with the account.
    """
    Acceptance.objects.filter(customer_id=instance.pk).pseudonymise()
    ConsentRecord.objects.filter(customer_id=instance.pk).pseudonymise()
