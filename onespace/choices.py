"""Labels of a model's choices, translated once per language instead of once per row.

Django's ``get_FOO_display()`` rebuilds a dict of the field's choices and translates the
label on every call; a list of 25–50 log rows with two choice columns did that about a
hundred times a page (the /activity/ pages). ``choice_label`` keeps one dict per choices
class and language for the life of the process (labels are code, not data).
"""

from functools import cache

from django.db import models
from django.utils import translation


@cache
def _labels(choices: type[models.Choices], language: str | None) -> dict[str, str]:
    with translation.override(language):
        return {str(value): str(label) for value, label in choices.choices}


def choice_label(choices: type[models.Choices], value: str) -> str:
    """The label of ``value`` in the active language; the value itself when unknown."""
    return _labels(choices, translation.get_language()).get(value, value)
