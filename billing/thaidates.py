"""Dates in the Buddhist era as Thai tax documents print them (Django's th locale prints CE years)."""

import datetime

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
