"""Celery tasks of the session import. Tasks take ids and tolerate missing rows."""

import logging

from celery import shared_task
from celery.app.task import Task
from django.conf import settings

from appliances.models import Appliance
from sessions import pull, services

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
        logger.warning(
            "Outbound event %s does not exist; giving up the import.", event_id
        )
        return "missing"
    except Exception:
        logger.exception("The import of outbound event %s failed", event_id)
        raise
    return result.outcome if result else "not claimed"


@shared_task
def sweep_outbound_events_task() -> int:
    """Queue events that are due, not yet queued, or stranded by a dead worker."""
    return services.sweep()


@shared_task
def pull_sessions_task() -> list[str]:
    """Pull the ended sessions of every enabled appliance (the scheduled pull)."""
    lines = []
    for appliance in Appliance.objects.filter(integration_enabled=True):
        try:
            lines.append(pull.pull_appliance(appliance).summary())
        except Exception:
            # One appliance's failure must not stop the pull of the others.
            logger.exception("The pull of appliance %s failed", appliance.name)
            lines.append(f"{appliance.name}: failed (see the log)")
    return lines


@shared_task
def pull_appliance_task(appliance_id: int) -> str:
    """Pull one appliance now, as an administrator asked from the admin."""
    appliance = Appliance.objects.filter(pk=appliance_id).first()
    if appliance is None:
        logger.warning("Appliance %s does not exist; nothing to pull.", appliance_id)
        return "missing"
    return pull.pull_appliance(appliance).summary()
