"""Buddhist-era dates everywhere in the Thai admin: lists, detail pages, filters' values,
and the date inputs of its forms (25/11/2569, read back as CE).

Django's admin prints a date or datetime field through ``display_for_field`` (and a
``@admin.display`` method's date through ``display_for_value``) with the ``th`` locale's
formats, whose year is CE: no format character gives CE + 543. Installed once by the
admin's AppConfig (``accounts.apps.AdminConfig.ready``), these wrappers print Thai dates
with ``onespace.thaidates`` (``25 พ.ย. 2569``, ``25 พ.ย. 2569 14:05:09``: short enough for a list column) when the active
language is Thai and leave every other value, and English, to Django. Datetimes keep
their seconds: staff compare log rows by them.
"""

import datetime
import re
from typing import Any

from django import forms
from django.contrib.admin import helpers, options, utils, widgets
from django.contrib.admin.templatetags import admin_list
from django.db import models
from django.utils import dateformat

from onespace.thaidates import (
    BE_OFFSET,
    format_date,
    is_thai,
    thai_abbreviated_date,
    thai_short_date,
    to_local,
)

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


# Date inputs. On a Thai page the admin's date input shows 25/11/2569 and its calendar
# writes the picked day the same way (static/js/admin_be_calendar.js). The field reads a
# four-digit year from 2400 to 2799 as Buddhist era (CE 1857 to 2256: no date the portal
# keeps), so a staff member may type either era; the database keeps CE.
_BE_YEAR = re.compile(r"(?<!\d)(2[4-7]\d\d)(?!\d)")


def common_era(value: str) -> str:
    """``value`` with a Buddhist-era year (2400–2799) given as CE."""
    return _BE_YEAR.sub(lambda year: str(int(year[1]) - BE_OFFSET), value)


class BuddhistEraDateField(forms.DateField):
    """A date typed with a Buddhist-era or CE year."""

    def to_python(self, value: Any) -> datetime.date | None:
        if isinstance(value, str):
            value = common_era(value.strip())
        return super().to_python(value)


class BuddhistEraSplitDateTimeField(forms.SplitDateTimeField):
    """Django's date-and-time pair, its date typed with a Buddhist-era or CE year."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        date_field = self.fields[0]
        self.fields = (
            BuddhistEraDateField(
                input_formats=kwargs.get("input_date_formats"),
                error_messages=date_field.error_messages,
                localize=date_field.localize,
                required=date_field.required,
            ),
            self.fields[1],
        )


class BuddhistEraDateWidget(widgets.AdminDateWidget):
    """The admin's date input, showing 25/11/2569 on Thai pages."""

    def format_value(self, value: Any) -> str | None:
        if is_thai() and isinstance(value, datetime.date):
            return thai_short_date(value)
        return super().format_value(value)


class BuddhistEraSplitDateTime(widgets.AdminSplitDateTime):
    """The admin's date-and-time inputs, the date in the Buddhist era on Thai pages."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.widgets = [BuddhistEraDateWidget(), self.widgets[1]]  # type: ignore[assignment]


_STOCK_WIDGETS: dict[type[models.Field[Any, Any]], type[forms.Widget]] = {
    models.DateField: widgets.AdminDateWidget,
    models.DateTimeField: widgets.AdminSplitDateTime,
}
_BUDDHIST_ERA_INPUTS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.DateField: {
        "form_class": BuddhistEraDateField,
        "widget": BuddhistEraDateWidget,
    },
    models.DateTimeField: {
        "form_class": BuddhistEraSplitDateTimeField,
        "widget": BuddhistEraSplitDateTime,
    },
}


def _install_date_inputs() -> None:
    """Every admin's date and date-and-time inputs take the Buddhist era: the defaults
    (read by inlines, made per request) and each registered admin's copy of them."""
    from django.contrib import admin

    options.FORMFIELD_FOR_DBFIELD_DEFAULTS.update(_BUDDHIST_ERA_INPUTS)
    for model_admin in admin.site._registry.values():
        overrides: dict[Any, Any] = model_admin.formfield_overrides  # type: ignore[assignment]
        for db_field, stock in _STOCK_WIDGETS.items():
            override = overrides.get(db_field, {})
            if override.get("widget") is stock:
                overrides[db_field] = {
                    **override,
                    **_BUDDHIST_ERA_INPUTS[db_field],
                }


_django_date_hierarchy = admin_list.date_hierarchy
_CE_YEAR = re.compile(r"(?<!\d)((?:19|20|21)\d\d)(?!\d)")


def buddhist_era_years(title: Any) -> Any:
    """A date hierarchy link's title ("2026", "พฤศจิกายน 2026") with its year in BE."""
    if not isinstance(title, str):
        return title  # "All dates", a lazy translation
    return _CE_YEAR.sub(lambda year: str(int(year[1]) + BE_OFFSET), title)


def date_hierarchy(cl: Any) -> Any:
    """Django's year/month/day links above a change list, years in BE on Thai pages."""
    hierarchy = _django_date_hierarchy(cl)
    if hierarchy and is_thai():
        for link in (hierarchy.get("back"), *hierarchy.get("choices", ())):
            if link:
                link["title"] = buddhist_era_years(link["title"])
    return hierarchy


def install() -> None:
    """Use these in the admin's change lists and read-only detail fields, and the
    Buddhist-era date inputs in its forms."""
    _install_date_inputs()
    admin_list.date_hierarchy = date_hierarchy
    for module in (utils, helpers, admin_list):
        if hasattr(module, "display_for_field"):
            module.display_for_field = display_for_field  # type: ignore[attr-defined]
        if hasattr(module, "display_for_value"):
            module.display_for_value = display_for_value  # type: ignore[attr-defined]
