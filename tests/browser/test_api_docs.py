"""The API documentation pages work under the portal's CSP and load nothing from outside."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open(page, live_server, path: str) -> tuple[list[str], list[str]]:
    """Open ``path``; return CSP complaints from the console and off-site requests."""
    complaints: list[str] = []
    outside: list[str] = []
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:", "blob:"))
            else None
        ),
    )
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return complaints, outside


def test_redoc_renders_the_api_without_csp_violations_or_google_fonts(
    page, live_server
):
    complaints, outside = _open(page, live_server, "/api/redoc/")
    # Redoc drew the document: the API title and an operation are on the page.
    page.get_by_text("OneSpace portal API").first.wait_for()
    assert "/api/v1/node-events/" in page.inner_text("body")
    assert complaints == []
    assert outside == []
    assert "fonts.googleapis.com" not in page.content()


def test_swagger_ui_renders_the_api_without_csp_violations(page, live_server):
    complaints, outside = _open(page, live_server, "/api/docs/")
    page.locator(".swagger-ui .info .title").first.wait_for()
    assert (
        "OneSpace portal API" in page.locator(".swagger-ui .info .title").inner_text()
    )
    assert page.locator(".opblock").count() > 0
    assert complaints == []
    assert outside == []


def test_only_the_redoc_page_allows_its_styles(client):
    redoc = client.get("/api/redoc/")
    assert "fonts.googleapis.com" not in redoc.content.decode()
    assert "<style" not in redoc.content.decode()
    assert "'nonce-" in redoc["Content-Security-Policy"]
    assert "'nonce-" not in client.get("/api/docs/")["Content-Security-Policy"]
    assert "<style" not in client.get("/api/docs/").content.decode()
    assert "sha256-" not in client.get("/")["Content-Security-Policy"]
