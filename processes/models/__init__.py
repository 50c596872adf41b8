"""The ORM models. Import from here: `from processes.models import Case, OpenTask`."""
from .org import ApiToken, RoleAssignment, Unit, User
from .campaign import Campaign
from .case import AuditEvent, Case, DiagramVersion, OpenTask

__all__ = [
    "ApiToken", "AuditEvent", "Campaign", "Case", "DiagramVersion", "OpenTask", "RoleAssignment", "Unit", "User",
]
