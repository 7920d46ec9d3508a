"""The database tables, as typed SQLAlchemy 2.0 models, one module per area."""

from signon.models.accounts import LoginThrottle, Organizer, OrganizerSession, RecoveryCode
from signon.models.base import UTCDateTime, utcnow
from signon.models.documents import ACTIVE_JOB, Delivery, DocumentJob, ListSnapshot, SnapshotFile
from signon.models.letters import (
    Letter,
    LetterHost,
    LetterTranslation,
    LetterUpdate,
    LetterVersion,
    PressRelease,
    new_share_code,
)
from signon.models.logos import Logo
from signon.models.outreach import HAS_EMAIL, Partner
from signon.models.records import AuditEvent, EmailRule, ForwardedHops, OutboxMessage
from signon.models.signatures import STANDING, Signatory, Signature, SignatureCorrection, Token
from signon.models.states import (
    INDIVIDUAL_LISTING_CHOICES,
    LISTING_BADGES,
    LISTING_CHOICES,
    CorrectionStatus,
    JobState,
    LetterStatus,
    Listing,
    NotifyMode,
    OutboxStatus,
    PartnerMatch,
    Role,
    SignatoryKind,
    SignatureStatus,
    SourceKind,
    TokenPurpose,
)

__all__ = [
    "ACTIVE_JOB",
    "HAS_EMAIL",
    "INDIVIDUAL_LISTING_CHOICES",
    "LISTING_BADGES",
    "LISTING_CHOICES",
    "STANDING",
    "AuditEvent",
    "CorrectionStatus",
    "Delivery",
    "DocumentJob",
    "EmailRule",
    "ForwardedHops",
    "JobState",
    "Letter",
    "LetterHost",
    "LetterStatus",
    "LetterTranslation",
    "LetterUpdate",
    "LetterVersion",
    "ListSnapshot",
    "Listing",
    "LoginThrottle",
    "Logo",
    "NotifyMode",
    "Organizer",
    "OrganizerSession",
    "OutboxMessage",
    "OutboxStatus",
    "Partner",
    "PartnerMatch",
    "PressRelease",
    "RecoveryCode",
    "Role",
    "Signatory",
    "SignatoryKind",
    "Signature",
    "SignatureCorrection",
    "SignatureStatus",
    "SnapshotFile",
    "SourceKind",
    "Token",
    "TokenPurpose",
    "UTCDateTime",
    "new_share_code",
    "utcnow",
]
