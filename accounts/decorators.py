"""View decorators of the accounts app."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

View = Callable[..., HttpResponseBase]


def staff_second_factor_required(view: View) -> View:
    """Staff reach ``view`` only with a verified second factor; customers pass.

    AccountGateMiddleware already sends unverified staff to the second factor; views
    that show customers' personal data to staff check again, so removing or
    reordering the middleware never opens them.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_staff and not getattr(user, "is_verified", lambda: False)():
            query = urlencode({"next": request.get_full_path()})
            return redirect(reverse("accounts:second-factor") + "?" + query)
        return view(request, *args, **kwargs)

    return wrapped
