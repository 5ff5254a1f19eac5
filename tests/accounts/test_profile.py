import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

PROFILE = "/accounts/profile/"


def _data(user, **overrides):
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "language": user.language,
    }
    data.update(overrides)
    return data


def test_profile_updates_name_phone_and_language(signed_in, alice):
    response = signed_in.post(
        PROFILE,
        _data(alice, full_name="Alice  Walker", phone="0923456789", language="en"),
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.full_name, alice.phone, alice.language) == (
        "Alice Walker",
        "+66923456789",
        "en",
    )
    assert mail.outbox == []


def test_changed_email_waits_for_verification(
    signed_in, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(PROFILE, _data(alice, email="Alice.New@Example.com"))
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    message = mail.outbox[0]
    assert message.to == ["alice.new@example.com"]
    path = re.search(r"(/accounts/verify/[^/\s]+/)", message.body)[1]
    signed_in.get(path)
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"
    assert alice.email_verified_at is not None
    # The link is spent: the account's address has changed since it was made.
    assert signed_in.get(path).status_code == 400


def test_email_change_link_refused_when_address_taken_meanwhile(
    signed_in, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(PROFILE, _data(alice, email="carol@example.com"))
    path = re.search(r"(/accounts/verify/[^/\s]+/)", mail.outbox[0].body)[1]
    User.objects.create_user("Carol@example.com", "x" * 12, full_name="Carol")
    assert signed_in.get(path).status_code == 400
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "BOB@example.com"}, "email"),
        ({"email": "not an email"}, "email"),
        ({"phone": "021234567"}, "phone"),
        ({"phone": "+447911123456"}, "phone"),
        ({"full_name": ""}, "full_name"),
    ],
)
def test_bad_profile_input_changes_nothing(signed_in, alice, bob, overrides, field):
    before = User.objects.values().get(pk=alice.pk)
    response = signed_in.post(PROFILE, _data(alice, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert User.objects.values().get(pk=alice.pk) == before
    assert mail.outbox == []


def test_profile_needs_sign_in(client):
    assert client.get(PROFILE).url.startswith(reverse("accounts:login"))


def test_queued_verification_tasks_carry_the_account_id_not_the_address(
    signed_in, alice, settings, django_capture_on_commit_callbacks
):
    """Task rows of the database queue hold ids: the address is read when the task runs."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(PROFILE, _data(alice, email="alice.new@example.com"))
    [row] = DBTaskResult.objects.all()
    assert row.task_path == "accounts.tasks.send_verification_email"
    assert "@" not in str(row.args_kwargs)
    assert row.args_kwargs["args"] == [alice.pk]
    alice.refresh_from_db()
    assert alice.pending_email == "alice.new@example.com"
    # Run the queued task: the link goes to the pending address.
    row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    assert mail.outbox[-1].to == ["alice.new@example.com"]
    path = re.search(r"(/accounts/verify/[^/\s]+/)", mail.outbox[-1].body)[1]
    signed_in.get(path)
    alice.refresh_from_db()
    assert (alice.email, alice.pending_email) == ("alice.new@example.com", "")
