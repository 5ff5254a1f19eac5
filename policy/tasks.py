"""Background work of the policy app: announcing a new notice version by email."""

from django.tasks import task

from policy import services
from policy.models import NoticeVersion


@task
def announce_version(version_id: int) -> int:
    """Split the active customers into batches and queue one email task per batch."""
    version = NoticeVersion.objects.get(pk=version_id)
    return services.announce_version(version)


@task
def send_notice_batch(version_id: int, customer_ids: list[int]) -> int:
    """Email one batch of customers about a version; already-notified ones are skipped."""
    version = NoticeVersion.objects.get(pk=version_id)
    return services.send_notice_batch(version, customer_ids)
