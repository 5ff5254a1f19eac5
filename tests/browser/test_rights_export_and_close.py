"""Journey: a customer downloads their data, then closes the account; sign-in fails after."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from policy import current, services
from policy.models import DataExport, ErasureRecord
from tests import owner
from tests.factories import TEST_PASSWORD, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, email):
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_customer_downloads_their_data_and_closes_the_account(page, tmp_path):
    current.clear()
    carol = CustomerFactory(email="carol@example.com", full_name="Carol Chan")
    _sign_in(page, carol.email)

    page.goto("/privacy/my-data/")
    assert page.locator("h1").inner_text() == "ข้อมูลของฉัน"
    assert "Carol Chan" in page.locator("main").inner_text()
    page.click("text=ดาวน์โหลดข้อมูลของฉัน")
    page.wait_for_url("**/privacy/my-data/exports/")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "7 วัน" in page.locator(".messages").inner_text()
    assert mail.outbox[-1].to == ["carol@example.com"]

    with page.expect_download() as download_info:
        page.click("ul.exports a[download]")
    path = tmp_path / "export.zip"
    download_info.value.save_as(path)
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    profile = json.loads(archive.read("accounts-registration.json"))
    assert profile[0]["email"] == "carol@example.com"
    assert "README.txt" in archive.namelist()
    assert DataExport.objects.get().downloaded_at is not None

    page.goto("/privacy/my-data/close/")
    assert "ใบกำกับภาษี" in page.locator(".kept").inner_text()  # tax documents kept
    page.fill("#id_password", "not my password")
    with page.expect_navigation():
        page.click("main form.card button[type=submit]")
    assert "รหัสผ่านไม่ถูกต้อง" in page.locator("main").inner_text()
    assert not ErasureRecord.objects.exists()

    page.fill("#id_password", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main form.card button[type=submit]")
    assert page.locator("h1").inner_text() == "บัญชีของท่านจะถูกปิด"

    # The cool-off ends; the retention purge (or the deferred task) erases the account.
    owner.let_cool_off_pass(timedelta(days=4))
    assert services.erase_due_accounts(timezone.now() + timedelta(days=4)) == 1
    _sign_in(page, "carol@example.com")
    assert "/accounts/login/" in page.url
    assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in page.locator("main").inner_text()
    current.clear()
