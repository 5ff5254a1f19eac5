"""Customer forms of the support app: filing a ticket and replying to it."""

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from support import filetypes
from support.models import Ticket

# Node identifiers as the control plane writes them: letters, digits and - _ .,
# starting with a letter or digit (names such as "node-7f3a" or a UUID).
NODE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, each checked by content against the allowed types and size."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        limit = settings.SUPPORT_ATTACHMENT_MAX_COUNT
        if len(files) > limit:
            raise ValidationError(
                _("Attach at most %(limit)d files."),
                code="too_many",
                params={"limit": limit},
            )
        errors: list[ValidationError] = []
        for upload in files:
            try:
                self.check_file(upload)
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return files

    def check_file(self, upload: UploadedFile) -> None:
        max_bytes = settings.SUPPORT_ATTACHMENT_MAX_BYTES
        name = upload.name or ""
        if upload.size is None or upload.size > max_bytes:
            raise ValidationError(
                _("%(name)s is larger than %(limit)s."),
                code="too_large",
                params={"name": name, "limit": filesizeformat(max_bytes)},
            )
        if not upload.size:
            raise ValidationError(
                _("%(name)s is empty."), code="empty", params={"name": name}
            )
        mime = filetypes.sniff(upload)
        if mime is None or not filetypes.matches_name(mime, name):
            raise ValidationError(
                _(
                    "%(name)s is not an accepted file: attach PNG or JPEG images, "
                    "PDF documents or plain text files whose name matches their content."
                ),
                code="refused_type",
                params={"name": name},
            )
        # The type found in the content, not the browser's claim, is what is stored.
        upload.content_type = mime


class TicketForm(forms.ModelForm):
    message = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
    )
    attachments = AttachmentsField(
        label=_("Attachments"),
        help_text=_("PNG, JPEG, PDF or plain text."),
    )

    class Meta:
        model = Ticket
        fields = ("kind", "privacy_right", "subject", "node_id")
        help_texts = {
            "node_id": _("Optional: the node this is about, e.g. node-7f3a."),
            "privacy_right": _("For privacy requests: which right under the PDPA."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        kind.choices = [("", _("Choose what this is about")), *Ticket.Kind.choices]  # type: ignore[attr-defined]
        right = self.fields["privacy_right"]
        right.choices = [("", _("Not a privacy request")), *Ticket.PrivacyRight.choices]  # type: ignore[attr-defined]

    @staticmethod
    def initial_from(query: Mapping[str, str]) -> dict[str, str]:
        """Prefill from a link such as ``?kind=privacy&privacy_right=objection``.

        Unknown values are dropped rather than shown, so a crafted link cannot put
        anything but a known choice or a well-formed node id into the form.
        """
        initial: dict[str, str] = {}
        kind = query.get("kind", "")
        right = query.get("privacy_right", "")
        node_id = query.get("node_id", "").strip()
        if right in Ticket.PrivacyRight.values:
            initial["privacy_right"] = right
            kind = Ticket.Kind.PRIVACY_REQUEST  # a right is only exercised by request
        if kind in Ticket.Kind.values:
            initial["kind"] = kind
        if NODE_ID_RE.match(node_id):
            initial["node_id"] = node_id
        return initial

    def clean_node_id(self) -> str:
        node_id = self.cleaned_data["node_id"].strip()
        if node_id and not NODE_ID_RE.match(node_id):
            raise ValidationError(
                _(
                    "This does not look like a node identifier: use the name shown "
                    "in your control panel, e.g. node-7f3a."
                ),
                code="invalid_node",
            )
        return node_id

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        right = cleaned.get("privacy_right")
        if kind == Ticket.Kind.PRIVACY_REQUEST and not right:
            self.add_error(
                "privacy_right",
                ValidationError(
                    _("Choose which right you want to exercise."), code="required"
                ),
            )
        elif kind and kind != Ticket.Kind.PRIVACY_REQUEST:
            cleaned["privacy_right"] = ""
        return cleaned


class ReplyForm(forms.Form):
    message = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
    )
    attachments = AttachmentsField(
        label=_("Attachments"),
        help_text=_("PNG, JPEG, PDF or plain text."),
    )


class StateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=Ticket.State.choices)
