"""The policy app's verbs, one module per concern; callers use ``services.<verb>``.

- ``notice``: publish a version, announce it, accept it, consents;
- ``rights``: exports, closure and erasure, the retention purge (PDPA s.30–33);
- ``requests``: privacy requests from filing to the reply, objections (s.30–36);
- ``marketing``: marketing emails to consenting customers, one-click unsubscribe (s.19);
- ``breaches``: record a breach and tell the customers (s.37(4));
- ``holds``: legal holds, and what purge and erasure must keep;
- ``maintenance``: the daily maintenance run;
- ``mail``: policy emails in the customer's language.
"""

from policy.services.breaches import notify_breach, record_breach, send_breach_notice
from policy.services.holds import (
    can_place_holds,
    held_q,
    place_hold,
    release_hold,
)
from policy.services.mail import send_policy_email
from policy.services.maintenance import (
    DAILY_MAINTENANCE_HOUR,
    can_schedule_maintenance,
    next_maintenance_at,
    schedule_daily_maintenance,
)
from policy.services.marketing import (
    customer_for_token,
    marketing_recipients,
    may_receive_marketing,
    queue_marketing_email,
    send_marketing_email,
    unsubscribe,
    unsubscribe_token,
    unsubscribe_url,
)
from policy.services.notice import (
    accept_notice,
    accept_notice_in_force,
    acceptances_for_email,
    announce_to_late_joiners,
    announce_version,
    can_publish,
    consenting_customers,
    customers_to_notify,
    has_accepted,
    has_consent,
    publish_version,
    request_origin,
    send_notice,
    send_notice_batch,
    set_consent,
)
from policy.services.requests import (
    assign_request,
    close_request,
    confirm_documents,
    confirm_email,
    extend_request,
    file_request,
    is_objecting,
    lift_objection,
    objecting_customer_ids,
    record_objection,
    send_code,
    send_request_reminders,
)
from policy.services.rights import (
    cancel_closure,
    delete_export_files,
    erase_account,
    erase_due_accounts,
    mark_downloaded,
    pending_closure,
    prepare_export,
    purge_expired,
    purge_expired_exports,
    request_closure,
    request_export,
    retained_categories,
)

__all__ = [
    "DAILY_MAINTENANCE_HOUR",
    "accept_notice",
    "accept_notice_in_force",
    "acceptances_for_email",
    "announce_to_late_joiners",
    "announce_version",
    "assign_request",
    "can_place_holds",
    "can_publish",
    "can_schedule_maintenance",
    "cancel_closure",
    "close_request",
    "confirm_documents",
    "confirm_email",
    "consenting_customers",
    "customer_for_token",
    "customers_to_notify",
    "delete_export_files",
    "erase_account",
    "erase_due_accounts",
    "extend_request",
    "file_request",
    "has_accepted",
    "has_consent",
    "is_objecting",
    "lift_objection",
    "held_q",
    "mark_downloaded",
    "marketing_recipients",
    "may_receive_marketing",
    "next_maintenance_at",
    "notify_breach",
    "objecting_customer_ids",
    "place_hold",
    "pending_closure",
    "prepare_export",
    "publish_version",
    "purge_expired",
    "purge_expired_exports",
    "queue_marketing_email",
    "record_breach",
    "record_objection",
    "release_hold",
    "request_closure",
    "request_export",
    "request_origin",
    "retained_categories",
    "schedule_daily_maintenance",
    "send_breach_notice",
    "send_code",
    "send_marketing_email",
    "send_notice",
    "send_notice_batch",
    "send_policy_email",
    "send_request_reminders",
    "set_consent",
    "unsubscribe",
    "unsubscribe_token",
    "unsubscribe_url",
]
