"""Background work of the support app."""

from django.tasks import task

from support import services
from support.models import Message


@task
def send_reply_email(message_id: int) -> None:
    """Email the customer about a staff reply or access-grant request."""
    message = (
        Message.objects.select_related("ticket__customer").filter(pk=message_id).first()
    )
    if message is not None:
        services.email_reply(message)
