"""``{{ version.text|reflow }}``: the notice's text as paragraphs and list items."""

from django import template
from django.utils.safestring import SafeString

from policy.notice_text import reflow as reflow_text

register = template.Library()


@register.filter
def reflow(text: str) -> SafeString:
    """The notice text without its hard line breaks (policy/notice_text.py)."""
    return reflow_text(text or "")
