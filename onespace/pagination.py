"""One pager for every customer list (documents, tickets, activity, exports, grants).

A list that grows with a customer's history (five years of bills, tickets and logs)
is shown a page at a time, so a page costs the same at year one and year five: two
queries (a count and the page), whatever the history. Each list's order must end in
the primary key, so equal timestamps never move a row from one page to the next.
The template is ``templates/_pagination.html`` (pass ``page`` and ``query``).
"""

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PER_PAGE = 25


def paginate(
    request: HttpRequest, object_list: Any, *, per_page: int = PER_PAGE
) -> dict[str, Page | str]:
    """The page asked for by ``?page=`` (the last one when past the end; the first when not a number), and the query string without it."""
    page = Paginator(object_list, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": page, "query": query.urlencode()}
