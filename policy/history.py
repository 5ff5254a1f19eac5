"""Record a new version of a breach or disclosure after each change (see models/history.py).

``record_version(obj, by=…, reason=…)`` is called once the row and its many-to-many links
are saved (admin's ``save_related``, the services); ``VersionedAdmin`` does it for admin
and shows the history on the record's page.
"""

import json
from typing import Any

from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from onespace.thaidates import format_datetime
from policy.models.history import RecordVersion


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Every concrete field and many-to-many link of ``obj``, JSON-ready."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        data[field.attname] = field.value_from_object(obj)
    for field in obj._meta.many_to_many:
        data[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


@transaction.atomic
def record_version(obj: Any, *, by: Any = None, reason: str = "") -> RecordVersion:
    """Bump ``obj.version`` and store the state it now has (its history's next entry)."""
    model = type(obj)
    row = model._default_manager.select_for_update().get(pk=obj.pk)
    last = (
        RecordVersion.objects.filter(table=model._meta.db_table, object_id=obj.pk)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    number = (last or 0) + 1
    if row.version != number:
        model._default_manager.filter(pk=obj.pk).update(version=number)
        row.version = number
    obj.version = number
    return RecordVersion.objects.create(
        table=model._meta.db_table,
        object_id=obj.pk,
        number=number,
        data=snapshot(row),
        changed_by=by if getattr(by, "pk", None) else None,
        reason=reason,
    )


def history_of(obj: models.Model) -> models.QuerySet[RecordVersion]:
    return RecordVersion.objects.filter(
        table=obj._meta.db_table, object_id=obj.pk
    ).select_related("changed_by")


class VersionedAdmin(admin.ModelAdmin):
    """Each save in admin adds a version (who, when, why); the history shows on the page."""

    #: Form field whose text is stored as the version's reason.
    reason_field = "change_reason"

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        record_version(
            form.instance,
            by=request.user,
            reason=form.cleaned_data.get(self.reason_field, "") or "",
        )

    @admin.display(description=_("history"))
    def history(self, obj: Any) -> str:
        if obj is None or obj.pk is None:
            return "—"
        rows = [
            (
                version.number,
                format_datetime(version.changed_at),
                version.changed_by or _("the portal"),
                version.reason,
            )
            for version in history_of(obj)
        ]
        return format_html_join("", "<p>v{} · {} · {} {}</p>", rows) or "—"


# --- Used by the migrations that version a table (policy 0010, auditlog 0005) -----------


def guard(table: str) -> str:
    """SQL: the deferred trigger that refuses a change of ``table`` without a version."""
    return f"""
    CREATE CONSTRAINT TRIGGER {table}_versioned AFTER UPDATE OR DELETE ON {table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION policy_require_version();
    """


def first_versions(apps: Any, table: str, model: Any) -> None:
    """Version 1 of every existing row of a historical ``model``: its state when versions began."""
    record_version_model = apps.get_model("policy", "RecordVersion")
    for row in model.objects.filter(version=0):
        data = {
            f.attname: f.value_from_object(row) for f in model._meta.concrete_fields
        }
        for field in model._meta.many_to_many:
            data[field.name] = sorted(
                getattr(row, field.name).values_list("pk", flat=True)
            )
        data["version"] = 1
        record_version_model.objects.create(
            table=table,
            object_id=row.pk,
            number=1,
            data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
            reason="recorded before versions",
        )
        model.objects.filter(pk=row.pk).update(version=1)
