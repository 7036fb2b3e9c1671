"""System checks of the import's settings (run by `manage.py check` and at start).

A broker with a visibility timeout (Redis) hands a task that is not acknowledged
within that window to a second worker. The longest delay the import can schedule
plus the task's hard time limit must stay inside the window, or the same import
runs twice.
"""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

# kombu's default when the transport options do not set one.
DEFAULT_VISIBILITY_TIMEOUT = 3600


@register()
def check_redelivery_window(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    from sessions.services import scheduled_delays

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    window = options.get("visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT)
    longest = max(scheduled_delays())
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", 0) or 0
    if longest + limit < window:
        return []
    return [
        Error(
            f"The longest scheduled import delay ({longest:.0f} s) plus the task time "
            f"limit ({limit} s) is not below the broker's visibility timeout "
            f"({window} s): the broker would hand the same import to a second worker.",
            hint="Lower IMPORT_RETRY_MAX_SECONDS, IMPORT_CLAIM_SECONDS or "
            "IMPORT_TASK_TIME_LIMIT, or raise BROKER_VISIBILITY_TIMEOUT.",
            id="support_sessions.E001",
        )
    ]
