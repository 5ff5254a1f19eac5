"""What the record of processing (PDPA s.39) says beyond the registry: security measures."""

from django.utils.translation import gettext_lazy as _

# PDPA s.39(1)(8): a general description of the security measures (s.37(1)). Each line
# names something the portal's code or configuration does, so it stays true.
SECURITY_MEASURES = (
    _(
        "Staff reach personal data only after a second factor (authenticator app), "
        "and every staff read of a customer's data is logged and shown to the customer."
    ),
    _(
        "Passwords are stored as salted hashes, expire after 90 days and the last five "
        "cannot be reused; sign-in locks after repeated failures."
    ),
    _(
        "Access and security logs are hash-chained and anchored daily outside the "
        "database, so a changed or deleted row is detected."
    ),
    _(
        "Proof records (acceptances, consents, erasures, tax documents, logs) are "
        "append-only: the database refuses changes from the application itself, which "
        "runs as a role that owns no table."
    ),
    _(
        "Invoices, attachments and data exports are kept outside the web root and "
        "served only to their owner or to staff with the second factor."
    ),
    _("Connections are encrypted (HTTPS with HSTS and secure cookies in production)."),
    _(
        "Personal data is kept only for the retention period of its category; a daily "
        "purge deletes or anonymises the rest, except what a legal hold keeps."
    ),
)
