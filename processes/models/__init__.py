"""The ORM models. Import from here: `from processes.models import Case, OpenTask`."""
from .org import ApiToken, RoleAssignment, Unit, User
from .campaign import Campaign
from .case import AuditEvent, Case, DiagramVersion, OpenTask
from .timer import CaseTimer, Notification
from .award import AwardRecord, Nomination
from .attachment import Attachment

__all__ = [
    "ApiToken", "Attachment", "AuditEvent", "AwardRecord", "Campaign", "Case", "CaseTimer", "DiagramVersion", "Nomination", "Notification", "OpenTask",
    "RoleAssignment", "Unit", "User",
]
