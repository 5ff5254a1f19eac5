"""Customer pages of the support app: tickets, replies, attachments."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import staff_second_factor_required
from onespace.pagination import paginate
from onespace.ratelimits import rate_limit
from policy.signals import staff_read
from support import services
from support.forms import ReplyForm, StateForm, TicketForm
from support.models import Attachment, Message, Ticket


def _has_files(request: HttpRequest) -> bool:
    return bool(request.FILES)


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = Ticket.objects.filter(customer=request.user)  # type: ignore[misc]
    # Newest activity first; the pk keeps equal times in one order across pages.
    tickets = tickets.order_by("-updated_at", "-pk")
    return render(request, "support/ticket_list.html", paginate(request, tickets))


@login_required
@rate_limit("ticket_create")
@rate_limit("attachment_upload", only_if=_has_files)
def ticket_create(request: HttpRequest) -> HttpResponse:
    form = TicketForm(
        request.POST or None,
        request.FILES or None,
        initial=TicketForm.initial_from(request.GET),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = services.file_ticket(
            request.user,  # type: ignore[arg-type]
            kind=data["kind"],
            privacy_right=data["privacy_right"],
            subject=data["subject"],
            message=data["message"],
            node_id=data["node_id"],
            files=data["attachments"],
        )
        messages.success(
            request,
            _("Thank you. Your ticket %(reference)s has been filed.")
            % {"reference": ticket.reference},
        )
        return redirect(ticket)
    return render(request, "support/ticket_form.html", {"form": form})


def access_grant_link(ticket: Ticket) -> str | None:
    """The audit-log page that prefills a grant for this ticket's node, once asked for."""
    if not ticket.access_grant_requested_at or not ticket.node_id or ticket.is_closed:
        return None
    try:
        base = reverse("auditlog:grant-create")
    except NoReverseMatch:
        return None
    return (
        base + "?" + urlencode({"node_id": ticket.node_id, "ticket": ticket.reference})
    )


def _render_detail(
    request: HttpRequest, ticket: Ticket, form: ReplyForm, status: int = 200
) -> HttpResponse:
    thread = ticket.messages.public().prefetch_related("attachments")  # type: ignore[attr-defined]
    context = {
        "ticket": ticket,
        "thread": thread,
        "form": form,
        "grant_link": access_grant_link(ticket),
    }
    return render(request, "support/ticket_detail.html", context, status=status)


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk, customer=request.user)
    return _render_detail(request, ticket, ReplyForm())


@login_required
@require_POST
@rate_limit("attachment_upload", only_if=_has_files)
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk, customer=request.user)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_customer_reply(
                ticket,
                author=request.user,  # type: ignore[arg-type]
                body=form.cleaned_data["message"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your reply has been sent."))
            return redirect(ticket)
    return _render_detail(request, ticket, form, status=400)


@login_required
@require_POST
def ticket_state(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk, customer=request.user)
    form = StateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown state."))
        return redirect(ticket)
    try:
        services.change_state(
            ticket,
            by=request.user,  # type: ignore[arg-type]
            state=form.cleaned_data["state"],
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Your ticket is closed."))
    return redirect(ticket)


def _may_see_as_staff(request: HttpRequest, attachment: Attachment) -> bool:
    user = request.user
    # Staff see customer files only with a verified second factor, as in admin.
    if not user.is_staff or not getattr(user, "is_verified", lambda: False)():
        return False
    if user.has_perm("support.view_ticket"):
        return True
    return (
        user.has_perm("support.work_privacy_request")
        and attachment.ticket.kind == Ticket.Kind.PRIVACY_REQUEST
    )


@login_required
@require_GET
@never_cache
@staff_second_factor_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(
        Attachment.objects.select_related("ticket", "message"), pk=pk
    )
    is_owner = attachment.ticket.customer_id == request.user.pk and (
        attachment.message is None
        or attachment.message.kind != Message.Kind.INTERNAL_NOTE
    )
    if not (is_owner or _may_see_as_staff(request, attachment)):
        raise Http404
    try:
        handle = storages["private"].open(attachment.stored_name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    if not is_owner:
        staff_read(
            request,
            subject_id=attachment.ticket.customer_id,
            object_label=f"support.attachment:{attachment.pk}",
        )
    content_type = attachment.content_type
    if content_type == Attachment.FileType.TEXT:
        content_type = "text/plain; charset=utf-8"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=content_type,
    )
    # Never let a browser guess a type or render the file inside the portal.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
