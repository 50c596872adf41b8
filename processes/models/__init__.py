"""The ORM models. Import from here: `from processes.models import Case, OpenTask`."""
from .org import ApiToken, RoleAssignment, Unit, User
from .campaign import Campaign
from .case import AuditEvent, Case, DiagramVersion, OpenTask
from .timer import CaseTimer
from .notification import Notification
from .award import AwardRecord, Nomination
from .attachment import Attachment
from .effect import PendingEffect
from .login_failure import LoginFailure
from .role import RoleDefinition
from .form import DiagramFormPin, FormRevision
from .supervision import FlagSnapshot, UnitFlag
from .process import ProcessDraft, ProcessEvent
from .saved_filter import SavedFilter
from .inbox import CaseComment, Delegation
from .upload_chunk import UploadChunk

__all__ = [
    "ApiToken", "Attachment", "AuditEvent", "AwardRecord", "Campaign", "Case", "CaseComment", "CaseTimer", "DiagramFormPin", "DiagramVersion", "Delegation", "FlagSnapshot", "FormRevision", "LoginFailure", "Nomination", "Notification", "OpenTask", "PendingEffect",
    "ProcessDraft", "ProcessEvent", "RoleAssignment", "RoleDefinition", "SavedFilter", "Unit", "UnitFlag", "UploadChunk", "User",
]
