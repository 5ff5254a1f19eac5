"""Forms of the policy app: sign-up acknowledgement, acceptance, consents, publication."""

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import forms as accounts_forms
from accounts.models import User
from policy import services
from policy.models import (
    Acceptance,
    Breach,
    ConsentRecord,
    NoticeVersion,
    PrivacyRequest,
)
from policy.registry import registry


class SignupForm(accounts_forms.SignupForm):
    """Sign-up plus the acknowledgement of the notice in force and the optional consents."""

    # Neither box is ticked beforehand (PDPA s.19: consent is given, never assumed).
    accept_notice = forms.BooleanField(
        label=_("I have read and accept the privacy notice"),
        required=True,
        error_messages={
            "required": _("You need to accept the privacy notice to create an account.")
        },
    )
    marketing_consent = forms.BooleanField(
        label=_(
            "Send me news and offers by email (optional; you can stop at any time)"
        ),
        required=False,
    )

    def clean_accept_notice(self) -> bool:
        if NoticeVersion.objects.in_force() is None:
            raise forms.ValidationError(
                _(
                    "The privacy notice is not available right now; please try again later."
                )
            )
        return bool(self.cleaned_data["accept_notice"])

    def on_signup(self, request: HttpRequest, user: User) -> None:
        """Record the acknowledgement of the version in force and the marketing choice."""
        super().on_signup(request, user)
        version = NoticeVersion.objects.in_force()
        if version is None:
            raise forms.ValidationError(_("There is no privacy notice in force."))
        services.accept_notice(
            user, version=version, source=Acceptance.Source.SIGNUP, request=request
        )
        services.set_consent(
            user,
            purpose=ConsentRecord.Purpose.MARKETING_EMAIL,
            is_given=bool(self.cleaned_data.get("marketing_consent")),
            source=ConsentRecord.Source.SIGNUP,
            request=request,
        )


class AcceptForm(forms.Form):
    """Accept one version: the label names it, the customer is always the signed-in one."""

    version = forms.SlugField(max_length=20)
    source = forms.ChoiceField(
        choices=[
            (Acceptance.Source.BANNER, Acceptance.Source.BANNER.label),
            (Acceptance.Source.GATE, Acceptance.Source.GATE.label),
        ]
    )
    next = forms.CharField(required=False, max_length=2000)

    def clean_version(self) -> NoticeVersion:
        label = self.cleaned_data["version"]
        version = NoticeVersion.objects.published().filter(label=label).first()
        if version is None:
            raise forms.ValidationError(
                _("There is no published version %(label)s."), params={"label": label}
            )
        return version


class ConsentForm(forms.Form):
    """One click: give or withdraw one optional consent."""

    purpose = forms.ChoiceField(choices=ConsentRecord.Purpose.choices)
    is_given = forms.TypedChoiceField(
        choices=[("1", _("Give")), ("0", _("Withdraw"))],
        coerce=lambda value: value == "1",
    )


class PublishForm(forms.Form):
    """The effective date a draft is published with (admin)."""

    effective_at = forms.DateTimeField(
        label=_("Takes effect on"),
        help_text=_("Asia/Bangkok time; at least the notice period after today."),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


class CloseAccountForm(forms.Form):
    """The customer confirms closing the account with their password."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password; your account was not closed."),
                code="wrong_password",
            )
        return password


class BreachForm(forms.ModelForm):
    """Admin form of a breach: categories chosen from the registry."""

    categories = forms.MultipleChoiceField(
        label=_("categories of data"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    change_reason = forms.CharField(
        label=_("Reason for this change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Kept with the new version of the record, with your name and the time."
        ),
    )
    is_candidate = forms.BooleanField(
        label=_("Still a candidate (untick to confirm it as a breach)"), required=False
    )
    dismiss = forms.BooleanField(
        label=_("Dismiss this candidate: it is not a breach"), required=False
    )

    class Meta:
        model = Breach
        fields = (
            "detected_at",
            "became_aware_at",
            "description",
            "measures",
            "risk",
            "categories",
            "people_affected",
            "affected_customers",
            "notified_regulator_at",
            "is_candidate",
        )
        error_messages = {
            "detected_at": {
                "required": _(
                    "Say when the breach was detected: the record is incomplete without it."
                )
            }
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            (category.key, str(category.name)) for category in registry
        ]
        if "became_aware_at" in self.fields:
            self.fields["became_aware_at"].required = False
            self.fields["became_aware_at"].help_text = _(
                "Leave empty if it is the detection time. The 72 hours to notify the "
                "regulator run from this moment (PDPA s.37(4))."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        detected, aware = cleaned.get("detected_at"), cleaned.get("became_aware_at")
        if detected and not aware:
            cleaned["became_aware_at"] = detected
        elif detected and aware and aware < detected:
            self.add_error(
                "became_aware_at",
                _("Becoming aware cannot come before the detection."),
            )
        if cleaned.get("dismiss") and not (cleaned.get("change_reason") or "").strip():
            self.add_error(
                "change_reason", _("Say why this candidate is not a breach.")
            )
        return cleaned


class PrivacyRequestForm(forms.Form):
    """A request to use a PDPA right: from anyone, or from the signed-in customer."""

    right = forms.ChoiceField(
        label=_("What do you ask for?"), choices=PrivacyRequest.Right.choices
    )
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We send a code to this address to confirm it is yours."),
    )
    about_email = forms.EmailField(
        label=_("The account this is about, if it is not yours"),
        required=False,
        help_text=_(
            "Asking for someone else? We will ask for documents that show you may."
        ),
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, customer: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if customer is not None:
            # A signed-in customer asks about their own account: name and address are known.
            for name in ("name", "email", "about_email"):
                del self.fields[name]


class PrivacyRequestCodeForm(forms.Form):
    """The six-digit code emailed to the requester."""

    code = forms.RegexField(
        label=_("Code from the email"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits from the email.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}
        ),
    )
