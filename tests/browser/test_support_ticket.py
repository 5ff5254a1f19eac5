"""A customer files a ticket with a screenshot, then reads the staff reply."""

import pytest
from django.core import mail

from support import services
from support.models import Ticket
from tests.factories import TEST_PASSWORD, CustomerFactory, StaffFactory
from tests.support.conftest import PNG_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_customer_files_ticket_with_attachment_and_sees_staff_reply(page):
    customer = CustomerFactory(email="carol@example.com", full_name="Carol Chan")
    agent = StaffFactory(email="agent@onespace.test")
    sign_in(page, customer.email)

    page.goto("/support/")
    page.click("text=เปิดตั๋วใหม่")
    page.select_option("#id_kind", "problem")
    page.fill("#id_subject", "เว็บไซต์ล่ม")
    page.fill("#id_message", "โหนดตอบสนองช้ามาก ดูภาพหน้าจอที่แนบ")
    page.fill("#id_node_id", "node-7f3a")
    page.set_input_files(
        "#id_attachments",
        files=[{"name": "screen.png", "mimeType": "image/png", "buffer": PNG_BYTES}],
    )
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    ticket = Ticket.objects.get(customer=customer)
    assert ticket.reference in page.locator("main").inner_text()
    assert page.locator("#ticket-state").inner_text() == "เปิด"
    link = page.locator("#thread a", has_text="screen.png")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "screen.png"
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == PNG_BYTES

    services.add_staff_reply(ticket, author=agent, body="เราเริ่มระบบโหนดใหม่ให้แล้ว")
    page.reload()
    thread = page.locator("#thread").inner_text()
    assert "เราเริ่มระบบโหนดใหม่ให้แล้ว" in thread
    assert "ทีมบริการลูกค้า OneSpace" in thread
    assert page.locator("#ticket-state").inner_text() == "รอลูกค้า"
    (email,) = mail.outbox
    assert email.to == ["carol@example.com"]
    assert ticket.reference in email.subject


def test_customer_sees_refused_attachment_error(page):
    customer = CustomerFactory(email="dave@example.com")
    sign_in(page, customer.email)
    page.goto("/support/tickets/new/")
    page.select_option("#id_kind", "enquiry")
    page.fill("#id_subject", "Question")
    page.fill("#id_message", "See file")
    page.set_input_files(
        "#id_attachments",
        files=[
            {"name": "tool.png", "mimeType": "image/png", "buffer": b"MZ\x90\x00" * 8}
        ],
    )
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "ไม่รับไฟล์ tool.png" in page.locator("main").inner_text()
    assert not Ticket.objects.exists()
