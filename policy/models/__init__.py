"""The policy app's records, one module per concern; every name is importable from here.

- ``records``: the append-only base and the database's refusals;
- ``notice``: notice versions, acceptances, consents, notice emails;
- ``rights``: data exports and account closure/erasure (PDPA s.30–33);
- ``requests``: privacy requests with their clock, objections and restrictions (s.30–36);
- ``marketing``: marketing emails, sent only with consent (s.19);
- ``history``: versions of breach and disclosure records, who changed what and when;
- ``breaches``: breaches and their notifications (s.37(4));
- ``holds``: legal holds that purge and erasure respect;
- ``retention``: settings the database's purge functions read.
"""

from policy.models.breaches import Breach, BreachAlert, BreachNotice
from policy.models.history import RecordVersion
from policy.models.holds import LegalHold, LegalHoldEvent, LegalHoldQuerySet
from policy.models.marketing import MarketingDelivery, MarketingEmail
from policy.models.notice import (
    Acceptance,
    AcceptanceQuerySet,
    ConsentRecord,
    ConsentRecordQuerySet,
    NoticeDelivery,
    NoticeVersion,
    NoticeVersionQuerySet,
    fingerprint_of,
    pseudonym_of,
    pseudonyms_of,
)
from policy.models.records import (
    CLOSURE_NOT_DUE,
    AppendOnlyQuerySet,
    AppendOnlyRecord,
    ClosureNotDue,
    ImmutableRecord,
)
from policy.models.requests import (
    PrivacyRequest,
    PrivacyRequestQuerySet,
    ProcessingObjection,
)
from policy.models.retention import RetentionSetting
from policy.models.rights import (
    DataExport,
    DataExportQuerySet,
    ErasureRecord,
    ErasureRecordQuerySet,
)

__all__ = [
    "CLOSURE_NOT_DUE",
    "Acceptance",
    "AcceptanceQuerySet",
    "AppendOnlyQuerySet",
    "AppendOnlyRecord",
    "Breach",
    "BreachAlert",
    "BreachNotice",
    "ClosureNotDue",
    "ConsentRecord",
    "ConsentRecordQuerySet",
    "DataExport",
    "DataExportQuerySet",
    "ErasureRecord",
    "ErasureRecordQuerySet",
    "ImmutableRecord",
    "MarketingDelivery",
    "MarketingEmail",
    "LegalHold",
    "LegalHoldEvent",
    "LegalHoldQuerySet",
    "NoticeDelivery",
    "NoticeVersion",
    "NoticeVersionQuerySet",
    "PrivacyRequest",
    "PrivacyRequestQuerySet",
    "ProcessingObjection",
    "RecordVersion",
    "RetentionSetting",
    "fingerprint_of",
    "pseudonym_of",
    "pseudonyms_of",
]
