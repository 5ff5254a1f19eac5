"""Names staff read in admin for the models of axes, django-otp and django-tasks-db.

These libraries name their apps and models in English only ("Otp_Totp", "TOTP device",
"Tasks Database Backend"), and axes calls its sign-in records "access log(s)", which in
Thai is the same บันทึกการเข้าใช้งาน as the portal's own access log (auditlog): two
sidebar sections with one name. Set once at start-up (``AccountsConfig.ready``); the
names are lazy translations, so each page shows them in its own language.
"""

from django.apps import apps
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
