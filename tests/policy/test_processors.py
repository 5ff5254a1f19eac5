"""Register of processors (PDPA s.28-29, s.40): the record of processing's recipients come from it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from policy.models import Processor
from policy.registry import registry

pytestmark = pytest.mark.django_db


def _record(staff_client, officer) -> str:
    client = staff_client(officer)
    client.cookies["onespace_language"] = "en"
    response = client.get(reverse("admin:policy_processing_record"))
    assert response.status_code == 200
    return response.content.decode()


def _row(page: str, key: str) -> str:
    start = page.index(f"<code>{key}</code>")
    return page[start : page.index("</tr>", start)]


def test_the_issues_processors_are_seeded_and_flagged_until_complete():
    roles = set(Processor.objects.values_list("role", flat=True))
    assert {"mail", "hosting", "payment", "backup"} <= roles
    assert all(processor.missing() for processor in Processor.objects.all())
    with pytest.raises(SystemCheckError, match="policy.W020"):
        call_command("check", "--database", "default", "--fail-level", "WARNING")


def test_no_category_says_none_outside_the_company_while_a_processor_gets_it(
    staff_client, privacy_officer
):
    page = _record(staff_client, privacy_officer)
    active = list(Processor.objects.active())
    assert active
    for category in registry:
        receivers = Processor.objects.active().receiving(category.key)
        row = _row(page, category.key)
        for processor in receivers:
            assert processor.name in row, (category.key, processor.name)
        if receivers:
            assert "None outside the company" not in row, category.key


def test_a_new_processor_shows_in_the_recipients_and_the_register(
    staff_client, privacy_officer
):
    Processor.objects.all().delete()
    mailer = Processor(
        name="Example Mail Co., Ltd.",
        role="mail",
        categories=["accounts-registration"],
        country="Singapore",
        transfer_basis="safeguards",
        contract_reference="DPA-2026-07",
        contract_signed_on=date(2026, 7, 1),
    )
    mailer.full_clean()
    mailer.save()
    assert mailer.missing() == []
    page = _record(staff_client, privacy_officer)
    assert "Example Mail Co., Ltd. (Email delivery, Singapore)" in _row(
        page, "accounts-registration"
    )
    assert "None outside the company" in _row(page, "billing-profile")
    register = page[page.index('id="processors"') :]
    assert "DPA-2026-07" in register
    assert "Appropriate safeguards by contract (s.29 para 3)" in register


def test_unknown_categories_are_refused():
    processor = Processor(
        name="X", role="other", categories=["no-such-category"], country="Thailand"
    )
    with pytest.raises(ValidationError) as raised:
        processor.full_clean()
    assert "categories" in raised.value.message_dict
