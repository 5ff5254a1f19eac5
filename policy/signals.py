"""Signals the policy app defines for every app that holds personal data."""

from django.dispatch import Signal

# Policy clause 2: a staff member read a customer's personal data outside admin's
# record page (a PDF, a download, an export, a search). Sent with ``request``,
# ``subject_id`` (the customer) and ``object_label`` ("billing.document:12");
# auditlog records it as a security event the customer sees under /activity/.
personal_data_viewed = Signal()

# Sent by the daily maintenance task (policy.tasks.run_daily_maintenance) after the
# retention purge. Receivers return a dict of counts for the run's report; auditlog
# verifies its chains against the anchors and writes today's anchor.
daily_maintenance = Signal()


def staff_read(request: object, *, subject_id: int | None, object_label: str) -> None:
    """Report that the signed-in staff member read ``subject_id``'s personal data."""
    user = getattr(request, "user", None)
    if user is None or not user.is_staff or subject_id == user.pk:
        return
    personal_data_viewed.send(
        sender=None, request=request, subject_id=subject_id, object_label=object_label
    )
