"""Dates as Thai readers expect them: Buddhist era (CE + 543), Thai month names.

Django's ``th`` locale prints CE years, so every Thai page and document formats its
dates here (DESIGN.md, "Thai rules"). Datetimes are shown in the current time zone
(Asia/Bangkok unless a template says otherwise).
"""

import datetime

from django.utils import dateformat, timezone, translation

MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
MONTHS_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
BE_OFFSET = 543


def buddhist_year(day: datetime.date) -> int:
    """The Buddhist-era year of ``day`` (CE + 543)."""
    return day.year + BE_OFFSET


def thai_date(day: datetime.date) -> str:
    """``day`` as ``25 พฤศจิกายน 2569``."""
    return f"{day.day} {MONTHS[day.month - 1]} {buddhist_year(day)}"


def thai_short_date(day: datetime.date) -> str:
    """``day`` as ``25/11/2569``."""
    return f"{day.day:02d}/{day.month:02d}/{buddhist_year(day)}"


def thai_abbreviated_date(day: datetime.date) -> str:
    """``day`` as ``25 พ.ย. 2569``."""
    return f"{day.day} {MONTHS_SHORT[day.month - 1]} {buddhist_year(day)}"


def to_local(value: datetime.date) -> datetime.date:
    """An aware datetime in the current time zone; a date or naive datetime as is."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def is_thai() -> bool:
    """Whether the active language is Thai."""
    return (translation.get_language() or "").startswith("th")


def format_date(value: datetime.date) -> str:
    """The (local) date for a reader: ``25 พ.ย. 2569`` in Thai, ``25 Nov 2026`` otherwise."""
    day = to_local(value)
    if is_thai():
        return thai_abbreviated_date(day)
    return dateformat.format(day, "j M Y")


def format_datetime(value: datetime.datetime, *, seconds: bool = False) -> str:
    """The local date and time for a reader: ``25 พฤศจิกายน 2569 14:05`` in Thai,
    ``25 November 2026 14:05`` otherwise."""
    moment = to_local(value)
    clock = "H:i:s" if seconds else "H:i"
    if is_thai():
        return f"{thai_date(moment)} {dateformat.format(moment, clock)}"
    return dateformat.format(moment, f"j F Y {clock}")


def format_month(value: datetime.date) -> str:
    """A month for a reader: ``พ.ย. 2569`` in Thai, ``Nov 2026`` otherwise."""
    if is_thai():
        return f"{MONTHS_SHORT[value.month - 1]} {buddhist_year(value)}"
    return dateformat.format(value, "M Y")
