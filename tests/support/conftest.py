"""Fixtures for the support app's tests: real file contents and tickets filed through the service."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from support import services
from support.models import Ticket

# The smallest valid PNG (1x1 transparent pixel).
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def png():
    return upload("screenshot.png", PNG_BYTES, "image/png")


@pytest.fixture
def file_ticket():
    """File a ticket through the service, as the customer pages do."""

    def make(customer, **kwargs) -> Ticket:
        kwargs.setdefault("kind", Ticket.Kind.PROBLEM)
        kwargs.setdefault("subject", "Node will not boot")
        kwargs.setdefault("message", "It stops at the boot loader.")
        return services.file_ticket(customer, **kwargs)

    return make
