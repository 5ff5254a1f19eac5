"""Someone without an account files a privacy request from the public form, in Thai."""

import re

import pytest
from django.core import mail

from policy.models import PrivacyRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_files_a_request_in_thai_and_confirms_with_the_emailed_code(page):
    page.goto("/privacy/")
    with page.expect_navigation():
        page.click("#privacy-request-link a")
    assert page.locator("h1").inner_text() == "คำขอด้านข้อมูลส่วนบุคคล"
    page.select_option("#id_right", "erasure")
    page.fill("#id_name", "สมหญิง รักดี")
    page.fill("#id_email", "somying@example.net")
    page.fill("#id_details", "ขอให้ลบข้อมูลทั้งหมดของดิฉัน")
    with page.expect_navigation():
        page.click("#privacy-request-form button[type=submit]")

    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.right == "erasure"
    assert privacy_request.language == "th"
    assert privacy_request.reference in page.locator("h1").inner_text()
    assert page.locator("#request-state").inner_text() == "รอให้คุณยืนยันอีเมล"
    (code_email,) = mail.outbox
    assert code_email.to == ["somying@example.net"]
    assert "รหัสยืนยันคำขอ" in code_email.subject
    code = re.search(r"^(\d{6})$", code_email.body, re.M).group(1)

    page.fill("#id_code", code)
    with page.expect_navigation():
        page.click("#code-form button[type=submit]")
    assert (
        page.locator("#request-state")
        .inner_text()
        .startswith("กำลังดำเนินการ เราจะตอบภายใน")
    )
    privacy_request.refresh_from_db()
    assert privacy_request.identity_method == "email_code"
    assert privacy_request.due_on is not None
