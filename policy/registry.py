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

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import import_module
from itertools import islice
from typing import Any, ClassVar

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F, Func, IntegerField, Value
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from onespace.thaidates import format_date, format_datetime

StrOrPromise = str | Promise


class Basis(models.TextChoices):
    """Lawful bases of PDPA s.24 / s.19 that the portal relies on."""

    CONTRACT = "contract", _("Contract")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    CONSENT = "consent", _("Consent")


class Source(models.TextChoices):
    """Where a category's data comes from (record of processing, PDPA s.39)."""

    SUBJECT = "subject", _("From you")
    SYSTEMS = "systems", _("Recorded by our systems while you use the service")
    STAFF = "staff", _("Recorded by our staff")
    CONTROL_PLANE = "control_plane", _("From the cloud control plane, about your nodes")
    AUTHORITIES = "authorities", _("From authorities' requests and orders")


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
    # True when an overridden ``purge_expired`` leaves held rows out itself (legal holds,
    # policy.services.holds); otherwise the purge waits while a hold covers expired rows.
    purge_honours_holds: ClassVar[bool] = False
    # Where the data comes from (record of processing, PDPA s.39).
    source: ClassVar[str] = Source.SUBJECT
    # Extra non-personal columns worth including in an export (dates, states).
    export_fields: ClassVar[tuple[str, ...]] = ()
    # The datetime field the retention period runs from; "" means the retention purge
    # leaves this category alone (its rows go when the account is erased).
    retention_from: ClassVar[str] = ""
    # False when rows name a person only by a record id (e.g. the task queue): nothing
    # to export or erase person by person; the rows go with the retention purge.
    per_person: ClassVar[bool] = True
    # True when an overridden ``for_subject`` reads nothing of the person but the id and
    # the email address: the page *My data* may then compile its query once for all.
    subject_by_id: ClassVar[bool] = False
    # The order of the rows in an export.
    export_order: ClassVar[tuple[str, ...]] = ("pk",)
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
    def get_source_display(cls) -> str:
        return str(Source(cls.source).label)

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
        if not cls.per_person:
            return manager.none()
        if not cls.subject:
            return manager.filter(pk=user.pk)
        return manager.filter(**{cls.subject: user})

    @classmethod
    def export_rows(cls, rows: models.QuerySet) -> models.QuerySet:
        """The export of ``rows`` (the person's rows, from ``for_subject``) as a
        ``values()`` queryset: which rows and columns the person gets.

        A category that hands out less than its fields (no password hashes, no device
        keys, no internal notes) overrides this rather than ``export``: the page *My
        data* then previews it in the same single query as every other category. The
        values may be expressions (annotations); ``export_row`` finishes each row.
        """
        return rows.values("pk", *cls.export_fields, *cls.fields)

    @classmethod
    def export_row(cls, row: dict[str, Any], user: models.Model) -> dict[str, Any]:
        """One row of ``export_rows`` as the export gives it (default: unchanged)."""
        return row

    @classmethod
    def export(cls, user: models.Model) -> Iterator[dict[str, Any]]:
        """Yield one JSON-ready dict per row, streamed from the database."""
        rows = cls.export_rows(cls.for_subject(user)).order_by(*cls.export_order)
        for row in rows.iterator(chunk_size=2000):
            yield cls.export_row(row, user)

    @classmethod
    def erase(cls, user: models.Model) -> int:
        """Erase ``user``'s rows as ``erasure`` says; return how many rows were touched."""
        rows = cls.for_subject(user)
        if cls.erasure == Erasure.RETAIN:
            return 0
        held = _held_q(cls)
        if held is not None:  # a legal hold keeps these rows as they are
            rows = rows.exclude(held)
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
        held = _held_q(cls, now)
        if held is not None:  # a legal hold keeps these rows past their retention
            expired = expired.exclude(held)
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


def _held_q(category: type[Category], now: datetime | None = None) -> Any:
    from policy.services.holds import held_q

    return held_q(category, now)


def overrides(category: type[Category], method: str) -> bool:
    """Whether ``category`` replaces the default ``export``/``erase``/``purge_expired``."""
    own = getattr(category, method).__func__  # type: ignore[attr-defined]
    return own is not getattr(Category, method).__func__  # type: ignore[attr-defined]


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
        # model label -> why a model (of any installed app) holds no personal data.
        self.models_without_personal_data: dict[str, StrOrPromise] = {}

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

    def declare_no_personal_data(
        self, model: type[models.Model], *, reason: StrOrPromise
    ) -> None:
        if not reason:
            raise ValueError("Say why the model holds no personal data")
        self.models_without_personal_data[model._meta.label_lower] = reason

    @staticmethod
    def _models(app_labels: Iterable[str] | None) -> list[type[models.Model]]:
        from django.apps import apps

        if app_labels is None:
            found = list(apps.get_models())  # every installed app, ours or not
        else:
            found = [
                model
                for label in app_labels
                for model in apps.get_app_config(label).get_models()
            ]
        return [model for model in found if not model._meta.proxy]

    def undeclared_models(self, app_labels: Iterable[str] | None = None) -> list[str]:
        """Models neither in a category nor declared to hold no personal data."""
        declared = {category.model._meta.label_lower for category in self}
        declared |= set(self.models_without_personal_data)
        return [
            model._meta.label
            for model in self._models(app_labels)
            if model._meta.label_lower not in declared
        ]

    def uncovered_fields(self, app_labels: Iterable[str] | None = None) -> list[str]:
        """Fields no category declares and no ``not_personal`` explains: personal-looking
        ones, and every free-form ``TextField`` or ``JSONField`` (whatever its name: such a
        column can hold anything, so someone has to say what it holds)."""
        covered = self.covered_fields() | set(self.not_personal)
        missing = []
        for model in self._models(app_labels):
            for field in model._meta.local_concrete_fields:
                key = (model._meta.label_lower, field.name)
                if key in covered:
                    continue
                free_form = isinstance(field, models.TextField | models.JSONField)
                if free_form or looks_personal(field):
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


def no_personal_data(model: type[models.Model], *, reason: StrOrPromise) -> None:
    """Declare that ``model`` (of any installed app) holds no personal data, and why."""
    registry.declare_no_personal_data(model, reason=reason)


def autodiscover() -> None:
    """Import every installed app's ``privacy`` module, as admin does with ``admin``,
    and ``onespace.privacy`` (Django's and third-party apps configured project-wide)."""
    autodiscover_modules("privacy", register_to=registry)
    import_module("onespace.privacy")


_LABELS: dict[tuple[type[models.Model], str, str | None], str] = {}


def _column_label(model: type[models.Model], column: str) -> str:
    """A column's label in the active language, worked out once per process."""
    key = (model, column, get_language())
    label = _LABELS.get(key)
    if label is None:
        label = _LABELS[key] = _label(model, column)
    return label


def _label(model: type[models.Model], column: str) -> str:
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
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def holdings(user: models.Model, *, limit: int = 3) -> list[dict[str, Any]]:
    """Every category with how many rows it holds about ``user`` and a preview of the newest.

    Two queries, whatever the number of categories and the length of the history: one
    counts every category, one fetches the newest rows of every category as its export
    gives them (``export_rows``; a UNION ALL, each row as a JSON object). Only a category
    that overrides ``export`` itself adds a query, when it holds something.

    Building and compiling seventy querysets would cost the page more CPU than everything
    else it does, so each category's part is compiled once per process and day and then
    only given the customer's id and address (``_part``).
    """
    categories = list(registry)
    subjects: dict[str, models.QuerySet] = {}
    # The person's values the compiled parts take, worked out once (request.user is lazy).
    derived = {derive: derive(user) for derive in _DERIVED}
    language = get_language()
    situation = _situation(user)
    counts: dict[str, int] = {}
    for key, count in _union(
        [
            _part("count", category, user, limit, subjects, derived, situation)
            for category in categories
        ]
    ):
        counts[key] = count
    found: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    parts = {
        category.key: _part(
            "preview", category, user, limit, subjects, derived, situation
        )
        for category in categories
        if _exports_by_rows(category)
    }
    for key, row in _union(list(parts.values())):
        if isinstance(row, str):  # a backend that returns the JSON as text
            row = json.loads(row)
        found.setdefault(key, []).append((row.pop("registry_pk"), row))
    result = []
    for category in categories:
        if category.key not in parts:
            # A category with its own export previews through it (one query each),
            # and only when it holds something about the customer.
            preview = (
                preview_rows(category, user, limit=limit)
                if counts.get(category.key)
                else []
            )
        else:
            newest = sorted(
                found.get(category.key, ()), key=lambda r: r[0], reverse=True
            )
            # The export's columns in order: jsonb keeps keys in an order of its own.
            part = parts[category.key]
            columns = part[2] if part is not None else ()
            preview = [
                _labelled(
                    category,
                    category.export_row(
                        {
                            column: _from_json(category.model, column, row[column])
                            for column in columns
                        },
                        user,
                    ),
                    language,
                )
                for _pk, row in newest
            ]
        result.append(
            # A category with nothing per person (for_subject is none()) leaves the union.
            {
                "category": category,
                "count": counts.get(category.key, 0),
                "preview": preview,
            }
        )
    return result


Part = tuple[str, list[Any], tuple[str, ...]]
# Two users no database holds, told apart only by their ids: a part compiled for both
# that differs only where one has the other's id is the same SQL for every customer.
_SENTINELS = (-2_000_000_011, -2_000_000_013)
_NOTHING = ("", (), ())
_UNKNOWN = ("?", (), ())
_PARTS: dict[tuple[Any, ...], tuple[str, tuple[Any, ...], tuple[str, ...]] | None] = {}


def _union(parts: list[Part | None]) -> list[tuple[Any, ...]]:
    """Run the parts as one UNION ALL; each part's rows are (category key, value)."""
    present = [part for part in parts if part is not None]
    if not present:
        return []
    sql = " UNION ALL ".join(part[0] for part in present)
    params = [param for part in present for param in part[1]]
    with connections[registry_db()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def registry_db() -> str:
    """The database the registry's counts and previews read (the default one)."""
    return DEFAULT_DB_ALIAS


def _build(
    kind: str, category: type[Category], rows: models.QuerySet, limit: int
) -> tuple[models.QuerySet, tuple[str, ...]]:
    if kind == "count":
        counter = rows.order_by().values(
            # Names no model field has: values() refuses an annotation named like a
            # field (TOTPDevice and axes have a ``key``).
            registry_key=Value(category.key),
            registry_n=Func(Value(1), function="COUNT", output_field=IntegerField()),
        )
        return counter, ()
    exported = category.export_rows(rows)
    columns = exported._fields  # type: ignore[attr-defined]
    return _newest(category, exported, columns, limit), columns


def _compile(queryset: models.QuerySet) -> tuple[str, tuple[Any, ...]] | None:
    try:
        sql, params = queryset.query.get_compiler(registry_db()).as_sql()
    except EmptyResultSet:  # none(), or sessions with no live session
        return None
    return sql, tuple(params)


def _part(
    kind: str,
    category: type[Category],
    user: models.Model,
    limit: int,
    subjects: dict[str, models.QuerySet],
    derived: dict[Callable[[Any], Any], Any],
    situation: tuple[Any, ...],
) -> Part | None:
    """One category's part of a union as (SQL, params, export columns), None when empty.

    A category whose ``for_subject`` reads nothing of the person but the id and address
    (the default one, or one declaring ``subject_by_id``) is compiled once per process and
    day for two sentinel users; when the two differ only in parameters made of their ids
    or addresses (``_DERIVED``), the SQL is kept and the customer's values put in their
    place. Any other (sessions, which it must decode) is built for the customer each time.
    """
    key = (kind, category, limit, *situation)
    template = _PARTS.get(key, _UNKNOWN)
    if template is _UNKNOWN:
        if any(cached[-1] != key[-1] for cached in _PARTS):  # yesterday's: let them go
            _PARTS.clear()
        template = _PARTS[key] = _template(kind, category, user, limit, situation[1])
    if template is _NOTHING:
        return None
    if template is not None:
        sql, slots, columns = template
        return sql, [derived[s] if callable(s) else s for s in slots], columns
    if category.key not in subjects:
        subjects[category.key] = category.for_subject(user)
    queryset, columns = _build(kind, category, subjects[category.key], limit)
    compiled = _compile(queryset)
    return None if compiled is None else (compiled[0], list(compiled[1]), columns)


def _situation(user: models.Model) -> tuple[Any, ...]:
    """What a compiled part depends on besides the category: the database, whether the
    person has an address (once erased, for_subject takes other branches) and the day."""
    return registry_db(), bool(getattr(user, "email", "")), timezone.localdate()


def _template(
    kind: str, category: type[Category], user: models.Model, limit: int, addressed: bool
) -> tuple[str, tuple[Any, ...], tuple[str, ...]] | None:
    if overrides(category, "for_subject") and not category.subject_by_id:
        return None
    if not category.per_person:  # for_subject is none(): no part at all
        return _NOTHING
    model = user._meta.model
    # With an address when the person has one, as for_subject will see them.
    sentinels = [
        model(pk=pk, email=f"Sentinel{-pk}@registry.invalid" if addressed else "")
        for pk in _SENTINELS
    ]
    compiled = []
    for sentinel in sentinels:
        queryset, columns = _build(
            kind, category, category.for_subject(sentinel), limit
        )
        compiled.append(_compile(queryset))
    first, second = compiled
    if first is None or second is None or first[0] != second[0]:
        return None
    if len(first[1]) != len(second[1]):
        return None
    slots: list[Any] = []
    for a, b in zip(first[1], second[1], strict=True):
        if a == b:
            slots.append(a)
            continue
        for derive in _DERIVED:
            if (derive(sentinels[0]), derive(sentinels[1])) == (a, b):
                slots.append(derive)
                break
        else:  # a parameter that depends on something else (the time, a session)
            return None
    return first[0], tuple(slots), columns


def _like(value: str) -> str:
    return f"%{connections[registry_db()].ops.prep_for_like_query(value)}%"


# What a part's parameters may be made of: the person's id and address, as the lookups
# of for_subject turn them into parameters (exact, text, lower-cased, icontains).
_DERIVED: tuple[Callable[[Any], Any], ...] = (
    lambda user: user.pk,
    lambda user: str(user.pk),
    lambda user: str(user.email),
    lambda user: str(user.email).strip().lower(),
    lambda user: _like(str(user.email)),
)


def _newest(
    category: type[Category],
    exported: models.QuerySet,
    columns: tuple[str, ...],
    limit: int,
) -> models.QuerySet:
    """The newest ``limit`` rows of the category's export, each as one JSON object."""
    return (
        exported.filter(pk__in=exported.order_by("-pk").values("pk")[:limit])
        .order_by()
        .values(
            registry_key=Value(category.key),
            # The pk inside the JSON: keys of different types (sessions') union there.
            registry_row=JSONObject(
                registry_pk=F("pk"), **{column: F(column) for column in columns}
            ),
        )
    )


def _labelled(
    category: type[Category], row: dict[str, Any], language: str | None = None
) -> list[tuple[str, str]]:
    model = category.model
    language = language or get_language()
    labels = []
    for column, value in row.items():
        label = _LABELS.get((model, column, language))
        if label is None:
            label = _column_label(model, column)
        labels.append((label, _short(value)))
    return labels


def _exports_by_rows(category: type[Category]) -> bool:
    """Whether the category exports through ``export_rows`` (does not override ``export``)."""
    return not overrides(category, "export")


def _columns(category: type[Category]) -> tuple[str, ...]:
    return ("pk", *category.export_fields, *category.fields)


_FIELDS: dict[tuple[type[models.Model], str], Any] = {}


def _field(model: type[models.Model], column: str) -> Any:
    """The field behind an export column ("pk", a field, a lookup through relations),
    None for an annotation."""
    if column == "pk":
        return model._meta.pk
    field: Any = None
    try:
        for part in column.split("__"):
            field = model._meta.get_field(part)
            if field.is_relation and field.related_model is not None:
                model = field.related_model
    except FieldDoesNotExist:
        return None
    return field.target_field if field.is_relation else field


def _from_json(model: type[models.Model], column: str, value: Any) -> Any:
    """A value read back from JSON as the model field gives it (datetimes, decimals, dates)."""
    if value is None:
        return None
    key = (model, column)
    field = _FIELDS[key] if key in _FIELDS else _FIELDS.setdefault(key, _field(*key))
    if field is None:  # an annotation of export_rows: as JSON gave it
        return value
    if isinstance(field, models.DateTimeField):
        try:  # the ISO form jsonb and SQLite write; anything else through the field
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            parsed = field.to_python(value)
        if parsed is not None and parsed.tzinfo is None:  # SQLite keeps UTC, naive
            parsed = parsed.replace(tzinfo=UTC)
        return parsed
    if isinstance(field, models.DecimalField):
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))
    if isinstance(field, models.JSONField):
        # Nested as an object on PostgreSQL; SQLite's JSON_OBJECT quotes its text.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:  # a JSON string value, already decoded
                return value
        return value
    return field.to_python(value)  # UUIDs (SQLite keeps hex), dates, booleans (0/1)


def preview_rows(
    category: type[Category], user: models.Model, *, limit: int = 3
) -> list[list[tuple[str, str]]]:
    """The newest rows as the export gives them, as (label, value) pairs for a page.

    Through ``export_rows`` when the category exports with it; otherwise the first rows
    of its own ``export``.
    """
    if _exports_by_rows(category):
        exported = category.export_rows(category.for_subject(user))
        rows = [
            category.export_row(row, user) for row in exported.order_by("-pk")[:limit]
        ]
    else:
        with closing(category.export(user)) as exported_rows:  # type: ignore[type-var]
            rows = list(islice(exported_rows, limit))
    return [_labelled(category, row) for row in rows]
