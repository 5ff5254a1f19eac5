from django.tasks import task

from billing import services
from billing.etax import generation
from billing.models import Document


@task
def render_document(document_id: int) -> None:
    """Make the e-Tax XML, render the issued document to PDF (the XML inside), email the first.

    Run again after a cancellation, it adds the T07 cancellation note and the rendering
    marked ยกเลิก and sends nothing.
    """
    document = Document.objects.select_related("customer").get(pk=document_id)
    # A note queued with its row may still wait for its number (billing.numbering):
    # nothing is generated, rendered or sent without it.
    services.finish_issue(document)
    first = not document.pdf
    if first:
        generation.generate(document)
    generation.generate_cancellation(document)
    services.render_document_pdf(document)
    if first:
        services.send_document(document)
