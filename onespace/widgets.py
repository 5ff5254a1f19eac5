"""Form widgets that render long option lists without a template per option.

Django renders every ``<option>`` through its own template include, about a tenth of a
millisecond each: a select of a few hundred options (a customer's open tickets and their
staff, their nodes) cost most of a page's CPU. ``PlainSelect`` writes the same markup in
Python (tests/onespace/test_widgets.py compares it with Django's own).
"""

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def attributes(attrs: dict[str, Any]) -> SafeString:
    """As django/forms/widgets/attrs.html: in order, True bare, False left out."""
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(" {}", name)
                if value is True
                else format_html(' {}="{}"', name, str(value)),
            )
            for name, value in attrs.items()
            if value is not False
        ),
    )


class PlainSelect(forms.Select):
    """A single select without option groups, its options written in Python."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "\n  ",
            '<option value="{}"{}>{}</option>',
            (
                (str(option["value"]), attributes(option["attrs"]), option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        return format_html(
            '<select name="{}"{}>\n  {}\n</select>',
            widget["name"],
            attributes(widget["attrs"]),
            options,
        )
