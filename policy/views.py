"""Public notice pages, the acceptance gate and the customer's privacy page."""

import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from onespace.pagination import paginate
from onespace.ratelimits import rate_limit
from onespace.redirects import safe_next_url
from policy import current, services, snapshot
from policy.diff import word_diff
from policy.forms import (
    AcceptForm,
    CloseAccountForm,
    ConsentForm,
    PrivacyRequestCodeForm,
    PrivacyRequestForm,
)
from policy.middleware import (
    CLOSE_ACCOUNT_VIEW,
    EXPORT_VIEW,
    needs_acceptance,
    remember_accepted,
)
from policy.models import (
    Acceptance,
    ConsentRecord,
    DataExport,
    NoticeVersion,
    PrivacyRequest,
)
from policy.registry import Category, holdings


def _published_or_404(label: str) -> NoticeVersion:
    return get_object_or_404(NoticeVersion.objects.published(), label=label)


def _previous(version: NoticeVersion) -> NoticeVersion | None:
    return (
        NoticeVersion.objects.published()
        .filter(effective_at__lt=version.effective_at)
        .order_by("-effective_at")
        .first()
    )


def notice(request: HttpRequest) -> HttpResponse:
    """The version in force in the visitor's language, and what we collect, why, how long."""
    version = NoticeVersion.objects.in_force()
    return render(
        request,
        "policy/notice.html",
        {
            "version": version,
            "scheduled": NoticeVersion.objects.scheduled(),
            # The table as published with the version in force, not the live registry.
            "categories": snapshot.published_categories(version),
        },
    )


def version_list(request: HttpRequest) -> HttpResponse:
    """Every published version: when it took (or takes) effect and what changed."""
    now, in_force = timezone.now(), current.in_force()
    rows = [
        (version, version.state_at(now, in_force.pk if in_force else None))
        for version in NoticeVersion.objects.published().order_by("-effective_at")
    ]
    return render(request, "policy/version_list.html", {"rows": rows})


def version_detail(request: HttpRequest, label: str) -> HttpResponse:
    """One published version, in force, scheduled or superseded."""
    version = _published_or_404(label)
    return render(
        request,
        "policy/version_detail.html",
        {"version": version, "previous": _previous(version)},
    )


def scheduled(request: HttpRequest) -> HttpResponse:
    """The version that takes effect next, with its date and the changes."""
    version = NoticeVersion.objects.scheduled()
    previous = _previous(version) if version else None
    return render(
        request,
        "policy/scheduled.html",
        {
            "version": version,
            "previous": previous,
            "diff": word_diff(previous.text(), version.text())
            if version and previous
            else "",
        },
    )


def version_diff(request: HttpRequest, old: str, new: str) -> HttpResponse:
    """Word by word, what changed from version ``old`` to version ``new``."""
    before, after = _published_or_404(old), _published_or_404(new)
    return render(
        request,
        "policy/version_diff.html",
        {
            "old": before,
            "new": after,
            "diff": word_diff(before.text(), after.text()),
            "summary_diff": word_diff(before.summary(), after.summary()),
        },
    )


@login_required
def gate(request: HttpRequest) -> HttpResponse:
    """The version in force is not accepted yet: summary, changes, accept or leave."""
    pending = needs_acceptance(request)
    next_url = _safe_next(request, request.GET.get("next", ""))
    if pending is None:
        return redirect(next_url)
    version = get_object_or_404(NoticeVersion, pk=pending.pk)
    previous = _previous(version)
    return render(
        request,
        "policy/gate.html",
        {
            "version": version,
            "previous": previous,
            "diff": word_diff(previous.text(), version.text()) if previous else "",
            "next": next_url,
            "export_url": _optional_url(EXPORT_VIEW),
            "close_account_url": _optional_url(CLOSE_ACCOUNT_VIEW),
        },
    )


@login_required
@require_POST
def accept(request: HttpRequest) -> HttpResponse:
    """Accept the version in force (gate) or the scheduled one (banner), for oneself only."""
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That version cannot be accepted."))
        return redirect("policy:notice")
    version = form.cleaned_data["version"]
    try:
        services.accept_notice(
            request.user,  # type: ignore[arg-type]
            version=version,
            source=form.cleaned_data["source"],
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("policy:notice")
    remember_accepted(request, version.pk)
    messages.success(
        request,
        _("Thank you: you accepted version %(label)s of the privacy notice.")
        % {"label": version.label},
    )
    return redirect(_safe_next(request, form.cleaned_data.get("next", "")))


@login_required
def my_privacy(request: HttpRequest) -> HttpResponse:
    """The customer's acceptances and optional consents, each changeable with one click."""
    customer: Any = request.user
    acceptances = Acceptance.objects.filter(customer=customer).select_related("version")
    consents = [
        {
            "purpose": purpose,
            "label": label,
            "is_given": services.has_consent(customer, purpose),
        }
        for purpose, label in ConsentRecord.Purpose.choices
    ]
    history = ConsentRecord.objects.filter(customer=customer)[:50]
    return render(
        request,
        "policy/my_privacy.html",
        {"acceptances": acceptances, "consents": consents, "history": history},
    )


@login_required
@require_POST
def consent(request: HttpRequest) -> HttpResponse:
    """Give or withdraw one optional consent; takes effect at once."""
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That choice is not valid; nothing was changed."))
        return redirect("policy:my-privacy")
    given = form.cleaned_data["is_given"]
    services.set_consent(
        request.user,  # type: ignore[arg-type]
        purpose=form.cleaned_data["purpose"],
        is_given=given,
        source=ConsentRecord.Source.PRIVACY_PAGE,
        request=request,
    )
    messages.success(
        request,
        _("Consent given. You can withdraw it at any time.")
        if given
        else _("Consent withdrawn. We stop at once."),
    )
    return redirect("policy:my-privacy")


def _safe_next(request: HttpRequest, candidate: str) -> str:
    return safe_next_url(request, candidate, reverse("accounts:home"))


def _optional_url(name: str) -> str:
    """A link to a page another issue adds; empty (and hidden) until it exists."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


# --- Privacy rights: my data, export, account closure (PDPA s.30-36) ----------------------


def _rights_links() -> dict[str, str]:
    """Where the other rights are exercised: editing pages of other apps, privacy requests."""
    requests = reverse("policy:request-create")
    return {
        "profile_url": _optional_url("accounts:profile"),
        "billing_profiles_url": _optional_url("billing:profile-list"),
        "objection_url": f"{requests}?{urlencode({'right': 'objection'})}",
        "restriction_url": f"{requests}?{urlencode({'right': 'restriction'})}",
        "request_url": requests,
    }


# A category's card without its count and rows, rendered once per process and language:
# name, purpose, basis and periods are the registry's, the same for every customer.
_COUNT, _ROWS = "\ue000count\ue000", "\ue000rows\ue000"
_CARDS: dict[tuple[type[Category], str, bool], list[str]] = {}


def _card(category: type[Category], count: int, preview: list) -> str:
    """The card of one category on *My data*: the cached frame, the count, the rows."""
    key = (
        category,
        translation.get_language() or settings.LANGUAGE_CODE,
        bool(preview),
    )
    frame = _CARDS.get(key)
    if frame is None:
        context = {"category": category, "count": _COUNT, "preview": _ROWS * key[2]}
        html = render_to_string("policy/_my_data_category.html", context)
        frame = _CARDS[key] = html.replace(_ROWS, _COUNT).split(_COUNT)
    counted = ngettext("%(counter)s record", "%(counter)s records", count) % {
        "counter": count
    }
    cells = (
        " · ".join(
            f"<strong>{escape(label)}:</strong> {escape(value)}"
            for label, value in record
        )
        for record in preview
    )
    rows = "".join(f"<tr><td>{cell}</td></tr>" for cell in cells)
    return mark_safe(  # noqa: S308 - our template's output, escaped values
        frame[0] + escape(counted) + frame[1] + (rows + frame[2] if preview else "")
    )


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Category by category: what we hold about the customer, why, on what basis, how long."""
    customer: Any = request.user
    rows = holdings(customer)
    for row in rows:
        row["card"] = _card(row["category"], row["count"], row["preview"])
    return render(
        request,
        "policy/my_data.html",
        {
            "rows": rows,
            "closure": services.pending_closure(customer),
            **_rights_links(),
        },
    )


@login_required
@rate_limit("data_export")
def export(request: HttpRequest) -> HttpResponse:
    """Ask for a copy of one's data (POST); see earlier exports and their links (GET)."""
    customer: Any = request.user
    if request.method == "POST":
        services.request_export(customer)
        messages.success(
            request,
            _(
                "We are preparing your data. You will get an email with a download "
                "link, valid for 7 days, as soon as it is ready."
            ),
        )
        return redirect("policy:export")
    exports = DataExport.objects.filter(customer=customer)  # newest first, then pk
    return render(
        request,
        "policy/export.html",
        {"now": timezone.now(), **paginate(request, exports)},
    )


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The customer's own export, streamed from private storage while its link is valid."""
    data_export = get_object_or_404(DataExport, pk=pk, customer=request.user)
    if data_export.is_expired() or data_export.file_deleted_at is not None:
        return render(
            request, "policy/export_expired.html", {"export": data_export}, status=410
        )
    if not data_export.is_ready:
        messages.info(request, _("This export is still being prepared."))
        return redirect("policy:export")
    services.mark_downloaded(data_export)
    filename = f"onespace-data-{data_export.ready_at:%Y%m%d}.zip"
    return FileResponse(
        storages["private"].open(data_export.file_name, "rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/zip",
    )


@login_required
def close_account(request: HttpRequest) -> HttpResponse:
    """Close the account: what is kept and why, then confirm with the password."""
    customer: Any = request.user
    closure = services.pending_closure(customer)
    form = CloseAccountForm(request.POST or None, user=customer)
    if request.method == "POST" and closure is None and form.is_valid():
        try:
            closure = services.request_closure(customer)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("policy:close-account")
        logout(request)
        return render(
            request, "policy/close_account_scheduled.html", {"closure": closure}
        )
    return render(
        request,
        "policy/close_account.html",
        {
            "form": form,
            "closure": closure,
            "kept": services.retained_categories(),
            "cool_off_days": settings.ACCOUNT_CLOSURE_COOL_OFF.days,
        },
    )


@login_required
@require_POST
def close_account_cancel(request: HttpRequest) -> HttpResponse:
    """Cancel a scheduled closure during the cool-off."""
    try:
        services.cancel_closure(request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your account will not be closed."))
    return redirect("policy:my-data")


# --- Privacy requests from anyone (PDPA s.30-36) -----------------------------------------


def _requesting_customer(request: HttpRequest) -> Any:
    user: Any = request.user
    return user if user.is_authenticated and not user.is_staff else None


@rate_limit("privacy_request")
def request_create(request: HttpRequest) -> HttpResponse:
    """File a privacy request: customers, former customers, people without an account."""
    customer = _requesting_customer(request)
    form = PrivacyRequestForm(
        request.POST or None,
        customer=customer,
        initial={"right": request.GET.get("right", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            privacy_request = services.file_request(
                right=data["right"],
                name=data.get("name") or (customer.full_name if customer else ""),
                email=data.get("email") or (customer.email if customer else ""),
                about_email=data.get("about_email") or "",
                details=data["details"],
                language=translation.get_language() or "th",
                customer=customer,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("policy:request-detail", privacy_request.public_id)
    return render(request, "policy/request_form.html", {"form": form})


@rate_limit("privacy_request")
def request_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Where the request stands; the code form until the address is confirmed."""
    privacy_request = get_object_or_404(PrivacyRequest, public_id=public_id)
    form = PrivacyRequestCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_email(privacy_request, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error.messages)
        else:
            messages.success(request, _("Thank you: your email address is confirmed."))
            return redirect("policy:request-detail", privacy_request.public_id)
    return render(
        request,
        "policy/request_detail.html",
        {
            "privacy_request": privacy_request,
            "form": form,
            "privacy_contact": settings.PRIVACY_CONTACT_EMAIL,
        },
    )


@require_POST
@rate_limit("privacy_request")
def request_code(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Send a new code to the requester's address."""
    privacy_request = get_object_or_404(PrivacyRequest, public_id=public_id)
    services.send_code(privacy_request)
    messages.info(request, _("We sent a new code. Check your email."))
    return redirect("policy:request-detail", privacy_request.public_id)


# --- Marketing email: one-click unsubscribe (RFC 8058) ------------------------------------


# The mail provider's one-click POST carries no CSRF token; the signed token in the URL
# is what authorises it, and all it can do is withdraw a consent.
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a button to stop marketing email; POST: withdraw the consent, no sign-in needed."""
    customer = services.customer_for_token(token)
    if customer is None:
        return render(request, "policy/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.unsubscribe(customer, request=request)
        return render(request, "policy/unsubscribe.html", {"done": True})
    return render(request, "policy/unsubscribe.html", {"token": token})
