"""The "what we collect" table is part of the published version (policy clause 3)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.checks import run_checks
from django.urls import reverse
from django.utils import timezone, translation

from policy import services, snapshot
from policy.checks import published_registry
from policy.models import NoticeVersion
from policy.registry import registry
from tests.factories import NoticeVersionFactory

pytestmark = pytest.mark.django_db


def _longer_notice_email_retention(monkeypatch):
    monkeypatch.setattr(
        registry["policy-notice-email"], "retention", timedelta(days=10 * 365)
    )


def _notice_page(client):
    with translation.override("en"):
        response = client.get(reverse("policy:notice"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_version_one_is_frozen_with_the_registry_by_the_migration(v1):
    assert v1.registry_snapshot, "migration 0008 freezes version 1's table"
    assert snapshot.differences(v1.registry_snapshot, snapshot.take()) == []
    assert published_registry(None) == []
    assert "policy.E020" not in {m.id for m in run_checks()}


def test_a_registry_change_fails_the_check_until_a_draft_covers_it(v1, monkeypatch):
    _longer_notice_email_retention(monkeypatch)
    [error] = published_registry(None)
    assert error.id == "policy.E020"
    assert "policy-notice-email" in error.msg
    NoticeVersionFactory(label="2")  # a draft: publishing it will freeze the change
    assert published_registry(None) == []


def test_a_new_retention_reaches_privacy_only_when_its_version_takes_effect(
    client, v1, privacy_officer, monkeypatch
):
    assert "5 years" in _notice_page(client)
    _longer_notice_email_retention(monkeypatch)
    # The live registry changed; customers still see what version 1 published.
    page = _notice_page(client)
    assert "10 years" not in page

    draft = NoticeVersionFactory(
        label="2", summary_th="เก็บอีเมลแจ้งเตือนนานขึ้น", summary_en="Longer retention"
    )
    effective = timezone.now() + timedelta(days=31)
    services.publish_version(draft, by=privacy_officer, effective_at=effective)
    draft.refresh_from_db()
    assert snapshot.differences(draft.registry_snapshot, snapshot.take()) == []
    # Scheduled, not in force: the table on /privacy/ is still version 1's, and the
    # check passes because the scheduled version covers the change.
    assert "10 years" not in _notice_page(client)
    assert published_registry(None) == []
    with time_machine.travel(effective + timedelta(minutes=1)):
        from policy import current

        current.clear()
        assert "10 years" in _notice_page(client)


def test_the_snapshot_keeps_both_languages(v1):
    entry = next(e for e in v1.registry_snapshot if e["key"] == "accounts-registration")
    assert entry["name"]["en"] == "Registration and sign-in data"
    assert entry["name"]["th"] != entry["name"]["en"]
    assert NoticeVersion.objects.get(pk=v1.pk).registry_snapshot == v1.registry_snapshot
