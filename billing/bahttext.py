"""Amounts in Thai words, as printed on tax invoices: 10.01 → สิบบาทหนึ่งสตางค์.

Written here rather than imported: pythainlp refuses ``Decimal`` and the ``bahttext``
package writes เอ็ดสตางค์ for one satang (docs/thai-rules.md).
"""

from decimal import ROUND_HALF_UP, Decimal

DIGITS = ("ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า")
PLACES = ("", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน")
MILLION = "ล้าน"
SATANG = Decimal("0.01")


def _below_million(number: int, *, after_higher: bool = False) -> str:
    """Words for 0 < number < 1,000,000.

    A final one reads เอ็ด when a higher digit precedes it (11 สิบเอ็ด, 101 หนึ่งร้อยเอ็ด,
    1,000,001 หนึ่งล้านเอ็ด); twenty reads ยี่สิบ.
    """
    words = []
    digits = str(number)
    length = len(digits)
    for index, char in enumerate(digits):
        digit = int(char)
        place = length - index - 1
        if digit == 0:
            continue
        if place == 1 and digit == 1:
            words.append("สิบ")
        elif place == 1 and digit == 2:
            words.append("ยี่สิบ")
        elif place == 0 and digit == 1 and (number > 1 or after_higher):
            words.append("เอ็ด")
        else:
            words.append(DIGITS[digit] + PLACES[place])
    return "".join(words)


def number_words(number: int) -> str:
    """Thai words for a non-negative whole number (ศูนย์ for 0)."""
    if number < 0:
        raise ValueError("number_words takes a non-negative number")
    if number == 0:
        return DIGITS[0]
    groups = []
    while number:
        number, group = divmod(number, 1_000_000)
        groups.append(group)
    words = ""
    for position, group in enumerate(reversed(groups)):
        if group:
            words += _below_million(group, after_higher=position > 0)
        if position < len(groups) - 1:
            words += MILLION
    return words


def bahttext(amount: Decimal | int | str) -> str:
    """The amount in baht and satang, rounded half-up to the satang, in Thai words."""
    value = Decimal(amount).quantize(SATANG, rounding=ROUND_HALF_UP)
    sign = ""
    if value < 0:
        sign, value = "ลบ", -value
    baht = int(value)
    satang = int((value - baht) * 100)
    if satang == 0:
        return f"{sign}{number_words(baht)}บาทถ้วน"
    if baht == 0:
        return f"{sign}{number_words(satang)}สตางค์"
    return f"{sign}{number_words(baht)}บาท{number_words(satang)}สตางค์"
