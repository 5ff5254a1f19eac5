"""Dates shown to people: Buddhist era in Thai, Bangkok time, English months in English."""

import datetime

import pytest
from django.template import engines
from django.utils import translation

from onespace import thaidates

UTC = datetime.UTC
# 17:30 UTC on 24 Nov is already 00:30 on 25 Nov in Bangkok (UTC+7).
NEAR_MIDNIGHT = datetime.datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
AFTERNOON = datetime.datetime(2026, 11, 25, 7, 5, tzinfo=UTC)  # 14:05 in Bangkok


def render(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize(
    ("language", "source", "value", "expected"),
    [
        ("th", "{{ v|localdate }}", datetime.date(2026, 11, 25), "25 พ.ย. 2569"),
        ("th", "{{ v|localdate }}", NEAR_MIDNIGHT, "25 พ.ย. 2569"),
        ("th", "{{ v|localdatetime }}", AFTERNOON, "25 พฤศจิกายน 2569 14:05"),
        ("th", "{{ v|localdatetime }}", NEAR_MIDNIGHT, "25 พฤศจิกายน 2569 00:30"),
        (
            "th",
            '{{ v|localdatetime:"seconds" }}',
            AFTERNOON,
            "25 พฤศจิกายน 2569 14:05:00",
        ),
        ("en", "{{ v|localdate }}", datetime.date(2026, 11, 25), "25 Nov 2026"),
        ("en", "{{ v|localdate }}", NEAR_MIDNIGHT, "25 Nov 2026"),
        ("en", "{{ v|localdatetime }}", AFTERNOON, "25 November 2026 14:05"),
        ("en", "{{ v|localdatetime }}", NEAR_MIDNIGHT, "25 November 2026 00:30"),
    ],
)
def test_date_filters_in_both_languages(language, source, value, expected):
    with translation.override(language):
        assert render(source, v=value) == expected


def test_date_filters_print_nothing_for_a_missing_date():
    with translation.override("th"):
        assert render("[{{ v|localdate }}|{{ v|localdatetime }}]", v=None) == "[|]"


def test_date_filters_follow_the_timezone_tag():
    source = '{% load tz %}{% timezone "UTC" %}{{ v|localdatetime }}{% endtimezone %}'
    with translation.override("th"):
        assert render(source, v=NEAR_MIDNIGHT) == "24 พฤศจิกายน 2569 17:30"


def test_every_thai_month_has_a_name_and_an_abbreviation():
    assert len(thaidates.MONTHS) == len(thaidates.MONTHS_SHORT) == 12
    assert thaidates.thai_abbreviated_date(datetime.date(2027, 1, 1)) == "1 ม.ค. 2570"
