"""The policy app's admin, one module per concern (importing them registers the admins)."""

from policy.admin import breaches, notice, rights

__all__ = ["breaches", "notice", "rights"]
