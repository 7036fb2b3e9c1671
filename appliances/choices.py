from django.db import models


class SessionStartType(models.TextChoices):
    CLICK_TO_CHAT = "click_to_chat", "Click-to-chat"
    FULL_SESSION = "full_session", "Full session"


class LogLevel(models.TextChoices):
    DEBUG = "DEBUG", "Debug"
    INFO = "INFO", "Info"
    WARNING = "WARNING", "Warning"
    ERROR = "ERROR", "Error"


class LogStep(models.TextChoices):
    TOKEN = "token", "Token"
    API_CALL = "api_call", "API call"
    CONNECTION_TEST = "connection_test", "Connection test"
    WEBHOOK = "webhook", "Webhook"
    WEBHOOK_REJECTED = "webhook_rejected", "Webhook refused"
    IMPORT = "import", "Import"
    LINK = "link", "Link"
    NOTE = "note", "Work note"
    SKIP = "skip", "Skipped"
    QUEUE = "queue", "Queue"
    PULL = "pull", "Scheduled pull"
    CONFIG = "config", "Configuration"


class ReplyKind(models.TextChoices):
    """What an appliance reply means, decided in one place."""

    OK = "ok", "OK"
    NO_DATA = "no_data", "No data"
    AUTH_FAILED = "auth_failed", "Authentication failed"
    PERMISSION = "permission", "Missing permission"
    RATE_LIMITED = "rate_limited", "Rate limited"
    ERROR = "error", "Error"
