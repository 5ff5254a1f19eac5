"""Names staff read in admin for the models of axes, django-otp and django-tasks-db.

These libraries name their apps and models in English only ("Otp_Totp", "TOTP device",
"Tasks Database Backend"), and axes calls its sign-in records "access log(s)", which in
Thai is the same บันทึกการเข้าใช้งาน as the portal's own access log (auditlog): two
sidebar sections with one name. Set once at start-up (``AccountsConfig.ready``); the
names are lazy translations, so each page shows them in its own language.
"""

from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Model
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

APP_NAMES = {
    "axes": _("Sign-in attempts (axes)"),
    "otp_totp": _("Authenticator apps"),
    "otp_static": _("Recovery codes"),
    "django_tasks_database": _("Background tasks"),
}
MODEL_NAMES = {
    ("axes", "accessattempt"): (
        _("failed sign-in counter"),
        _("failed sign-in counters"),
    ),
    ("axes", "accessfailurelog"): (_("failed sign-in"), _("failed sign-ins")),
    ("axes", "accesslog"): (_("sign-in session"), _("sign-in sessions")),
    ("axes", "accessattemptexpiration"): (
        _("failed sign-in counter expiry"),
        _("failed sign-in counter expiries"),
    ),
    ("otp_totp", "totpdevice"): (_("authenticator app"), _("authenticator apps")),
    ("otp_static", "staticdevice"): (_("recovery code set"), _("recovery code sets")),
    ("otp_static", "statictoken"): (_("recovery code"), _("recovery codes")),
}
# django-otp and django-tasks-db name their fields without gettext: (label, help text).
# The label is set on the field (migrations read the name given at definition, so none
# is made); the help text, which migrations do read, goes to the admin's form
# (help_texts below).
_Names = dict[str, tuple[Any, Any]]
_DEVICE_FIELDS: _Names = {
    "user": (_("staff member"), _("The staff member this device belongs to.")),
    "name": (
        _("device name"),
        _("A name that tells the staff member's devices apart."),
    ),
    "confirmed": (_("confirmed"), _("Whether the device is ready for use.")),
    "throttling_failure_timestamp": (
        _("last failed code at"),
        _("When a code from this device last failed; empty if the last one passed."),
    ),
    "throttling_failure_count": (
        _("failed codes in a row"),
        _("How many codes from this device failed in a row."),
    ),
    "created_at": (_("created at"), _("When this device was added.")),
    "last_used_at": (_("last used at"), _("When a code from this device last passed.")),
}
FIELD_NAMES: dict[tuple[str, str], _Names] = {
    ("otp_totp", "totpdevice"): {
        **_DEVICE_FIELDS,
        "key": (
            _("secret key"),
            _("The shared secret in hexadecimal, at most 40 bytes."),
        ),
        "step": (_("time step"), _("How many seconds each code is valid.")),
        "t0": (
            _("start time (t0)"),
            _("The Unix time from which time steps are counted."),
        ),
        "digits": (_("digits"), _("How many digits each code has.")),
        "tolerance": (
            _("tolerance"),
            _("How many time steps before or after now a code may come from."),
        ),
        "drift": (
            _("clock drift"),
            _("How many time steps the device's clock is ahead of or behind ours."),
        ),
        "last_t": (
            _("last time step used"),
            _(
                "The time step of the last code that passed; the next one must be later."
            ),
        ),
    },
    ("otp_static", "staticdevice"): _DEVICE_FIELDS,
    ("otp_static", "statictoken"): {
        "device": (_("recovery code set"), ""),
        "token": (_("recovery code"), ""),
    },
    ("django_tasks_database", "dbtaskresult"): {
        "id": (_("task id"), ""),
        "enqueued_at": (_("queued at"), ""),
        "started_at": (_("started at"), ""),
        "finished_at": (_("finished at"), ""),
        "args_kwargs": (_("arguments"), ""),
        "priority": (_("task priority"), ""),
        "task_path": (_("task"), ""),
        "worker_ids": (_("workers"), ""),
        "queue_name": (_("queue"), ""),
        "backend_name": (_("task backend"), ""),
        "run_after": (_("run after"), ""),
        "return_value": (_("return value"), ""),
        "exception_class_path": (_("error type"), ""),
        "traceback": (_("error details (traceback)"), ""),
    },
}


def name_third_party_models() -> None:
    """Give the libraries' apps and models translated names of their own."""
    for label, name in APP_NAMES.items():
        if label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name
    for (label, model_name), (singular, plural) in MODEL_NAMES.items():
        try:
            model = apps.get_model(label, model_name)
        except LookupError:
            continue
        model._meta.verbose_name = singular
        model._meta.verbose_name_plural = plural
    for (label, model_name), fields in FIELD_NAMES.items():
        try:
            model = apps.get_model(label, model_name)
        except LookupError:
            continue
        for field_name, (verbose_name, _help_text) in fields.items():
            field = model._meta.get_field(field_name)
            field.verbose_name = verbose_name  # type: ignore[union-attr]
    name_many_to_many_links()
    Group.__str__ = _group_str  # type: ignore[method-assign]
    for model in apps.get_models():
        if model.__str__ is Model.__str__:
            model.__str__ = _default_str  # type: ignore[method-assign]


def help_texts(label: str, model_name: str) -> dict[str, Any]:
    """The translated help texts of a library model's fields, for its admin form."""
    return {
        name: help_text
        for name, (_label, help_text) in FIELD_NAMES[label, model_name].items()
        if help_text
    }


def _group_str(group: Any) -> str:
    """A staff group by its name in the reader's language ("ฝ่ายการเงิน" for Finance)."""
    from accounts import roles

    return str(roles.LABELS.get(group.name, group.name))


def _default_str(obj: Any) -> str:
    """A row of a model without a name of its own: "รหัสกู้คืน #1", not Django's
    English "StaticToken object (1)" (the admin shows it above an inline's row)."""
    return f"{obj._meta.verbose_name} #{obj.pk}"


def _link_str(link: Any) -> str:
    """A many-to-many link as its two ends ("Support – แก้ไขแอปยืนยันตัวตนได้")."""
    from accounts.admin import permission_label

    ends = []
    for field in link._meta.fields:
        if field.is_relation:
            end = getattr(link, field.name)
            ends.append(
                permission_label(end) if isinstance(end, Permission) else str(end)
            )
    return " – ".join(ends)


def name_many_to_many_links() -> None:
    """Django names the link rows of a many-to-many field in English only
    ("Group-permission relationship", "Group_permissions object (1)"), which the admin
    lists when it asks before deleting a group or a user."""
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.auto_created:
            continue
        ends = [f.related_model for f in model._meta.fields if f.is_relation]
        if len(ends) != 2 or not all(isinstance(end, type) for end in ends):
            continue
        names = {
            "from": ends[0]._meta.verbose_name,  # type: ignore[union-attr]
            "to": ends[1]._meta.verbose_name,  # type: ignore[union-attr]
        }
        model._meta.verbose_name = _link_name(_("link %(from)s – %(to)s"), names)
        model._meta.verbose_name_plural = _link_name(
            _("links %(from)s – %(to)s"), names
        )
        model.__str__ = _link_str  # type: ignore[assignment]


def _format_names(template: Any, names: dict[str, Any]) -> str:
    return str(template) % {key: str(value) for key, value in names.items()}


_link_name = lazy(_format_names, str)
