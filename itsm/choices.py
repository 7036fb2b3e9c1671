"""Choice sets of the ITSM core, with ServiceNow's stored values."""

from django.db import models


class TaskState(models.IntegerChoices):
    PENDING = -5, "Pending"
    OPEN = 1, "Open"
    WORK_IN_PROGRESS = 2, "Work in Progress"
    CLOSED_COMPLETE = 3, "Closed Complete"
    CLOSED_INCOMPLETE = 4, "Closed Incomplete"
    CLOSED_SKIPPED = 7, "Closed Skipped"


class IncidentState(models.IntegerChoices):
    NEW = 1, "New"
    IN_PROGRESS = 2, "In Progress"
    ON_HOLD = 3, "On Hold"
    RESOLVED = 6, "Resolved"
    CLOSED = 7, "Closed"
    CANCELED = 8, "Canceled"


class ProblemState(models.IntegerChoices):
    NEW = 101, "New"
    ASSESS = 102, "Assess"
    ROOT_CAUSE_ANALYSIS = 103, "Root Cause Analysis"
    FIX_IN_PROGRESS = 104, "Fix in Progress"
    RESOLVED = 106, "Resolved"
    CLOSED = 107, "Closed"


class ChangeState(models.IntegerChoices):
    NEW = -5, "New"
    ASSESS = -4, "Assess"
    AUTHORIZE = -3, "Authorize"
    SCHEDULED = -2, "Scheduled"
    IMPLEMENT = -1, "Implement"
    REVIEW = 0, "Review"
    CLOSED = 3, "Closed"
    CANCELED = 4, "Canceled"


class ChangeType(models.TextChoices):
    NORMAL = "normal", "Normal"
    STANDARD = "standard", "Standard"
    EMERGENCY = "emergency", "Emergency"


class CallState(models.IntegerChoices):
    NEW = 1, "New"
    IN_PROGRESS = 2, "In Progress"
    CLOSED = 3, "Closed"
    CANCELED = 4, "Canceled"


class InteractionState(models.TextChoices):
    NEW = "new", "New"
    QUEUED = "queued", "Queued"
    WORK_IN_PROGRESS = "work_in_progress", "Work in Progress"
    ON_HOLD = "on_hold", "On Hold"
    CLOSED_COMPLETE = "closed_complete", "Closed Complete"
    CLOSED_ABANDONED = "closed_abandoned", "Closed Abandoned"


class Channel(models.TextChoices):
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    WALK_IN = "walk-in", "Walk-in"
    EMAIL = "email", "Email"
    SELF_SERVICE = "self-service", "Self-service"


class Priority(models.IntegerChoices):
    CRITICAL = 1, "1 - Critical"
    HIGH = 2, "2 - High"
    MODERATE = 3, "3 - Moderate"
    LOW = 4, "4 - Low"
    PLANNING = 5, "5 - Planning"


class Impact(models.IntegerChoices):
    HIGH = 1, "1 - High"
    MEDIUM = 2, "2 - Medium"
    LOW = 3, "3 - Low"


class CiClass(models.TextChoices):
    COMPUTER = "cmdb_ci_computer", "Computer"
    SERVER = "cmdb_ci_server", "Server"
    WINDOWS_SERVER = "cmdb_ci_win_server", "Windows Server"
    LINUX_SERVER = "cmdb_ci_linux_server", "Linux Server"
    PRINTER = "cmdb_ci_printer", "Printer"
    NETWORK_GEAR = "cmdb_ci_netgear", "Network Gear"


class CiOperationalStatus(models.IntegerChoices):
    OPERATIONAL = 1, "Operational"
    NON_OPERATIONAL = 2, "Non-Operational"
    REPAIR_IN_PROGRESS = 3, "Repair in Progress"
    DR_STANDBY = 4, "DR Standby"
    READY = 5, "Ready"
    RETIRED = 6, "Retired"


class JournalElement(models.TextChoices):
    WORK_NOTES = "work_notes", "Work notes"
    COMMENTS = "comments", "Additional comments"


class Role(models.TextChoices):
    """Permission groups the product creates; users get roles by membership."""

    ITIL = "x_bmgr_support_ent.itil", "Technician (x_bmgr_support_ent.itil)"
    ADMIN = "x_bmgr_support_ent.admin", "Integration administrator"
