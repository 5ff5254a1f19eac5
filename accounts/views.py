"""Pages of the accounts app: sign-up, verification, sign-in, profile, passwords, second factor."""

from base64 import b32encode
from typing import Any, cast

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import forms, services
from accounts.models import User
from onespace.ratelimits import rate_limit
from onespace.redirects import safe_next_url


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in customer's home page; staff work in admin."""
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/home.html")


@rate_limit("signup")
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account; it stays unusable until its email address is verified."""
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form_class = services.signup_form_class()
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_up(form, request=request)
        except IntegrityError:
            # Two sign-ups raced for one address; the unique constraint decided.
            form.add_error(
                "email", _("An account with this email address already exists.")
            )
        else:
            request.session["signup_email"] = form.cleaned_data["email"]
            return redirect("accounts:signup-done")
    return render(request, "accounts/signup.html", {"form": form})


def signup_done(request: HttpRequest) -> HttpResponse:
    """'Check your inbox' after sign-up."""
    return render(
        request,
        "accounts/signup_done.html",
        {"email": request.session.get("signup_email", "")},
    )


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """Apply a verification link (sign-up or change of address)."""
    try:
        user = services.verify_email(token)
    except services.InvalidEmailLink as error:
        return render(
            request, "accounts/verify_failed.html", {"reason": error.reason}, status=400
        )
    messages.success(
        request,
        _("Your email address %(email)s is verified.") % {"email": user.email},
    )
    if request.user.is_authenticated:
        return redirect("accounts:home")
    return redirect("accounts:login")


@login_required
@rate_limit("resend_verification")
def verification_pending(request: HttpRequest) -> HttpResponse:
    """The page an unverified account sees instead of the services; resends the link."""
    user = _user(request)
    if user.has_verified_email:
        return redirect("accounts:home")
    if request.method == "POST":
        services.send_verification(user)
        messages.success(
            request,
            _("We sent a new link to %(email)s.") % {"email": user.email},
        )
        return redirect("accounts:verification-pending")
    return render(request, "accounts/verification_pending.html")


def _remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """The language cookie LocaleMiddleware reads, as Django's set_language writes it."""
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; signed in, the choice is also saved on the account."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and settings.LANGUAGE_COOKIE_NAME in response.cookies
    ):
        services.save_language(_user(request), language)
    return response


class LoginView(auth_views.LoginView):
    """Sign-in by email; django-axes locks an account and address pair after 5 failures.

    The portal then speaks the account's saved language, whatever this browser chose.
    """

    authentication_form = forms.LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        return _remember_language(response, form.get_user().language)


class LogoutView(auth_views.LogoutView):
    """Sign-out (POST only, as Django requires)."""


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The customer corrects name, email address (re-verified) and phone."""
    user = _user(request)
    form = forms.ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        new_email = services.update_profile(form)
        if new_email:
            messages.success(
                request,
                _(
                    "Saved. We sent a link to %(email)s; your email address changes "
                    "once you open it."
                )
                % {"email": new_email},
            )
        else:
            messages.success(request, _("Your details are saved."))
        return _remember_language(redirect("accounts:profile"), user.language)
    if request.method == "POST":
        user.refresh_from_db()
    return render(request, "accounts/profile.html", {"form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password (the old one first); the last 5 cannot be reused."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("Your password is changed."))
        return super().form_valid(form)


class PasswordExpiredView(PasswordChangeView):
    """Policy 1.1: after 90 days the password must be changed before anything else."""

    template_name = "accounts/password_expired.html"
    success_url = reverse_lazy("accounts:home")


@method_decorator(rate_limit("password_reset"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by email (sent in the account holder's language)."""

    form_class = forms.PasswordResetForm
    template_name = "accounts/password_reset.html"
    subject_template_name = "accounts/email/password_reset.subject.txt"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from a reset link."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return safe_next_url(request, target, reverse("admin:index"))


@login_required
@never_cache
def second_factor(request: HttpRequest) -> HttpResponse:
    """Staff confirm a TOTP or recovery code; the first time, they enrol an authenticator."""
    user = _user(request)
    if not user.is_staff:
        raise PermissionDenied
    next_url = _safe_next(request)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(next_url)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if device is None:
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, confirmed=False, defaults={"name": "OneSpace admin"}
        )
    form = forms.SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = _verified_device(
            user, device, form.cleaned_data["token"], enrolling=enrolling
        )
        if verified is not None:
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, verified)
            # django_otp.login keeps the session key; a key that existed before the
            # second factor must not carry the verified session (session fixation).
            request.session.cycle_key()
            if enrolling:
                codes = services.issue_recovery_codes(user)
                return render(
                    request,
                    "accounts/recovery_codes.html",
                    {"codes": codes, "next": next_url},
                )
            return redirect(next_url)
        form.add_error("token", _("This code is not correct or has expired."))
    context: dict[str, Any] = {"form": form, "enrolling": enrolling, "next": next_url}
    if enrolling:
        context["qr_data_uri"] = segno.make(device.config_url).svg_data_uri(scale=4)
        context["secret"] = _base32(device.bin_key)
    return render(request, "accounts/second_factor.html", context)


def _verified_device(
    user: User, totp: TOTPDevice, token: str, *, enrolling: bool
) -> Device | None:
    """The device ``token`` belongs to: the authenticator, else a recovery code."""
    if totp.verify_token(token):
        return totp
    if enrolling:
        return None
    # A recovery code works once: django-otp deletes it when it matches.
    for recovery in StaticDevice.objects.devices_for_user(user, confirmed=True):
        if recovery.verify_token(token):
            return recovery
    return None


def _base32(key: bytes) -> str:
    return b32encode(key).decode().rstrip("=")
