from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in customer's home page."""
    return render(request, "accounts/home.html")


def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up (placeholder until the accounts work lands)."""
    return render(request, "accounts/signup.html")
