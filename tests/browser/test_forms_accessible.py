"""Forms speak to assistive technology: labelled fields, errors tied to their field, focus seen."""

import pytest

from tests.browser.test_every_page import _seed_customer, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every field's error must be reachable from the field: aria-invalid and an
# aria-describedby naming the element that holds the error text.
FIELD_ERRORS = """
() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(f => f.type !== 'hidden' && f.type !== 'submit' && f.getAttribute('aria-invalid') === 'true')
  .map(f => {
    const ids = (f.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
    const text = ids.map(id => document.getElementById(id)).filter(Boolean)
      .filter(el => el.classList.contains('errorlist')).map(el => el.innerText.trim()).join(' ');
    return {name: f.name, error: text};
  })
"""

UNLABELLED = """
() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(f => !['hidden', 'submit', 'button'].includes(f.type))
  .filter(f => !(f.labels && f.labels.length) && !f.getAttribute('aria-label')
               && !f.getAttribute('aria-labelledby'))
  .map(f => f.name)
"""


def _submit_empty(page, url):
    page.goto(url)
    assert page.evaluate(UNLABELLED) == [], url
    # Past the browser's own checks, so the server's errors are what the user meets.
    page.evaluate(
        "document.querySelectorAll('main form').forEach(f => f.noValidate = true)"
    )
    for field in page.locator("main form input[required]:not([type=checkbox])").all():
        field.fill("")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    return page.evaluate(FIELD_ERRORS)


def test_signup_errors_are_tied_to_their_fields(page):
    errors = _submit_empty(page, "/accounts/signup/")
    assert {e["name"] for e in errors} >= {"full_name", "email", "phone"}
    assert all(e["error"] for e in errors), errors


def test_customer_form_errors_are_tied_to_their_fields(page, live_server):
    customer, _ticket = _seed_customer()
    _sign_in(page.context, live_server, customer)
    for url, expected in (
        ("/billing/profiles/new/", {"legal_name", "tax_id"}),
        ("/support/tickets/new/", {"subject", "message"}),
        ("/activity/grants/new/", {"reason"}),
    ):
        errors = _submit_empty(page, url)
        assert {e["name"] for e in errors} >= expected, (url, errors)
        assert all(e["error"] for e in errors), (url, errors)


def test_keyboard_focus_is_visible(page):
    page.goto("/accounts/login/")
    for _ in range(4):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => { const s = getComputedStyle(document.activeElement);
                       return [document.activeElement.tagName, s.outlineStyle,
                               s.outlineWidth, s.boxShadow]; }"""
        )
        tag, outline, width, shadow = style
        assert (outline != "none" and width != "0px") or shadow != "none", style
