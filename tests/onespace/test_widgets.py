"""PlainSelect writes what Django's Select template writes, faster."""

import re

import pytest
from django import forms

from onespace.widgets import PlainSelect

CHOICES = [
    ("", "---------"),
    ("ticket:1", 'ทีมที่ดูแลคำร้อง T-000001 (<b>เครื่อง</b> & "ดิสก์")'),
    ("staff:12:1", "Support #12 only"),
    (7, "a number"),
]


def _form(widget, **kwargs):
    class Form(forms.Form):
        who = forms.ChoiceField(
            choices=CHOICES, widget=widget, help_text="Pick one", **kwargs
        )

    return Form


def _tags(html: str) -> str:
    """Markup with the whitespace between tags dropped (Django's template adds some)."""
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize(
    "data", [None, {"who": "staff:12:1"}, {"who": "7"}, {"who": "nope"}]
)
@pytest.mark.parametrize("required", [True, False])
def test_plain_select_renders_what_djangos_select_renders(data, required):
    ours = _form(PlainSelect, required=required)(data)
    django = _form(forms.Select, required=required)(data)
    if data:
        assert ours.is_valid() == django.is_valid()
    assert _tags(str(ours["who"])) == _tags(str(django["who"]))
    # The label's text is escaped, the selected option marked.
    assert "&lt;b&gt;" in str(ours["who"])
    if data and data["who"] != "nope":
        assert re.search(rf'<option value="{data["who"]}" selected>', str(ours["who"]))
