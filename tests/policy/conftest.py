"""Fixtures of the policy tests: notice versions in every state."""

from datetime import timedelta

import pytest
from django.utils import timezone

from policy import current
from tests.factories import NoticeVersionFactory, version_one


@pytest.fixture(autouse=True)
def _fresh_version_cache():
    """The process cache of published versions must not leak between tests."""
    current.clear()
    yield
    current.clear()


@pytest.fixture
def v1(db):
    """Version 1, loaded by the data migration and in force since the portal opened."""
    return version_one()


@pytest.fixture
def draft(db):
    return NoticeVersionFactory(label="2")


@pytest.fixture
def scheduled_v2(v1):
    """Version 2, published and taking effect in 40 days."""
    now = timezone.now()
    return NoticeVersionFactory(
        label="2",
        published_at=now,
        effective_at=now + timedelta(days=40),
    )
