"""What text the database can store, decided once (docs/architecture.md: a bad record never blocks good ones).

PostgreSQL refuses NUL characters in text and JSON, and a lone UTF-16 surrogate
(``"\\ud800"`` in JSON, which Python's ``json`` decodes into a ``str``) cannot be encoded
as UTF-8 at all; SQLite stores the first and fails on the second. Input that a person
typed or an API client sent is *refused* with ``unstorable_reason`` (forms and
serializers word the error); values the portal itself records about a request (the
audit log's path, user agent, attempted email...) are *escaped* with ``storable_text``
and ``storable_json``, so the evidence is kept and cannot poison a bulk write.
"""

import json
import math
from typing import Any

from django.utils.translation import gettext_lazy as _

# Django's own wording for NUL (its Thai catalogue lacks a translation; ours has it).
NUL_MESSAGE = _("Null characters are not allowed.")
SURROGATE_MESSAGE = _("Lone surrogate characters are not allowed.")


def _has_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def unstorable_reason(text: str) -> Any:
    """The message to show when ``text`` cannot be stored as given, else None."""
    if "\x00" in text:
        return NUL_MESSAGE
    if _has_surrogate(text):
        return SURROGATE_MESSAGE
    return None


def storable_text(text: str) -> str:
    """``text`` with NUL written as ``\\x00`` and each lone surrogate as ``\\udXXX``."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if _has_surrogate(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


# Text in ``json.dumps``'s ASCII output that may need ``storable_json``'s changes: NUL,
# a surrogate, a float written with an exponent (1e+16 and up) or a non-finite one.
_MARKERS = ("\\u0000", "\\ud", "e+", "Infinity", "NaN")
_ascii_json = json.JSONEncoder(default=str).encode


def storable_json(value: Any) -> Any:
    """A JSON value whose strings (keys too) are ``storable_text`` and whose numbers PostgreSQL's jsonb gives back unchanged."""
    try:
        text = _ascii_json(value)
    except (ValueError, TypeError, RecursionError):
        text = None
    if text is not None and not any(marker in text for marker in _MARKERS):
        # The usual case, decided by one pass of the C encoder.
        return value
    return _storable_json(value)


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {
            storable_text(str(key)): _storable_json(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_storable_json(item) for item in value]
    if isinstance(value, float):
        if not math.isfinite(value):
            # jsonb has no infinity or NaN: keep the fact as text.
            return str(value)
        if value.is_integer() and abs(value) >= 1e16:
            # Python writes 1e+16 where jsonb gives back 10000000000000000 (an int):
            # store the int so the row's hash still matches what is read back.
            return int(value)
    return value
