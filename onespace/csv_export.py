"""CSV cells a spreadsheet opens as text, never as a formula.

Log and acceptance exports carry text that customers and attackers control (paths,
user agents, email addresses). Excel and LibreOffice run a cell that starts with
``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula,
which can reach out to the network or run commands on the reviewer's machine (OWASP
"CSV injection"). Such a cell is written with a leading apostrophe, which spreadsheets
show as text and hide.
"""

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` for a CSV cell: text that would start a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
