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


# --- Privacy rights: a person with data in every registered category --------------------


def seed_personal_data(user, *, ip: str, node: str, legal_name: str, tax_id: str):
    """Create ``user``'s data in every registered category, through each app's services."""
    import datetime
    import uuid
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import RequestFactory

    from accounts.models import PasswordHistory
    from auditlog import chain
    from auditlog import services as auditlog_services
    from auditlog.models import (
        AccessLog,
        BreakGlassAccess,
        BreakGlassReview,
        BreakGlassUse,
        DeadLetter,
        Disclosure,
        SecurityEvent,
    )
    from billing import services as billing_services
    from billing.models import VatRate
    from policy import services as policy_services
    from policy.models import (
        Breach,
        BreachNotice,
        ConsentRecord,
        DataExport,
        MarketingDelivery,
        MarketingEmail,
        NoticeDelivery,
        NoticeVersion,
    )
    from support import services as support_services
    from tests.factories import BillingProfileFactory

    now = timezone.now()
    version = version_one()
    PasswordHistory.objects.create(user=user, password=f"md5$old${user.email}")
    request = RequestFactory().post(
        "/", REMOTE_ADDR=ip, HTTP_USER_AGENT=f"Browser of {user.email}"
    )
    # The factory's user already accepted version 1 at sign-up (without an address);
    # accepting the scheduled version from a browser records the address and browser.
    scheduled = NoticeVersion.objects.filter(label="next").first() or (
        NoticeVersionFactory(
            label="next", published_at=now, effective_at=now + timedelta(days=40)
        )
    )
    policy_services.accept_notice(
        user, version=scheduled, source="banner", request=request
    )
    policy_services.set_consent(
        user,
        purpose=ConsentRecord.Purpose.MARKETING_EMAIL,
        is_given=True,
        source="signup",
        request=request,
    )
    NoticeDelivery.objects.create(customer=user, version=version)
    DataExport.objects.create(
        customer=user,
        requested_at=now - timedelta(days=30),
        ready_at=now - timedelta(days=30),
        expires_at=now - timedelta(days=23),
    )
    breach = Breach.objects.create(
        detected_at=now - timedelta(days=2),
        became_aware_at=now - timedelta(days=2),
        description="Test incident",
        people_affected=1,
        risk=Breach.Risk.RISK,
    )
    BreachNotice.objects.create(breach=breach, customer=user)
    privacy_request = policy_services.file_request(
        right="objection",
        name=legal_name,
        email=user.email,
        details=f"Stop marketing to {legal_name}",
        customer=user,
    )
    policy_services.record_objection(user, purpose="marketing", request=privacy_request)
    newsletter = MarketingEmail.objects.first() or MarketingEmail.objects.create(
        subject_th="ข่าว", body_th="ข่าว", subject_en="News", body_en="News"
    )
    MarketingDelivery.objects.create(email=newsletter, customer=user)
    ua = f"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 {user.full_name}"
    chain.append(
        AccessLog,
        [
            {
                "occurred_at": now,
                "user_id": user.pk,
                "ip": ip,
                "browser_family": "Chrome",
                "browser_version": "120",
                "os_family": "Linux",
                "user_agent": ua,
                "method": "GET",
                "path": f"/billing/?who={node}",
                "status": 200,
                "duration_ms": 5,
            }
        ],
    )
    chain.append(
        SecurityEvent,
        [
            {
                "occurred_at": now,
                "action": SecurityEvent.Action.SIGN_IN,
                "user_id": user.pk,
                "attempted_email": user.email,
                "ip": ip,
                "user_agent": ua,
                "subject_id": None,
                "object_label": "",
            }
        ],
    )
    DeadLetter.objects.create(
        kind=DeadLetter.Kind.ACCESS,
        occurred_at=now,
        user=user,
        content=f'{{"ip": "{ip}", "path": "/{node}", "user_id": {user.pk}}}',
        error="DataError: a value the access log could not store",
    )
    auditlog_services.ingest_node_events(
        [
            {
                "event_id": uuid.uuid4(),
                "occurred_at": now,
                "node_id": node,
                "customer_id": user.pk,
                "action": "create",
                "actor_type": "customer",
                "actor_id": str(user.pk),
                "source_ip": ip,
                "details": {"plan": f"plan-of-{node}"},
            }
        ]
    )
    officer = user.__class__.objects.filter(is_staff=True).first() or user
    disclosure = Disclosure.objects.create(
        authority="Office of the Attorney General",
        legal_basis="Criminal Procedure Code s.132",
        requested_on=datetime.date(2026, 10, 1),
        categories=["auditlog-access-log"],
        approved_by=officer,
        disclosed_at=now,
    )
    disclosure.customers.set([user])
    # Break-glass (issue 17): an order's emergency access, one use, its review.
    access = BreakGlassAccess.objects.create(
        staff=officer,
        customer=user,
        node_id=node,
        reason_kind=BreakGlassAccess.Reason.ORDER,
        reason=f"Court order about {node}",
        disclosure=disclosure,
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
    )
    BreakGlassUse.objects.create(
        access=access, event_id=uuid.uuid4(), occurred_at=now, action="disk_access"
    )
    BreakGlassReview.objects.create(
        access=access,
        reviewer=officer,
        outcome=BreakGlassReview.Outcome.ACCEPTED,
        note=f"Order checked for {node}",
    )
    VatRate.objects.get_or_create(
        valid_from=datetime.date(1999, 4, 1), defaults={"rate": Decimal("7.00")}
    )
    profile = BillingProfileFactory(
        customer=user, legal_name=legal_name, tax_id=tax_id, email=user.email
    )
    note = billing_services.create_billing_note(
        profile,
        lines=[billing_services.LineInput("Cloud server", Decimal(1), Decimal(100))],
    )
    billing_services.record_payment(
        note,
        received_on=note.issued_on,
        net_received=note.total,
        certificate_number=f"50T-{node}",
    )
    _seed_configured_stores(user, ip=ip, node=node, request=request)
    # The e-Tax XML the render task makes after commit (billing.etax).
    from billing.etax import generation

    generation.generate(note)
    ticket = support_services.file_ticket(
        user,
        kind="problem",
        subject=f"Node {node} is down",
        message=f"My node {node} stopped; call me at {user.phone}",
        node_id=node,
        files=[
            SimpleUploadedFile(
                f"{node}-log.txt", b"kernel panic\n", content_type="text/plain"
            )
        ],
    )
    # A grant names the team working on the customer's ticket.
    auditlog_services.grant_access(
        user,
        node_id=node,
        reason=f"Look at {node} please",
        hours=2,
        ticket_id=ticket.pk,
    )
    return user


def _seed_configured_stores(user, *, ip: str, node: str, request) -> None:
    """Rows in the stores of Django and third-party apps (sessions, lockout, second
    factor, admin log) and a cancelled closure request, as those apps would write them."""
    from axes.models import AccessAttempt, AccessFailureLog
    from axes.models import AccessLog as AxesAccessLog
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth import SESSION_KEY
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from policy import services as policy_services

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session.create()
    typed = {
        "username": user.email,
        "ip_address": ip,
        "user_agent": f"Guesser of {user.email}",
        "http_accept": "text/html",
        "path_info": "/accounts/login/",
    }
    AccessAttempt.objects.create(
        **typed,
        get_data="",
        post_data=f"username={user.email}&password=********",
        failures_since_start=1,
    )
    AccessFailureLog.objects.create(**typed, locked_out=False)
    AxesAccessLog.objects.create(**typed, session_hash=f"hash-of-{node}")
    TOTPDevice.objects.create(user=user, name=f"Phone of {user.full_name}")
    device = StaticDevice.objects.create(user=user, name=f"Codes of {user.full_name}")
    StaticToken.objects.create(device=device, token=f"code{user.pk:04d}")
    LogEntry.objects.create(
        user=user.__class__.objects.filter(is_staff=True).first(),
        content_type=ContentType.objects.get_for_model(user.__class__),
        object_id=str(user.pk),
        object_repr=user.email,
        action_flag=CHANGE,
        change_message=f'[{{"changed": {{"fields": ["{user.phone}"]}}}}]',
    )
    record = policy_services.request_closure(user)
    policy_services.cancel_closure(user)
    assert record.pk


@pytest.fixture
def alice_data(alice, privacy_officer):
    return seed_personal_data(
        alice,
        ip="203.0.113.10",
        node="node-a11ce",
        legal_name="บริษัท อลิซ คลาวด์ จำกัด",
        tax_id="0107536000315",
    )


@pytest.fixture
def bob_data(bob, privacy_officer):
    return seed_personal_data(
        bob,
        ip="198.51.100.20",
        node="node-b0bb0",
        legal_name="บ็อบ โจนส์ เทรดดิ้ง",
        tax_id="3100600445635",
    )
