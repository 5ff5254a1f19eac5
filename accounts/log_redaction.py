"""A logging filter that hides the secret part of emailed links in request log lines.

Verification and password-reset links carry a token in their path, and request logs
(runserver's ``django.server``, or a proxy's) print paths. Issue 3: nothing in the
application log contains a token.
"""

import logging
import re

_SECRET_PATH = re.compile(r"(/accounts/(?:verify|password/reset)/)[^\s\"'?]+")


def redact(text: str) -> str:
    """``text`` with the token part of verification and reset paths replaced by ``…``."""
    return _SECRET_PATH.sub(r"\1…", text)


class RedactSecretLinks(logging.Filter):
    """Rewrites a record's message and arguments so no link token reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                key: redact(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        return True
