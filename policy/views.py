from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def notice(request: HttpRequest) -> HttpResponse:
    """The privacy notice in force (placeholder until the policy work lands)."""
    return render(request, "policy/notice.html")
