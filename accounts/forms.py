"""Forms for sign-up, sign-in, profile, password reset and the staff second factor."""

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.emails import build_email
from accounts.models import User
from accounts.phone import thai_mobile_e164


class ThaiMobileField(forms.CharField):
    """A Thai mobile number, cleaned to E.164 (+66…)."""

    widget = forms.TextInput(
        attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault(
            "help_text", _("A Thai mobile number, for example 081 234 5678.")
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        return thai_mobile_e164(value) if value else value


def _email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


class SignupForm(forms.Form):
    """Policy 1.1: sign-up collects exactly name, email, mobile phone and password."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send a link to this address to confirm it is yours."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = ThaiMobileField()
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common or all-numeric password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if _email_taken(email):
            raise forms.ValidationError(
                _("An account with this email address already exists."),
                code="duplicate_email",
            )
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2",
                forms.ValidationError(
                    _("The two passwords differ."), code="password_mismatch"
                ),
            )
        elif password1:
            # The validators compare the password with the name and email too.
            candidate = User(
                email=cleaned.get("email", ""), full_name=cleaned.get("full_name", "")
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def user_fields(self) -> dict[str, Any]:
        """The values the new account is created with."""
        language = (translation.get_language() or "th")[:2]
        if language not in User.Language.values:
            language = User.Language.THAI
        return {
            "email": self.cleaned_data["email"],
            "full_name": self.cleaned_data["full_name"],
            "phone": self.cleaned_data["phone"],
            "password": self.cleaned_data["password1"],
            "language": language,
        }

    def on_signup(self, request: HttpRequest, user: User) -> None:
        """Hook called inside the sign-up transaction right after ``user`` is created.

        A subclass (settings.SIGNUP_FORM_CLASS) records what else sign-up means, e.g. the
        acknowledgement of the privacy notice. If it raises, no account is created.
        """


class LoginForm(auth_forms.AuthenticationForm):
    """Sign-in by email address, whatever its letter case."""

    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("The email address or password is not correct."),
    }


class ProfileForm(forms.ModelForm):
    """The customer corrects their name, email address (re-verified), phone and language."""

    phone = ThaiMobileField()

    class Meta:
        model = User
        fields = ("full_name", "email", "phone", "language")
        labels = {
            "full_name": _("Full name"),
            "email": _("Email address"),
            "language": _("Language for emails"),
        }
        help_texts = {
            "email": _(
                "If you change it, we send a link to the new address; the change takes "
                "effect once you open it."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial_email = self.instance.email
        # Staff accounts are made by an administrator and need no phone number.
        self.fields["phone"].required = not self.instance.is_staff

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if email != self.initial_email and _email_taken(
            email, exclude_pk=self.instance.pk
        ):
            raise forms.ValidationError(
                _("An account with this email address already exists."),
                code="duplicate_email",
            )
        return email

    @property
    def new_email(self) -> str | None:
        """The address asked for, when it differs from the current one."""
        email = self.cleaned_data["email"]
        return email if email != self.initial_email else None


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, sending the email in the account holder's language.

    The link is built on ``SITE_URL`` like every other email's, not on the Host header
    of the request that asked for it.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        build_email(
            email_template_name.removesuffix(".txt"),
            context,
            language=context["user"].language,
            to=[to_email],
        ).send()


class SecondFactorForm(forms.Form):
    """The 6-digit code from the authenticator app, or one of the staff member's recovery codes."""

    token = forms.RegexField(
        label=_("Code from your authenticator app, or a recovery code"),
        # A recovery code is 8 base32 characters (django-otp's static tokens), often
        # typed with a space or dash in the middle.
        regex=r"^\s*(\d{6}|[A-Za-z2-7]{4}[\s-]?[A-Za-z2-7]{4})\s*$",
        max_length=20,
        error_messages={
            "invalid": _("Enter the 6-digit code or an 8-character recovery code.")
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split()).replace("-", "").lower()
