"""Celery tasks of the session import. Tasks take ids and tolerate missing rows."""

import logging

from celery import shared_task
from celery.app.task import Task
from django.conf import settings

from sessions import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True)
def import_event_task(self: Task, event_id: int, force: bool = False) -> str:
    """Import the session an outbound event names."""
    config = settings.INTEGRATION
    try:
        result = services.process_event(event_id, force=force)
    except services.EventMissing:
        # The row may belong to a transaction that has not committed yet.
        if self.request.retries + 1 < config["MISSING_ROW_RETRIES"]:
            raise self.retry(countdown=config["MISSING_ROW_DELAY"]) from None
        logger.warning("Outbound event %s does not exist; giving up the import.", event_id)
        return "missing"
    except Exception:
        logger.exception("The import of outbound event %s failed", event_id)
        raise
    return result.outcome if result else "not claimed"


@shared_task
def sweep_outbound_events_task() -> int:
    """Queue events that are due, not yet queued, or stranded by a dead worker."""
    return services.sweep()
