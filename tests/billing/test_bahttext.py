from decimal import Decimal

import pytest

from billing.bahttext import bahttext
from onespace.thaidates import thai_date, thai_short_date


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "ศูนย์บาทถ้วน"),
        ("21", "ยี่สิบเอ็ดบาทถ้วน"),
        ("10.01", "สิบบาทหนึ่งสตางค์"),
        ("1000000.50", "หนึ่งล้านบาทห้าสิบสตางค์"),
        ("100", "หนึ่งร้อยบาทถ้วน"),
        ("11", "สิบเอ็ดบาทถ้วน"),
        ("101", "หนึ่งร้อยเอ็ดบาทถ้วน"),
        ("0.25", "ยี่สิบห้าสตางค์"),
        ("0.21", "ยี่สิบเอ็ดสตางค์"),
        ("1", "หนึ่งบาทถ้วน"),
        ("1000001", "หนึ่งล้านเอ็ดบาทถ้วน"),
        ("21000000", "ยี่สิบเอ็ดล้านบาทถ้วน"),
        ("3477.54", "สามพันสี่ร้อยเจ็ดสิบเจ็ดบาทห้าสิบสี่สตางค์"),
        ("10.005", "สิบบาทหนึ่งสตางค์"),  # half-up to the satang
    ],
)
def test_bahttext_writes_amounts_in_thai_words(amount, words):
    assert bahttext(Decimal(amount)) == words


def test_bahttext_accepts_decimal_int_and_str():
    assert bahttext(Decimal("100.00")) == bahttext(100) == bahttext("100")


def test_bahttext_never_writes_et_satang_for_one_satang():
    assert "เอ็ดสตางค์" not in bahttext(Decimal("10.01"))


def test_dates_are_printed_in_the_buddhist_era():
    import datetime

    day = datetime.date(2026, 11, 25)
    assert thai_date(day) == "25 พฤศจิกายน 2569"
    assert thai_short_date(day) == "25/11/2569"
