"""Staff admin speaks Thai: every changelist, form and action confirmation, no English left."""

import datetime
import io
import json
import re
import uuid
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from auditlog import buffer
from auditlog import services as auditlog_services
from onespace import thaidates
from support import services as support_services
from support.models import Ticket
from tests.factories import BillingProfileFactory, CustomerFactory

pytestmark = pytest.mark.django_db

# Strings Django and the libraries leave in English (or wrong) in the Thai admin. A page
# that shows any of them fails; our catalogue entries in locale/th fix each one.
ENGLISH_FRAGMENTS = [
    # Named in issue 14.
    "Run",
    "selected",
    "was added successfully",
    "was changed successfully",
    "Show counts",
    "Hide counts",
    "Start typing to filter",
    "Select an option",
    "None available",
    "ไม่ว่าง",  # Django's Thai for "None available" (it means busy)
    "Axes",
    "Access attempts",
    "Access failures",
    "Access logs",
    # Found by this test on Django 6.1's Thai catalogue and the libraries.
    "Model name",
    "Add link",
    "Change or view list link",
    "Toggle navigation",
    "Toggle theme",
    "Filter navigation items",
    "Skip to main content",
    "Breadcrumbs",
    "Pagination",
    "Select all objects",
    "Select this object",
    "Filter by",
    "Search",
    "View selected",
    "Clear all filters",
    "Yes, I’m sure",
    "Empty",
    "Not empty",
    "Attempt Time",
    "Locked Out",
    "Otp_Totp",
    "Otp_Static",
    "TOTP device",
    "static device",
    "Tasks Database Backend",
    "Task Result",
    "Can add",
    "Can change",
    "Can delete",
    "Can view",
    # django-otp's device forms and lists, django-tasks-db's columns.
    "Identity",
    "Timestamps",
    "Configuration",
    "Throttling",
    "QR Code",
    "qrcode",
    "Install",
    "Token",
    "token",
    "Key",
    "key",
    "Confirmed",
    "confirmed",
    "Created at",
    "created at",
    "Last used at",
    "last used at",
    "Created by",
    "Prefix",
    "The user that this device belongs to",
    "Is this device ready for use",
    "time step",
    "time steps",
    "Number of successive failed attempts",
    "queue name",
    "priority",
    "enqueued at",
    # Model names of our own apps and Django's, and many-to-many links.
    "password history",
    "purge checkpoint",
    "daily count",
    "Content Types",
    "relationship",
    "relationships",
    "object (",  # Django's name for a row of a model without __str__
    "permissions object",
    "groups object",
]
_WORD = {
    f: re.compile(r"(?<![A-Za-z])" + re.escape(f) + r"(?![A-Za-z])")
    for f in ENGLISH_FRAGMENTS
}


class _VisibleText(HTMLParser):
    """The text a person sees: no script/style, plus values of buttons and placeholders."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "template"}:
            self._skip += 1
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in {"submit", "button"}:
            self.parts.append(attrs.get("value") or "")
        for name in ("placeholder", "title", "aria-label"):
            if attrs.get(name):
                self.parts.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_in(html: str) -> list[str]:
    text = visible_text(html)
    return [fragment for fragment, word in _WORD.items() if word.search(text)]


@pytest.fixture
def data(db):
    """Some rows in every app, so change forms and lists have something to show."""
    call_command("seed_demo", stdout=io.StringIO())
    customer = User.objects.get(email="customer@demo.onespace.test")
    BillingProfileFactory(customer=customer)
    support_services.file_ticket(
        customer, kind=Ticket.Kind.PROBLEM, subject="เครื่องเปิดไม่ติด", message="ช่วยด้วย"
    )
    auditlog_services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": timezone.now(),
                "node_id": "node-1",
                "customer_id": customer.pk,
                "action": "create",
                "actor_type": "customer",
                "actor_id": str(customer.pk),
                "source_ip": "203.0.113.7",
                "details": {},
            }
        ]
    )
    CustomerFactory()
    staff = User.objects.get(email="admin@demo.onespace.test")
    StaticDevice.objects.create(user=staff, name="backup").token_set.create(
        token="abcd1234"
    )
    buffer.clear()
    return customer


@pytest.fixture
def superuser_client(staff_client, data):
    return staff_client(User.objects.get(email="admin@demo.onespace.test"))


def _admin_pages():
    """(url name, args) of every changelist, add form and first object's change form."""
    pages = [("admin:index", ())]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append((f"{prefix}_changelist", ()))
        pages.append((f"{prefix}_add", ()))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            pages.append((f"{prefix}_change", (obj.pk,)))
    device = TOTPDevice.objects.order_by("pk").first()
    if device is not None:  # django-otp's page with the QR code
        pages.append(("admin:otp_totp_totpdevice_config", (device.pk,)))
    return pages


def test_the_check_itself_finds_english():
    assert english_in('<button type="submit">Run</button>') == ["Run"]
    assert english_in('<input placeholder="Start typing to filter…">') == [
        "Start typing to filter"
    ]
    assert english_in("<p>ดำเนินการ</p><script>var Run;</script>") == []


def test_every_admin_page_is_thai(superuser_client):
    found = {}
    rendered = 0
    for name, args in _admin_pages():
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        response = superuser_client.get(url)
        if response.status_code != 200:
            continue
        rendered += 1
        english = english_in(response.content.decode())
        if english:
            found[url] = english
    assert found == {}
    assert rendered > 40  # every changelist, add and change form was really seen


def test_every_action_confirmation_is_thai(superuser_client):
    """Each action that asks before it acts (deleting, publishing, ...) asks in Thai."""
    found = {}
    confirmations = 0
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        request = superuser_client.get(url).wsgi_request
        for action in model_admin.get_actions(request):
            response = superuser_client.post(
                url, {"action": action, "_selected_action": [obj.pk], "index": 0}
            )
            if response.status_code != 200 or response.streaming:
                continue  # acted at once (redirect, download) or refused
            confirmations += 1
            english = english_in(response.content.decode())
            if english:
                found[f"{url} {action}"] = english
    assert found == {}
    assert confirmations >= 3


def test_saving_in_admin_says_so_in_thai(superuser_client):
    response = superuser_client.post(
        reverse("admin:auth_group_add"), {"name": "ผู้ตรวจสอบภายใน"}, follow=True
    )
    page = response.content.decode()
    assert re.search(r"เพิ่มกลุ่ม “\s*ผู้ตรวจสอบภายใน\s*” เรียบร้อยแล้ว", visible_text(page))
    assert english_in(page) == []


def test_permissions_are_named_in_thai(superuser_client):
    text = visible_text(
        superuser_client.get(reverse("admin:auth_group_add")).content.decode()
    )
    assert "แก้ไขแอปยืนยันตัวตน" in text  # "Can change TOTP device", from the model's name
    assert "ออกเอกสารภาษีและบันทึกการรับชำระเงินได้" in text  # billing's own permission
    assert not re.search(r"\bCan (add|change|delete|view|issue|publish|notify)\b", text)


def test_admin_javascript_counts_the_selection_in_thai(superuser_client):
    catalogue = superuser_client.get(reverse("admin:jsi18n")).content.decode()
    assert json.dumps("เลือก %(sel)s จาก %(cnt)s") in catalogue
    assert json.dumps("ม.ค.") in catalogue  # the date picker's months


def test_axes_and_the_portal_access_log_have_different_names(superuser_client):
    page = superuser_client.get(reverse("admin:index")).content.decode()
    sections = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', page)
    assert len(sections) == len(set(sections)) > 5
    models = re.findall(r'<th scope="row" id="[^"]+">\s*<a [^>]*>([^<]+)</a>', page)
    assert models.count("บันทึกการเข้าใช้งาน") == 1
    assert "ประวัติการเข้าสู่ระบบ" in models  # axes' own, under its own name


THAI_MONTH = "|".join(
    re.escape(month) for month in (*thaidates.MONTHS, *thaidates.MONTHS_SHORT)
)
CE_DATE = re.compile(rf"(?:{THAI_MONTH}) 20\d\d\b|\b20\d\d-\d\d-\d\d\b")
BE_DATE = re.compile(rf"(?:{THAI_MONTH}) 25\d\d\b")


def test_every_admin_date_is_buddhist_era(superuser_client):
    ce_dates = {}
    be_pages = 0
    for name, args in _admin_pages():
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        response = superuser_client.get(url)
        if response.status_code != 200:
            continue
        text = visible_text(response.content.decode())
        if found := CE_DATE.findall(text):
            ce_dates[url] = found
        be_pages += bool(BE_DATE.search(text))
    assert ce_dates == {}
    assert be_pages > 10  # lists and detail pages really show dates


def test_english_admin_keeps_common_era(superuser_client):
    superuser_client.cookies["onespace_language"] = "en"
    page = superuser_client.get(reverse("admin:auditlog_nodeevent_changelist"))
    text = visible_text(page.content.decode())
    assert str(timezone.now().year) in text
    assert not BE_DATE.search(text)


def test_support_statistics_label_months_in_buddhist_era(superuser_client):
    page = superuser_client.get(reverse("admin:support_ticket_statistics"))
    today = timezone.localdate()
    month = f"{thaidates.MONTHS_SHORT[today.month - 1]} {today.year + 543}"
    assert month in visible_text(page.content.decode())


def _input_value(page: str, name: str) -> str:
    match = re.search(rf'<input [^>]*name="{name}"[^>]*>', page)
    assert match, name
    value = re.search(r'value="([^"]*)"', match[0])
    return value[1] if value else ""


def test_date_inputs_show_and_take_buddhist_era_years(superuser_client):
    from billing.models import VatRate

    rate = VatRate.objects.create(rate="7.00", valid_from=datetime.date(2024, 2, 29))
    url = reverse("admin:billing_vatrate_change", args=(rate.pk,))
    page = superuser_client.get(url).content.decode()
    assert _input_value(page, "valid_from") == "29/02/2567"  # a BE leap day

    response = superuser_client.post(
        url, {"rate": "7.00", "valid_from": "01/10/2569", "valid_until": "2027-09-30"}
    )
    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.valid_from == datetime.date(2026, 10, 1)  # typed in BE, kept in CE
    assert rate.valid_until == datetime.date(2027, 9, 30)  # CE still understood


def test_date_and_time_inputs_show_buddhist_era_years(superuser_client, data):
    page = superuser_client.get(
        reverse("admin:accounts_user_change", args=(data.pk,))
    ).content.decode()
    verified = timezone.localtime(data.email_verified_at).date()
    assert _input_value(page, "email_verified_at_0") == (
        f"{verified:%d/%m}/{verified.year + 543}"
    )


def test_english_date_inputs_keep_common_era(superuser_client):
    from billing.models import VatRate

    rate = VatRate.objects.create(rate="7.00", valid_from=datetime.date(2024, 2, 29))
    superuser_client.cookies["onespace_language"] = "en"
    page = superuser_client.get(
        reverse("admin:billing_vatrate_change", args=(rate.pk,))
    ).content.decode()
    assert "2024" in _input_value(page, "valid_from")


def _paid_billing_note(customer, capture_on_commit):
    from decimal import Decimal

    from billing import services as billing
    from billing.models import BillingProfile, VatRate

    VatRate.objects.get_or_create(
        valid_from=datetime.date(1999, 4, 1), defaults={"rate": Decimal("7.00")}
    )
    with capture_on_commit(execute=True):  # the e-Tax XML is made
        note = billing.create_billing_note(
            BillingProfile.objects.filter(customer=customer).first(),
            lines=[billing.LineInput("บริการคลาวด์", Decimal(1), Decimal("1000.00"))],
        )
        billing.record_payment(
            note, received_on=note.issued_on, net_received=note.total
        )
    return note


def test_date_hierarchy_counts_years_in_buddhist_era(
    superuser_client, data, django_capture_on_commit_callbacks
):
    _paid_billing_note(data, django_capture_on_commit_callbacks)
    year = timezone.localdate().year
    url = reverse("admin:billing_etaxxml_changelist")
    for query in ("", f"?issued_on__year={year}"):
        page = superuser_client.get(url + query).content.decode()
        hierarchy = re.search(r'<nav class="toplinks".*?</nav>', page, re.S)
        assert hierarchy, query
        text = visible_text(hierarchy[0])
        assert str(year + 543) in text, query
        assert not re.search(rf"(?<!\d){year}(?!\d)", text), (query, text)


def test_staff_groups_are_named_in_thai(superuser_client, data):
    text = visible_text(
        superuser_client.get(reverse("admin:auth_group_changelist")).content.decode()
    )
    for thai in ("ฝ่ายบริการลูกค้า", "ผู้ตรวจสอบความปลอดภัย", "ฝ่ายการเงิน"):
        assert thai in text
    user_page = superuser_client.get(
        reverse("admin:accounts_user_change", args=(data.pk,))
    ).content.decode()
    assert "เจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคล" in visible_text(user_page)  # the groups picker


def test_document_page_shows_its_e_tax_xml_as_links(
    superuser_client, data, django_capture_on_commit_callbacks
):
    note = _paid_billing_note(data, django_capture_on_commit_callbacks)
    page = superuser_client.get(
        reverse("admin:billing_document_change", args=(note.pk,))
    ).content.decode()
    assert "&lt;a href" not in page  # the links as links, not escaped HTML
    assert "&lt;p&gt;" not in page
    assert (
        reverse("admin:billing_etaxxml_change", args=(note.etax_xml.get().pk,)) in page
    )


def test_history_pages_date_changes_in_buddhist_era(superuser_client):
    response = superuser_client.post(
        reverse("admin:auth_group_add"), {"name": "ผู้ตรวจสอบภายใน"}
    )
    assert response.status_code == 302
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="ผู้ตรวจสอบภายใน")
    page = superuser_client.get(reverse("admin:auth_group_history", args=(group.pk,)))
    text = visible_text(page.content.decode())
    assert BE_DATE.search(text)
    assert not CE_DATE.search(text)
    assert str(timezone.localdate().year) not in text


def test_admin_never_shows_a_totp_secret_again(superuser_client):
    """A secret is shown once, at the staff member's own enrolment; not even a superuser sees it."""
    device = TOTPDevice.objects.order_by("pk").first()
    for name in (
        "admin:otp_totp_totpdevice_change",
        "admin:otp_totp_totpdevice_config",
    ):
        response = superuser_client.get(reverse(name, args=[device.pk]))
        assert device.key not in response.content.decode()
        assert device.bin_key.hex() not in response.content.decode()
