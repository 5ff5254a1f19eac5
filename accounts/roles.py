"""Names of the staff groups, created by migration accounts.0002."""

SUPPORT = "Support"
SECURITY_AUDITOR = "Security auditor"
FINANCE = "Finance"
PRIVACY_OFFICER = "Privacy officer"

ALL = (SUPPORT, SECURITY_AUDITOR, FINANCE, PRIVACY_OFFICER)
