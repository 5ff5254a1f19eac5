"""Recognise an uploaded file by its content (magic bytes), never by its name alone.

A file is accepted only when its content is one of the allowed types *and* its name
ends with an extension of that same type: a ``.png`` holding a PDF or a Windows
executable is refused.
"""

from django.core.files.uploadedfile import UploadedFile

PNG = "image/png"
JPEG = "image/jpeg"
PDF = "application/pdf"
TEXT = "text/plain"

EXTENSIONS = {
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    PDF: (".pdf",),
    TEXT: (".txt", ".log"),
}

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"%PDF-", PDF),
)

# How much of a text file is checked for being text.
_TEXT_SAMPLE = 64 * 1024


def sniff(upload: UploadedFile) -> str | None:
    """Return the allowed MIME type the content matches, or None."""
    upload.seek(0)
    head = upload.read(_TEXT_SAMPLE)
    upload.seek(0)
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if _looks_like_text(head):
        return TEXT
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    if head.startswith((b"MZ", b"\x7fELF", b"PK\x03\x04")):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may cut a multi-byte character in two at its end.
        if error.start < len(head) - 3:
            return False
    return True


def matches_name(mime: str, name: str) -> bool:
    """True when ``name`` carries an extension of type ``mime``."""
    return name.lower().endswith(EXTENSIONS[mime])
