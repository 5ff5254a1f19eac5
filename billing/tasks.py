from django.tasks import task

from billing import services
from billing.models import Document


@task
def render_document(document_id: int) -> None:
    """Render an issued document to PDF, and email the first rendering to the buyer.

    Run again after a cancellation, it adds the rendering marked ยกเลิก and sends nothing.
    """
    document = Document.objects.select_related("customer").get(pk=document_id)
    first = not document.pdf
    services.render_document_pdf(document)
    if first:
        services.send_document(document)
