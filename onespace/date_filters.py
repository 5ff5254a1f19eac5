"""Template filters for dates shown to people, loaded into every template (builtins).

``{{ ticket.due_on|localdate }}`` and ``{{ message.created_at|localdatetime }}`` print
Buddhist-era years on Thai pages, which Django's ``date`` filter cannot.
"""

import datetime

from django import template

from onespace import thaidates

register = template.Library()


@register.filter
def localdate(value: datetime.date | None) -> str:
    """The local date: ``25 พ.ย. 2569`` in Thai, ``25 Nov 2026`` in English."""
    if not isinstance(value, datetime.date):
        return ""
    return thaidates.format_date(value)


@register.filter
def localdatetime(value: datetime.datetime | None, arg: str = "") -> str:
    """The local date and time: ``25 พฤศจิกายน 2569 14:05``; ``|localdatetime:"seconds"``
    adds the seconds."""
    if not isinstance(value, datetime.date):
        return ""
    if not isinstance(value, datetime.datetime):
        return thaidates.format_date(value)
    return thaidates.format_datetime(value, seconds=arg == "seconds")


@register.filter
def localmonth(value: datetime.date | None) -> str:
    """A month: ``พ.ย. 2569`` in Thai, ``Nov 2026`` in English."""
    if not isinstance(value, datetime.date):
        return ""
    return thaidates.format_month(value)
