"""Privacy requests (PDPA s.30-36): anyone files, identity by code, the 30-day clock, the answer."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from policy import services
from policy.models import DataExport, ErasureRecord, PrivacyRequest
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def commit(django_capture_on_commit_callbacks):
    """``with commit():`` runs what the step queued for after commit (emails, tasks)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _code(message) -> str:
    return re.search(r"^(\d{6})$", message.body, re.M).group(1)


def _file(client, **fields):
    data = {
        "right": "access",
        "name": "สมชาย ใจดี",
        "email": "somchai@example.net",
        "about_email": "",
        "details": "ขอสำเนาข้อมูลของผม",
        **fields,
    }
    return client.post(reverse("policy:request-create"), data)


def _admin(staff_client, user):
    client = staff_client(user)
    client.cookies["onespace_language"] = "en"
    return client


def test_non_customer_request_goes_from_filing_to_refusal_in_the_processing_record(
    client, staff_client, privacy_officer, commit
):
    # Filed from the public form, without an account.
    with commit():
        response = _file(client)
    privacy_request = PrivacyRequest.objects.get()
    assert response["Location"] == reverse(
        "policy:request-detail", args=[privacy_request.public_id]
    )
    assert privacy_request.customer is None
    assert privacy_request.due_on is None  # no clock before identity is confirmed
    (code_email,) = mail.outbox
    assert code_email.to == ["somchai@example.net"]
    assert privacy_request.reference in code_email.subject

    # Identity: the code sent to the address they gave.
    detail = reverse("policy:request-detail", args=[privacy_request.public_id])
    wrong = client.post(
        detail, {"code": "000000" if _code(code_email) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert "code" in wrong.context["form"].errors
    mail.outbox.clear()
    with commit():
        confirmed = client.post(detail, {"code": _code(code_email)})
    assert confirmed.status_code == 302
    privacy_request.refresh_from_db()
    assert privacy_request.identity_method == PrivacyRequest.Identity.EMAIL_CODE
    assert privacy_request.due_on == timezone.localdate() + timedelta(days=30)
    recipients = sorted(to for message in mail.outbox for to in message.to)
    assert recipients == ["privacy@onespace.test", "somchai@example.net"]

    # The officer refuses, with a legal ground and the reply sent.
    mail.outbox.clear()
    admin = _admin(staff_client, privacy_officer)
    change = reverse("admin:policy_privacyrequest_change", args=[privacy_request.pk])
    assert admin.get(change).status_code == 200
    with commit():
        response = admin.post(
            change,
            {
                "assignee": privacy_officer.pk,
                "step": "close",
                "new_outcome": "refused",
                "ground": "legal_duty",
                "reply_text": "Tax documents are kept for 5 years (Revenue Code s.87/3).",
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    privacy_request.refresh_from_db()
    assert privacy_request.outcome == PrivacyRequest.Outcome.REFUSED
    assert privacy_request.refusal_ground == "legal_duty"
    assert privacy_request.closed_by == privacy_officer
    (reply,) = mail.outbox
    assert reply.to == ["somchai@example.net"]
    assert "Revenue Code s.87/3" in reply.body

    record = admin.get(reverse("admin:policy_processing_record")).content.decode()
    table = record[record.index('id="refused-requests"') :]
    assert privacy_request.reference in table
    assert "Kept to comply with a legal duty (s.33 para 2)" in table
    assert "Revenue Code s.87/3" in table


def test_refusal_without_a_ground_is_a_field_error_and_nothing_closes(
    staff_client, privacy_officer
):
    privacy_request = services.file_request(
        right="erasure", name="A", email="a@example.net"
    )
    admin = _admin(staff_client, privacy_officer)
    change = reverse("admin:policy_privacyrequest_change", args=[privacy_request.pk])
    response = admin.post(
        change,
        {"step": "close", "new_outcome": "refused", "reply_text": "No."},
    )
    assert response.status_code == 200
    assert "ground" in response.context["adminform"].form.errors
    privacy_request.refresh_from_db()
    assert privacy_request.closed_at is None


def test_public_form_errors_are_in_thai(client):
    response = _file(client, email="not-an-address", name="")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "name" in errors
    assert "email" in errors
    assert errors["name"] == ["ฟิลด์นี้จำเป็น"]
    assert errors["email"] == ["กรอกอีเมลให้ถูกต้อง"]
    assert not PrivacyRequest.objects.exists()


def test_code_expires_after_five_wrong_tries(client, commit):
    with commit():
        _file(client)
    privacy_request = PrivacyRequest.objects.get()
    code = _code(mail.outbox[0])
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(5):
        with pytest.raises(ValidationError) as wrong_code:
            services.confirm_email(privacy_request, wrong)
        assert wrong_code.value.code == "wrong"
    with pytest.raises(ValidationError) as expired:
        services.confirm_email(privacy_request, code)
    assert expired.value.code == "expired"
    privacy_request.refresh_from_db()
    assert privacy_request.email_confirmed_at is None


def test_request_about_another_account_waits_for_documents(privacy_officer, commit):
    bob = CustomerFactory(email="bob@example.com")
    with commit():
        privacy_request = services.file_request(
            right="access",
            name="Bob's lawyer",
            email="lawyer@example.net",
            about_email="bob@example.com",
        )
    assert mail.outbox[0].to == ["lawyer@example.net"]
    services.confirm_email(privacy_request, _code(mail.outbox[0]))
    privacy_request.refresh_from_db()
    assert privacy_request.customer == bob
    assert privacy_request.email_confirmed_at is not None
    assert privacy_request.due_on is None
    services.confirm_documents(privacy_request, by=privacy_officer)
    privacy_request.refresh_from_db()
    assert privacy_request.identity_method == PrivacyRequest.Identity.DOCUMENTS
    assert privacy_request.due_on is not None


def test_signed_in_customer_files_for_themselves_and_the_clock_starts(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("policy:request-create"), {"right": "objection", "details": ""}
    )
    assert response.status_code == 302
    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.customer == alice
    assert privacy_request.email == alice.email
    assert privacy_request.identity_method == PrivacyRequest.Identity.SIGNED_IN
    assert privacy_request.due_on == timezone.localdate() + timedelta(days=30)


def test_answers_reuse_export_closure_and_objection(privacy_officer):
    customers = {
        right: CustomerFactory(email=f"{right}@example.com")
        for right in ("access", "erasure", "objection")
    }
    for right, customer in customers.items():
        privacy_request = services.file_request(
            right=right, name="x", email=customer.email, customer=customer
        )
        services.close_request(
            privacy_request, by=privacy_officer, outcome="done", reply="Done."
        )
    assert DataExport.objects.filter(customer=customers["access"]).exists()
    assert ErasureRecord.objects.filter(customer=customers["erasure"]).exists()
    objector = customers["objection"]
    assert services.is_objecting(objector, purpose="marketing")
    assert services.is_objecting(objector, purpose="analytics")
    assert not services.is_objecting(customers["access"], purpose="marketing")


def test_reminders_at_10_and_3_days_then_daily_when_overdue(privacy_officer, commit):
    staff = CustomerFactory(email="handler@onespace.test", is_staff=True)
    with commit():
        privacy_request = services.file_request(
            right="access", name="x", email="x@example.net"
        )
    services.confirm_email(privacy_request, _code(mail.outbox[0]))
    services.assign_request(privacy_request, to=staff)
    filed = timezone.now()

    def emails_on(day: int) -> list[str]:
        mail.outbox.clear()
        with time_machine.travel(filed + timedelta(days=day), tick=False):
            services.send_request_reminders()
        return sorted(to for message in mail.outbox for to in message.to)

    both = ["handler@onespace.test", "privacy@onespace.test"]
    assert emails_on(19) == []
    assert emails_on(20) == both  # 10 days before
    assert emails_on(21) == []
    assert emails_on(27) == both  # 3 days before
    assert emails_on(28) == []
    assert emails_on(31) == both  # overdue
    assert emails_on(31) == []  # once a day
    assert emails_on(32) == both
    with time_machine.travel(filed + timedelta(days=32), tick=False):
        assert list(PrivacyRequest.objects.overdue()) == [privacy_request]
    services.close_request(
        privacy_request, by=privacy_officer, outcome="done", reply="Sent."
    )
    assert emails_on(33) == []


def test_extension_moves_the_deadline_and_tells_the_requester(commit):
    with commit():
        privacy_request = services.file_request(
            right="access", name="x", email="x@example.net", language="en"
        )
    services.confirm_email(privacy_request, _code(mail.outbox[0]))
    mail.outbox.clear()
    privacy_request.refresh_from_db()
    with commit():
        services.extend_request(
            privacy_request, days=30, reason="The backup archive must be restored."
        )
    assert privacy_request.due_by == privacy_request.due_on + timedelta(days=30)
    (message,) = mail.outbox
    assert message.to == ["x@example.net"]
    assert "The backup archive must be restored." in message.body
    with pytest.raises(ValidationError):
        services.extend_request(privacy_request, days=5, reason="again")
    privacy_request.refresh_from_db()
    assert privacy_request.due_by == privacy_request.due_on + timedelta(days=30)


def test_opening_a_customers_request_is_a_staff_read_and_needs_the_second_factor(
    client, staff_client, privacy_officer, alice
):
    from auditlog import buffer
    from auditlog.models import SecurityEvent

    buffer.clear()  # events other tests left in the in-memory buffer
    privacy_request = services.file_request(
        right="access", name="Alice", email=alice.email, customer=alice
    )
    change = reverse("admin:policy_privacyrequest_change", args=[privacy_request.pk])
    client.force_login(privacy_officer)  # password only, no second factor
    assert client.get(change).status_code == 302
    assert staff_client(privacy_officer).get(change).status_code == 200
    buffer.flush()
    event = SecurityEvent.objects.get(
        action=SecurityEvent.Action.PERSONAL_DATA_VIEWED,
        object_label=f"policy.privacyrequest:{privacy_request.pk}",
    )
    assert event.user_id == privacy_officer.pk
    assert event.subject_id == alice.pk


def test_the_public_form_is_rate_limited(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "privacy_request": "2/h"}
    for number in range(2):
        assert _file(client, email=f"p{number}@example.net").status_code == 302
    refused = _file(client, email="p3@example.net")
    assert refused.status_code == 429
    assert PrivacyRequest.objects.count() == 2


def test_thai_requester_reads_the_answer_date_in_the_buddhist_era(
    client, alice, commit
):
    """The detail page, the confirmation email and the extension email date in BE."""
    from onespace import thaidates

    alice.language = "th"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    with commit():
        client.post(reverse("policy:request-create"), {"right": "objection"})
    privacy_request = PrivacyRequest.objects.get()
    due = thaidates.thai_abbreviated_date(privacy_request.due_by)
    page = client.get(
        reverse("policy:request-detail", args=[privacy_request.public_id])
    ).content.decode()
    assert due in page
    with commit():
        services.extend_request(privacy_request, days=30, reason="กู้คืนข้อมูลสำรอง")
    privacy_request.refresh_from_db()
    extended = thaidates.thai_abbreviated_date(privacy_request.due_by)
    assert any(extended in message.body for message in mail.outbox)
    for message in mail.outbox:
        assert not re.search(rf"\b{privacy_request.due_by.year}\b", message.body)
