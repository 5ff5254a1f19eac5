"""Pseudonyms: keyed hashes of email addresses that outlive the account (PDPA s.33).

An acceptance, a consent or an erasure record keeps ``pseudonym`` (HMAC-SHA256 of the
lower-cased address) and ``pseudonym_key_id`` (which key made it). The key is
``PSEUDONYM_KEY``; without it, one derived from ``SECRET_KEY`` (development only).
Rotating either keeps "did this address accept?" answerable: a look-up hashes the
address with every configured key (``PSEUDONYM_KEY``, ``PSEUDONYM_KEYS_OLD``, and the
keys derived from ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``, which made the pseudonyms
of rows written before ``PSEUDONYM_KEY`` existed) and matches any of them.

Pseudonyms are computed here, in Python; the database's ``policy_pseudonymise()`` only
detaches rows from the person and never hashes anything.
"""

import hashlib

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "policy.acceptance.pseudonym"


def _keys() -> list[str]:
    """Every key a stored pseudonym may have been made with, the current one first."""
    keys = [settings.PSEUDONYM_KEY or settings.SECRET_KEY]
    keys += list(settings.PSEUDONYM_KEYS_OLD)
    keys += [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    return list(dict.fromkeys(key for key in keys if key))


def key_id(key: str) -> str:
    """A short public name of ``key`` (never enough to recover it)."""
    return hashlib.sha256(f"onespace.pseudonym-key:{key}".encode()).hexdigest()[:12]


def current_key_id() -> str:
    """The id of the key new pseudonyms are made with (the default of the column)."""
    return key_id(_keys()[0])


def pseudonym_with(key: str, email: str) -> str:
    return salted_hmac(
        SALT, email.strip().lower(), secret=key, algorithm="sha256"
    ).hexdigest()


def pseudonym_of(email: str) -> str:
    """The pseudonym a new record gets: the current key's hash of the address."""
    return pseudonym_with(_keys()[0], email)


def pseudonyms_of(email: str) -> list[str]:
    """The address's pseudonym under every configured key, for look-ups."""
    return [pseudonym_with(key, email) for key in _keys()]
