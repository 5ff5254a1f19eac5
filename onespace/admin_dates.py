"""Buddhist-era dates everywhere in the Thai admin: lists, detail pages, filters' values.

Django's admin prints a date or datetime field through ``display_for_field`` (and a
``@admin.display`` method's date through ``display_for_value``) with the ``th`` locale's
formats, whose year is CE: no format character gives CE + 543. Installed once by the
admin's AppConfig (``accounts.apps.AdminConfig.ready``), these wrappers print Thai dates
with ``onespace.thaidates`` (``25 พ.ย. 2569``, ``25 พ.ย. 2569 14:05:09``: short enough for a list column) when the active
language is Thai and leave every other value, and English, to Django. Datetimes keep
their seconds: staff compare log rows by them.
"""

import datetime
from typing import Any

from django.contrib.admin import helpers, utils
from django.contrib.admin.templatetags import admin_list
from django.db import models
from django.utils import dateformat

from onespace.thaidates import format_date, is_thai, thai_abbreviated_date, to_local

_django_display_for_field = utils.display_for_field
_django_display_for_value = utils.display_for_value


def _thai(value: Any) -> str | None:
    if isinstance(value, datetime.datetime):
        moment = to_local(value)
        return f"{thai_abbreviated_date(moment)} {dateformat.format(moment, 'H:i:s')}"
    if isinstance(value, datetime.date):
        return format_date(value)
    return None


def display_for_field(
    value: Any, field: Any, empty_value_display: str, avoid_link: bool = False
) -> Any:
    """Django's, with Buddhist-era years for date fields on Thai pages."""
    if (
        is_thai()
        and isinstance(field, models.DateField)
        and not getattr(field, "flatchoices", None)
        and (thai := _thai(value)) is not None
    ):
        return thai
    return _django_display_for_field(value, field, empty_value_display, avoid_link)


def display_for_value(
    value: Any, empty_value_display: str, boolean: bool = False
) -> Any:
    """Django's, with Buddhist-era years for dates on Thai pages."""
    if not boolean and is_thai() and (thai := _thai(value)) is not None:
        return thai
    return _django_display_for_value(value, empty_value_display, boolean)


def install() -> None:
    """Use these in the admin's change lists and read-only detail fields."""
    for module in (utils, helpers, admin_list):
        if hasattr(module, "display_for_field"):
            module.display_for_field = display_for_field  # type: ignore[attr-defined]
        if hasattr(module, "display_for_value"):
            module.display_for_value = display_for_value  # type: ignore[attr-defined]
