from django.tasks import task

from billing import services
from billing.models import Document


@task
def render_document(document_id: int) -> None:
    """Render an issued document to PDF once, store it privately and email it to the buyer."""
    document = Document.objects.select_related("customer").get(pk=document_id)
    services.render_document_pdf(document)
    services.send_document(document)
