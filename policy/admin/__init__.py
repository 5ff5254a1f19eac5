"""The policy app's admin, one module per concern (importing them registers the admins)."""

from policy.admin import breaches, holds, marketing, notice, requests, rights

__all__ = ["breaches", "holds", "marketing", "notice", "requests", "rights"]
