"""The personal-data registry: what the company holds, why, on what basis, for how long.

Each app declares its categories in its own ``privacy.py``, found at start-up the way
``admin.py`` modules are::

    from policy import registry as privacy

    @privacy.register
    class BillingProfileData(privacy.Category):
        \"\"\"Company details printed on tax invoices.\"\"\"

        key = "billing-profile"
        name = _("Billing profiles")
        model = BillingProfile
        fields = ("company_name", "address", "tax_id", "email", "phone")
        purpose = _("Issue Thai tax invoices (policy 1.3)")
        legal_basis = privacy.Basis.CONTRACT
        retention = timedelta(days=5 * 365)
        retention_reason = _("Revenue Code s.87/3: tax documents are kept 5 years")
        subject = "customer"  # ORM path from the model to the person

The registry drives the published "what we collect" table, a customer's data export,
erasure and the record of processing activities. ``export`` and ``erase`` are
classmethods with sensible defaults; a category overrides them only when the defaults
are wrong for its data.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db import models
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


class Basis(models.TextChoices):
    """Lawful bases of PDPA s.24 / s.19 that the portal relies on."""

    CONTRACT = "contract", _("Contract")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    CONSENT = "consent", _("Consent")


class Erasure(models.TextChoices):
    """What erasing a person does to a category's rows."""

    DELETE = "delete", _("Deleted")
    ANONYMISE = "anonymise", _("Personal fields anonymised, the rest kept")
    RETAIN = "retain", _("Kept until the legal retention period ends, then purged")


class Category:
    """One kind of personal data held in one model."""

    key: ClassVar[str] = ""
    name: ClassVar[StrOrPromise] = ""
    model: ClassVar[type[models.Model]]
    fields: ClassVar[tuple[str, ...]] = ()
    purpose: ClassVar[StrOrPromise] = ""
    legal_basis: ClassVar[str] = Basis.CONTRACT
    # None means "as long as the account exists".
    retention: ClassVar[timedelta | None] = None
    retention_reason: ClassVar[StrOrPromise] = ""
    # ORM path from ``model`` to the person (the user); "" when the model is the user.
    subject: ClassVar[str] = "user"
    # Who receives the data besides the company (record of processing, PDPA s.39).
    recipients: ClassVar[tuple[StrOrPromise, ...]] = ()
    erasure: ClassVar[str] = Erasure.DELETE
    # Extra non-personal columns worth including in an export (dates, states).
    export_fields: ClassVar[tuple[str, ...]] = ()
    # The datetime field the retention period runs from; "" means the retention purge
    # leaves this category alone (its rows go when the account is erased).
    retention_from: ClassVar[str] = ""

    @classmethod
    def for_subject(cls, user: models.Model) -> models.QuerySet:
        """Rows of this category that are about ``user``."""
        manager = cls.model._default_manager
        if not cls.subject:
            return manager.filter(pk=user.pk)
        return manager.filter(**{cls.subject: user})

    @classmethod
    def export(cls, user: models.Model) -> Iterator[dict[str, Any]]:
        """Yield one JSON-ready dict per row, streamed from the database."""
        columns = ("pk", *cls.export_fields, *cls.fields)
        rows = cls.for_subject(user).order_by("pk").values(*columns)
        yield from rows.iterator(chunk_size=2000)

    @classmethod
    def erase(cls, user: models.Model) -> int:
        """Erase ``user``'s rows as ``erasure`` says; return how many rows were touched."""
        rows = cls.for_subject(user)
        if cls.erasure == Erasure.RETAIN:
            return 0
        if cls.erasure == Erasure.DELETE:
            count, _deleted = rows.delete()
            return count
        return rows.update(**cls.anonymised_values())

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        """Retention purge: delete (or anonymise) rows whose retention has run out."""
        if cls.retention is None or not cls.retention_from:
            return 0
        expired = cls.model._default_manager.filter(
            **{f"{cls.retention_from}__lt": now - cls.retention}
        )
        if cls.erasure == Erasure.ANONYMISE:
            return expired.update(**cls.anonymised_values())
        count, _deleted = expired.delete()
        return count

    @classmethod
    def anonymised_values(cls) -> dict[str, Any]:
        """Values that replace the personal fields when rows are anonymised."""
        values: dict[str, Any] = {}
        for name in cls.fields:
            field = cls.model._meta.get_field(name)
            if field.null:
                values[name] = None
            elif isinstance(field, models.JSONField):
                values[name] = {}
            else:
                values[name] = ""
        return values


class AlreadyRegistered(Exception):
    pass


class Registry:
    """All declared categories, in registration order."""

    def __init__(self) -> None:
        self._registry: dict[str, type[Category]] = {}

    def register(self, category: type[Category]) -> type[Category]:
        if not category.key:
            category.key = category.model._meta.label_lower
        if category.key in self._registry:
            raise AlreadyRegistered(
                f"Privacy category {category.key!r} is already registered"
            )
        for name in category.fields:
            category.model._meta.get_field(name)  # fails loudly on a typo
        self._registry[category.key] = category
        return category

    def unregister(self, key: str) -> None:
        self._registry.pop(key, None)

    def __iter__(self) -> Iterator[type[Category]]:
        return iter(self._registry.values())

    def __len__(self) -> int:
        return len(self._registry)

    def __getitem__(self, key: str) -> type[Category]:
        return self._registry[key]

    def covered_fields(self) -> set[tuple[str, str]]:
        """(model label, field name) pairs that some category declares."""
        return {
            (category.model._meta.label_lower, name)
            for category in self
            for name in category.fields
        }


registry = Registry()


def register(category: type[Category]) -> type[Category]:
    """Class decorator: add ``category`` to the registry."""
    return registry.register(category)


def autodiscover() -> None:
    """Import every installed app's ``privacy`` module, as admin does with ``admin``."""
    autodiscover_modules("privacy", register_to=registry)
