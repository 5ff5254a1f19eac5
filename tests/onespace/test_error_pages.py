"""Error pages 400, 403, 404, 429, 500: the portal's layout, the visitor's language, a way home."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.urls import path

from onespace.urls import *  # noqa: F403  the handlers and every route
from onespace.urls import urlpatterns as _project_urlpatterns

pytestmark = pytest.mark.django_db


def _suspicious(request: HttpRequest):
    raise SuspiciousOperation("bad")


def _denied(request: HttpRequest):
    raise PermissionDenied


def _broken(request: HttpRequest):
    raise RuntimeError("a bug")


def _broken_database(request: HttpRequest):
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")


urlpatterns = [
    path("test-errors/400/", _suspicious),
    path("test-errors/403/", _denied),
    path("test-errors/500/", _broken),
    path("test-errors/500-db/", _broken_database),
    path("api/v1/test-errors/500/", _broken),
    *_project_urlpatterns,
]

THAI = {
    400: "เราอ่านคำขอนี้ไม่ได้",
    403: "ท่านไม่สามารถเปิดหน้านี้ได้",
    404: "เราไม่พบหน้านี้",
    500: "ระบบของเราขัดข้อง",
}
ENGLISH = {
    400: "We could not read this request",
    403: "You cannot open this page",
    404: "We cannot find this page",
    500: "Something went wrong on our side",
}
PATHS = {
    400: "/test-errors/400/",
    403: "/test-errors/403/",
    404: "/no/such/page/",
    500: "/test-errors/500/",
}


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_error_page_in_thai_in_the_portal_layout_with_a_way_home(visitor, status):
    response = visitor.get(PATHS[status])
    assert response.status_code == status
    page = response.content.decode()
    assert THAI[status] in page
    assert '<html lang="th">' in page
    assert 'class="site-header"' in page
    assert 'class="site-footer"' in page
    assert 'href="/"' in page
    assert "กลับไปหน้าแรก" in page
    assert "Not Found" not in page
    assert "Server Error" not in page


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_error_page_in_english(visitor, status):
    visitor.cookies["onespace_language"] = "en"
    response = visitor.get(PATHS[status])
    assert response.status_code == status
    page = response.content.decode()
    assert ENGLISH[status] in page
    assert '<html lang="en">' in page
    assert "Back to the home page" in page


def test_404_for_a_signed_in_customer_keeps_their_navigation(client, alice):
    client.force_login(alice)
    response = client.get("/billing/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "เราไม่พบหน้านี้" in page
    assert 'action="/accounts/logout/"' in page


def test_500_page_survives_a_broken_database(visitor):
    response = visitor.get("/test-errors/500-db/")
    assert response.status_code == 500
    assert "ระบบของเราขัดข้อง" in response.content.decode()


def test_api_errors_stay_json(visitor):
    response = visitor.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    response = visitor.get("/api/v1/test-errors/500/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"


def test_rate_limit_page_in_both_languages(visitor, settings):
    from django.core.cache import cache

    cache.clear()
    for _ in range(30):
        response = visitor.post("/accounts/password/reset/", {"email": "x@example.com"})
        if response.status_code == 429:
            break
    assert response.status_code == 429
    page = response.content.decode()
    assert "กลับไปหน้าแรก" in page
    assert 'class="site-footer"' in page
    visitor.cookies["onespace_language"] = "en"
    page = visitor.post("/accounts/password/reset/", {"email": "x@example.com"})
    assert "Too many requests" in page.content.decode()
