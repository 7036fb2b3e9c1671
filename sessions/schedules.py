"""The scheduled pull's periodic task, created after every migrate if missing.

It lives in django-celery-beat's tables so an administrator edits the interval in
the admin; it is created here (never in a data migration) and never overwritten.
"""

import logging
from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

logger = logging.getLogger(__name__)

PULL_TASK_NAME = "Pull Support Sessions"
PULL_TASK = "sessions.tasks.pull_sessions_task"
PULL_EVERY_MINUTES = 5


def ensure_pull_schedule(
    using: str = DEFAULT_DB_ALIAS, apps: Any = global_apps, **kwargs: Any
) -> None:
    """Create the periodic pull (every 5 minutes) unless it exists."""
    try:
        # Not migrated yet (e.g. a partial migrate): nothing to create into.
        apps.get_model("django_celery_beat", "PeriodicTask")
    except LookupError:
        return

    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if PeriodicTask.objects.using(using).filter(name=PULL_TASK_NAME).exists():
        return

    schedule, _ = IntervalSchedule.objects.using(using).get_or_create(
        every=PULL_EVERY_MINUTES, period=IntervalSchedule.MINUTES
    )
    PeriodicTask.objects.using(using).create(
        name=PULL_TASK_NAME,
        task=PULL_TASK,
        interval=schedule,
        description="Imports every support session that ended since the last pull.",
    )
    logger.info("Created the periodic task %r.", PULL_TASK_NAME)
