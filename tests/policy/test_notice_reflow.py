"""The notice reflows on a phone: no hard line breaks, paragraphs and nested clauses."""

import re

import pytest
from django.urls import reverse

from policy.notice_text import reflow
from tests.accounts.conftest import signup_data

pytestmark = pytest.mark.django_db


def _notice_html(page: str) -> str:
    return re.search(r'<div class="notice-text reflowed"[^>]*>(.*?)</div>', page, re.S)[
        1
    ]


def test_thai_notice_joins_the_seed_lines_of_a_clause(client, v1):
    page = client.get(reverse("policy:notice")).content.decode()
    text = _notice_html(page)
    assert "\n" not in text
    assert "<br" not in text
    # Clause 1.1 is three lines in the seed; on the page it is one list item.
    assert re.search(r"<li>1\.1 [^<]*กรอก ชื่อ อีเมลและ[^<]*ทุก 3 เดือน เพื่อความปลอดภัย", text)
    assert text.count("<li>") == 11  # 1, 1.1-1.4, 1.2.1, 1.2.2, two dashes, 2, 3


def test_english_notice_has_no_file_name_and_keeps_the_clauses(client, v1):
    client.cookies["onespace_language"] = "en"
    page = client.get(reverse("policy:notice")).content.decode()
    text = _notice_html(page)
    assert ".txt" not in page
    assert "privacy-policy" not in page
    assert "Privacy Policy (the Thai text is authoritative)" in text
    assert "\n" not in text
    assert re.search(
        r"<li>1\.2\.2 Access to the website[^<]*storing at least:<ul", text
    )


def test_reflow_nests_clauses_by_their_number_and_escapes_html():
    html = reflow(
        "Title <b>\n\nIntro line one\nline two\n\n1. First\n   1.1 Sub\n       - dash\n2. Second\n"
    )
    assert html == (
        "<p>Title &lt;b&gt;</p><p>Intro line one line two</p>"
        '<ul class="notice-list"><li>1. First<ul class="notice-list"><li>1.1 Sub'
        '<ul class="notice-list"><li>- dash</li></ul></li></ul></li>'
        "<li>2. Second</li></ul>"
    )


def test_after_sign_up_the_page_says_what_is_true(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", signup_data(), follow=True)
    page = response.content.decode()
    assert "ท่านเข้าสู่ระบบได้ทันที" in page
    assert "ต้องเปิดลิงก์เพื่อยืนยันอีเมลก่อนจึงจะใช้บริการ" in page
    assert 'href="/accounts/login/"' in page
