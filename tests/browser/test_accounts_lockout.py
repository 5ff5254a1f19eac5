import pytest

from tests.factories import TEST_PASSWORD, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_repeated_wrong_passwords_lock_the_account_from_this_address(page):
    user = CustomerFactory(email="locked@example.com")
    page.goto("/accounts/login/")
    for attempt in range(5):
        page.fill("#id_username", user.email)
        page.fill("#id_password", f"wrong password {attempt}")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        if attempt < 4:
            assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in page.locator("main").inner_text()
    assert page.locator("h1").inner_text() == "ลงชื่อเข้าใช้ผิดหลายครั้งเกินไป"
    # Even the right password is refused while the lock lasts.
    page.goto("/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("h1").inner_text() == "ลงชื่อเข้าใช้ผิดหลายครั้งเกินไป"
