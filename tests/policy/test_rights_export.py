"""Data export (PDPA s.30-31): every category, nothing of anyone else, link for the owner only."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone, translation

from policy import services
from policy.export import category_filename
from policy.models import DataExport
from policy.registry import registry

pytestmark = pytest.mark.django_db


def _download(client, export):
    response = client.get(reverse("policy:export-download", args=[export.pk]))
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _request_export(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("policy:export"))
    assert response.status_code == 302
    return DataExport.objects.latest("pk")


def test_export_holds_every_registered_category_and_nothing_of_bob(
    client, alice_data, bob_data, django_capture_on_commit_callbacks
):
    client.force_login(alice_data)
    export = _request_export(client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.ready_at is not None
    assert export.expires_at == export.ready_at + timedelta(days=7)
    archive = _download(client, export)
    names = set(archive.namelist())
    assert {"README.txt", "manifest.json"} <= names
    for category in registry:
        rows = json.loads(archive.read(category_filename(category)))
        if category.per_person:
            assert rows, f"{category.key} is empty in the export"
        else:  # rows name records by id only (the task queue): nothing per person
            assert rows == [], category.key
    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["counts"]) == {category.key for category in registry}
    everything = b"".join(archive.read(name) for name in names).decode()
    assert "alice@example.com" in everything
    assert "node-a11ce" in everything
    assert "203.0.113.10" in everything
    for value in (
        "bob@example.com",
        "Bob Jones",
        bob_data.phone,
        "198.51.100.20",
        "node-b0bb0",
        "บ็อบ โจนส์ เทรดดิ้ง",
        "3100600445635",
    ):
        assert value not in everything, value


def test_password_hashes_are_not_exported(client, alice_data):
    rows = list(registry["accounts-password-history"].export(alice_data))
    assert rows
    assert all("password" not in row for row in rows)


def test_readme_is_in_the_customers_language(
    client, alice_data, django_capture_on_commit_callbacks
):
    alice_data.language = "th"
    alice_data.save()
    client.force_login(alice_data)
    export = _request_export(client, django_capture_on_commit_callbacks)
    readme = _download(client, export).read("README.txt").decode()
    assert "ข้อมูล" in readme
    with translation.override("en"):
        english_name = str(registry["billing-profile"].name)
    assert english_name not in readme


def test_email_carries_a_link_for_seven_days(
    client, alice, django_capture_on_commit_callbacks
):
    alice.language = "en"
    alice.save()
    client.force_login(alice)
    export = _request_export(client, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert reverse("policy:export-download", args=[export.pk]) in message.body
    assert "ready" in message.subject


def test_each_export_is_recorded_and_the_first_download_timed(
    client, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    first = _request_export(client, django_capture_on_commit_callbacks)
    second = _request_export(client, django_capture_on_commit_callbacks)
    assert first.pk != second.pk
    assert DataExport.objects.filter(customer=alice).count() == 2
    _download(client, first)
    first.refresh_from_db()
    assert first.downloaded_at is not None


def test_someone_elses_export_link_is_not_found(
    client, alice, bob, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    export = _request_export(client, django_capture_on_commit_callbacks)
    client.force_login(bob)
    response = client.get(reverse("policy:export-download", args=[export.pk]))
    assert response.status_code == 404
    export.refresh_from_db()
    assert export.downloaded_at is None


def test_download_needs_sign_in(client, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    export = _request_export(client, django_capture_on_commit_callbacks)
    client.logout()
    response = client.get(reverse("policy:export-download", args=[export.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_expired_link_is_gone_with_a_clear_page(
    client, alice, django_capture_on_commit_callbacks
):
    alice.language = "en"
    alice.save()
    client.force_login(alice)
    export = _request_export(client, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.get(
            reverse("policy:export-download", args=[export.pk]),
            headers={"accept-language": "en"},
        )
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    export.refresh_from_db()
    assert export.downloaded_at is None


def test_retention_purge_deletes_expired_export_files(
    client, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    export = _request_export(client, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    storage = storages["private"]
    name = export.file_name
    assert storage.exists(name)
    assert services.purge_expired_exports(timezone.now()) == 0
    assert services.purge_expired_exports(timezone.now() + timedelta(days=8)) == 1
    export.refresh_from_db()
    assert not storage.exists(name)
    assert export.file_deleted_at is not None
    assert DataExport.objects.filter(
        pk=export.pk
    ).exists()  # the request stays recorded
