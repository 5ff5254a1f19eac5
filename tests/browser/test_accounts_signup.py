import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from accounts.models import User
from policy import current
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "kettle mango sunrise 42"


@pytest.fixture
def notice_in_force(transactional_db):
    """The sign-up form (settings.SIGNUP_FORM_CLASS) may ask to accept the notice in
    force; earlier transactional tests flushed the version the data migration loaded."""
    if hasattr(factories, "version_one"):
        factories.version_one()
    current.clear()
    yield
    current.clear()


def test_sign_up_in_thai_verify_by_email_sign_in_and_reach_home(page, notice_in_force):
    page.goto("/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "th"
    assert page.locator("h1").inner_text() == "สมัครสมาชิก"
    page.fill("#id_full_name", "สมหญิง รักดี")
    page.fill("#id_email", "Somying@Example.com")
    page.fill("#id_phone", "089 123 4567")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    if page.locator("input[name=accept_notice]").count():
        page.check("input[name=accept_notice]")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/signup/done/")
    assert "somying@example.com" in page.locator("main").inner_text()

    user = User.objects.get()
    assert (user.phone, user.language, user.email_verified_at) == (
        "+66891234567",
        "th",
        None,
    )
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[0].body)[0]
    page.goto(urlsplit(link).path)
    page.wait_for_url("**/accounts/login/")
    assert "ยืนยันแล้ว" in page.locator(".messages").inner_text()

    page.fill("#id_username", "somying@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/")
    assert "ยินดีต้อนรับ สมหญิง รักดี" in page.locator("h1").inner_text()
