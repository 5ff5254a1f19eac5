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

from collections.abc import Iterable, Iterator
from contextlib import closing
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any, ClassVar

from django.db import models
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from onespace.thaidates import format_date, format_datetime

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
    # Templates get the class itself, not an instance made by calling it.
    do_not_call_in_templates: ClassVar[bool] = True

    @classmethod
    def all_recipients(cls) -> list[StrOrPromise]:
        """The declared recipients and every active processor that receives this category
        (the register of processors, PDPA s.39-40); empty means none outside the company."""
        from policy.models import Processor

        processors = Processor.objects.active().receiving(cls.key)
        return [*cls.recipients, *(p.recipient_label() for p in processors)]

    @classmethod
    def get_legal_basis_display(cls) -> str:
        """The legal basis in the active language."""
        return str(Basis(cls.legal_basis).label)

    @classmethod
    def get_erasure_display(cls) -> str:
        return str(Erasure(cls.erasure).label)

    @classmethod
    def retention_display(cls) -> str:
        """How long, in words ("5 years", "90 days"); "" means while the account exists."""
        if cls.retention is None:
            return ""
        days = cls.retention.days
        if days and days % 365 == 0:
            years = days // 365
            return ngettext("%(count)d year", "%(count)d years", years) % {
                "count": years
            }
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}

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


# The policy's definition: data that identifies or contacts a person. A text-like field
# whose name has one of these parts is presumed personal until a category declares it,
# or ``not_personal`` says why it is not (e.g. the name of a service token).
PERSONAL_NAME_PARTS = frozenset(
    {
        # who: names and contact details (policy 1.1, 1.3)
        "name", "names", "email", "phone", "mobile", "tel", "telephone", "contact",
        # where: postal address and its parts (policy 1.3)
        "address", "street", "road", "subdistrict", "district", "province",
        "postcode", "postal", "zip",
        # tax identity (policy 1.3)
        "tax", "tin", "passport", "citizen",
        # traffic data (policy 1.2.2)
        "ip", "agent", "browser",
        # free text a customer writes (policy 1.4)
        "message", "body", "subject", "text", "reason", "note", "notes", "comment",
        "comments", "description", "content", "reply", "remark", "remarks", "question",
    }
)  # fmt: skip


def looks_personal(field: models.Field) -> bool:
    """Whether ``field`` probably holds personal data, judged by its type and name."""
    if isinstance(field, models.EmailField | models.GenericIPAddressField):
        return True
    if not isinstance(field, models.CharField | models.TextField | models.JSONField):
        return False
    if field.choices:
        return False  # a fixed vocabulary, not something a person wrote or is
    return bool(set(field.name.lower().split("_")) & PERSONAL_NAME_PARTS)


class AlreadyRegistered(Exception):
    pass


class Registry:
    """All declared categories, in registration order."""

    def __init__(self) -> None:
        self._registry: dict[str, type[Category]] = {}
        # (model label, field name) -> why a personal-looking field is not personal data.
        self.not_personal: dict[tuple[str, str], StrOrPromise] = {}

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

    def declare_not_personal(
        self, model: type[models.Model], *fields: str, reason: StrOrPromise
    ) -> None:
        if not reason:
            raise ValueError("Say why the field is not personal data")
        for name in fields:
            model._meta.get_field(name)  # fails loudly on a typo
            self.not_personal[(model._meta.label_lower, name)] = reason

    def uncovered_fields(self, app_labels: Iterable[str]) -> list[str]:
        """Personal-looking fields of these apps' models that no category declares."""
        from django.apps import apps

        covered = self.covered_fields() | set(self.not_personal)
        missing = []
        for label in app_labels:
            for model in apps.get_app_config(label).get_models():
                if model._meta.proxy:
                    continue
                for field in model._meta.local_concrete_fields:
                    key = (model._meta.label_lower, field.name)
                    if key not in covered and looks_personal(field):
                        missing.append(f"{model._meta.label}.{field.name}")
        return missing

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


def not_personal(model: type[models.Model], *fields: str, reason: StrOrPromise) -> None:
    """Declare that personal-looking ``fields`` of ``model`` hold no personal data, and why."""
    registry.declare_not_personal(model, *fields, reason=reason)


def autodiscover() -> None:
    """Import every installed app's ``privacy`` module, as admin does with ``admin``."""
    autodiscover_modules("privacy", register_to=registry)


def _column_label(model: type[models.Model], column: str) -> str:
    if column == "pk":
        return "#"
    try:
        return str(model._meta.get_field(column).verbose_name)  # type: ignore[union-attr]
    except Exception:  # a lookup through a relation ("version__label") or an alias
        return column.replace("__", " ").replace("_", " ")


def _short(value: Any) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def preview_rows(
    category: type[Category], user: models.Model, *, limit: int = 3
) -> list[list[tuple[str, str]]]:
    """A few rows as the export gives them, as (label, value) pairs for a page.

    The newest rows when the category exports with the default; otherwise the first rows
    of its own ``export`` (which may leave columns out on purpose, e.g. password hashes).
    """
    if getattr(category.export, "__func__", None) is Category.export.__func__:  # type: ignore[attr-defined]
        columns = ("pk", *category.export_fields, *category.fields)
        rows: list[dict[str, Any]] = list(
            category.for_subject(user).order_by("-pk").values(*columns)[:limit]
        )
    else:
        with closing(category.export(user)) as exported:  # type: ignore[type-var]
            rows = list(islice(exported, limit))
    return [
        [(_column_label(category.model, k), _short(v)) for k, v in row.items()]
        for row in rows
    ]
