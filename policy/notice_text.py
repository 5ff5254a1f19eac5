"""The notice's plain text as HTML that reflows: paragraphs and nested list items.

A published text is kept exactly as written (its fingerprint covers every character), so
the seed's hard line breaks, made for a printed page, are dropped only when it is shown:
a blank line ends a paragraph, a line starting with a clause number (``1.``, ``1.2``,
``1.2.1``) or a dash starts a list item nested by the number's depth, and any other line
continues the paragraph or item above it. On a phone the text then wraps to the screen
instead of breaking mid-line. The clause numbers stay in the text, as written.
"""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_MARKER = re.compile(r"^(?:(?P<number>\d+(?:\.\d+)*)\.?|(?P<dash>[-•]))\s+")
# The English rendering's first line names the seed file it was translated from.
_SEED_FILE = re.compile(r"\s*\(working English rendering of [\w.-]+\.txt;\s*")


def _blocks(text: str) -> list[tuple[int, str]]:
    """(depth, text) per paragraph (depth 0) or list item (depth 1, 2, ...)."""
    blocks: list[tuple[int, list[str]]] = []
    last_number_depth = 0
    continues = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continues = False
            continue
        marker = _MARKER.match(line)
        if marker:
            if marker["number"]:
                depth = marker["number"].count(".") + 1
                last_number_depth = depth
            else:
                depth = last_number_depth + 1
            blocks.append((depth, [line]))
        elif continues:
            blocks[-1][1].append(line)
        else:
            blocks.append((0, [line]))
        continues = True
    return [(depth, " ".join(lines)) for depth, lines in blocks]


def reflow(text: str) -> SafeString:
    """``text`` as escaped HTML paragraphs and nested ``<ul>`` items, without hard breaks."""
    text = _SEED_FILE.sub(" (", text, count=1)
    html: list[str] = []
    levels = 0  # open <ul> elements, each with an open <li>
    for depth, content in _blocks(text):
        if depth == 0:
            # A paragraph between clauses belongs to the top-level clause it is in (the
            # seed's disclaimer after 1.2 is part of clause 1); before any list it
            # stands alone.
            while levels > 1:
                html.append("</li></ul>")
                levels -= 1
            html.append(f"<p>{escape(content)}</p>")
            continue
        depth = min(depth, levels + 1)
        if depth > levels:
            html.append('<ul class="notice-list">')
            levels += 1
        else:
            while levels > depth:
                html.append("</li></ul>")
                levels -= 1
            html.append("</li>")
        html.append(f"<li>{escape(content)}")
    html.append("</li></ul>" * levels)
    return mark_safe("".join(html))  # every piece of text is escaped above
