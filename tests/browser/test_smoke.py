import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_in_thai_by_default(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "th"
    assert page.locator("a.brand").inner_text() == "OneSpace"
