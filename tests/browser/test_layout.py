"""Layout in a real browser: one-line navigation at 1280 px, a Menu at 360 px, the footer
at the bottom of a short page, and Thai words never cut in the middle."""

import pytest
from django.test import Client

from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )


def _nav_lines(page) -> int:
    """How many lines the main navigation's items take."""
    return page.evaluate(
        """() => new Set([...document.querySelectorAll('#site-nav > a, #site-nav > form')]
              .map(e => Math.round(e.getBoundingClientRect().top))).size"""
    )


@pytest.mark.parametrize("language", ["th", "en"])
def test_signed_in_navigation_is_one_line_at_1280_px(page, live_server, language):
    _sign_in(page, live_server, CustomerFactory())
    page.context.add_cookies(
        [{"name": "onespace_language", "value": language, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/billing/")
    assert page.locator("#site-nav").is_visible()
    assert page.locator(".nav-toggle").is_hidden()
    assert _nav_lines(page) == 1
    header = page.locator(".site-header .wrap").bounding_box()
    assert header["height"] < 80  # brand, navigation and language on one row


def test_phone_gets_a_menu_that_opens_the_navigation(page, live_server):
    _sign_in(page, live_server, CustomerFactory())
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/billing/")
    toggle = page.get_by_role("button", name="เมนู")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator("#site-nav").is_hidden()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="ฝ่ายบริการลูกค้า").is_visible()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


@pytest.mark.parametrize("width", [360, 1280])
def test_footer_stays_at_the_bottom_of_a_short_page(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/accounts/password/reset/")
    footer = page.locator(".site-footer").bounding_box()
    assert footer["y"] + footer["height"] == pytest.approx(900, abs=1)


def test_no_stylesheet_cuts_thai_words(page):
    page.goto("/privacy/")
    cutting = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => {
              const s = getComputedStyle(e);
              return s.wordBreak === 'break-all' || s.overflowWrap === 'anywhere';
           }).map(e => e.tagName + '.' + e.className)"""
    )
    assert cutting == []
