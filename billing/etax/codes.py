"""TISI address codes (province 2 digits, district 4, sub-district 6) from ETDA's code lists.

The code lists are read at run time from ``settings.ETAX_SCHEMA_DIR`` (ETDA's release, not
copied into the project), the folder the XML is validated against: the profile form maps the
names a customer types, and the builder maps a frozen address whose code was not stored.
Without them no address maps and the XML is built unvalidated.
"""

import functools
import re
from pathlib import Path

from django.conf import settings
from lxml import etree

_XSD = "{http://www.w3.org/2001/XMLSchema}"
_PREFIXES = re.compile(r"^(เขต|อำเภอ|อ\.|แขวง|ตำบล|ต\.|จังหวัด|จ\.)\s*")


def codelist_dir() -> Path:
    return Path(settings.ETAX_SCHEMA_DIR) / "ETDA" / "codelist" / "standard"


def _normalise(name: str) -> str:
    name = _PREFIXES.sub("", " ".join(name.split()))
    return name.replace(" ", "")


@functools.cache
def _codes(filename: str, folder: str) -> dict[str, str]:
    """``{code: Thai name}`` of one code list; names ETDA marks retired (``*``) left out."""
    path = Path(folder) / filename
    if not path.exists():
        return {}
    codes: dict[str, str] = {}
    for _event, element in etree.iterparse(str(path), tag=f"{_XSD}enumeration"):
        name = "".join(element.itertext()).strip()
        if name and not name.endswith("*"):
            codes[element.get("value", "")] = name
        element.clear()
    return codes


def provinces() -> dict[str, str]:
    return _codes("ThaiISOCountrySubdivisionCode_1p0.xsd", str(codelist_dir()))


def districts() -> dict[str, str]:
    return _codes("TISICityName_1p0.xsd", str(codelist_dir()))


def subdistricts() -> dict[str, str]:
    return _codes("TISICitySubDivisionName_1p0.xsd", str(codelist_dir()))


def _find(names: dict[str, str], prefix: str, name: str, length: int) -> str:
    wanted = _normalise(name)
    for code, listed in names.items():
        if (
            len(code) == length
            and code.startswith(prefix)
            and _normalise(listed) == wanted
        ):
            return code
    return ""


def available() -> bool:
    """Whether ETDA's TISI code lists are installed (``ETAX_SCHEMA_DIR``)."""
    return bool(provinces()) and bool(districts()) and bool(subdistricts())


def lookup(province: str, district: str, subdistrict: str) -> tuple[str, str]:
    """The 6-digit TISI code and "", or "" and the first part that does not map.

    The part is ``province``, ``district`` or ``subdistrict``; ``lists`` when ETDA's code
    lists are not installed.
    """
    if not available():
        return "", "lists"
    province_code = _find(provinces(), "", province, 2)
    if not province_code:
        return "", "province"
    district_code = _find(districts(), province_code, district, 4)
    if not district_code:
        return "", "district"
    code = _find(subdistricts(), district_code, subdistrict, 6)
    return (code, "") if code else ("", "subdistrict")


def subdistrict_code(province: str, district: str, subdistrict: str) -> str:
    """The 6-digit TISI code of the sub-district, or "" when the names do not map."""
    return lookup(province, district, subdistrict)[0]
