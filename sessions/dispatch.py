"""Hand stored events to the broker: only after commit, never hanging a request.

The broker is a doorbell. The event row (with its next attempt time) is the truth;
if publishing fails or the broker hangs, the row stays "pending enqueue" and the
sweeper rings again later.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from integration import clock
from sessions.choices import Outcome
from sessions.models import OutboundEvent

logger = logging.getLogger(__name__)


def _default_publisher(event_id: int, force: bool) -> None:
    from sessions.tasks import import_event_task

    import_event_task.apply_async(args=(event_id,), kwargs={"force": force})


# Tests swap this for a capturing publisher; production publishes to Celery.
publisher: Callable[[int, bool], None] = _default_publisher


def publish_after_commit(event_id: int, force: bool = False) -> None:
    """Publish the import of `event_id` once the current transaction commits."""
    transaction.on_commit(lambda: publish_now(event_id, force))


def publish_now(event_id: int, force: bool = False) -> bool:
    """Publish the import and mark the event queued; say whether it worked."""
    try:
        publisher(event_id, force)
    except Exception as exc:
        _not_queued(event_id, exc)
        return False

    OutboundEvent.objects.filter(pk=event_id, outcome=Outcome.PENDING_ENQUEUE).update(
        outcome=Outcome.QUEUED
    )
    return True


def _not_queued(event_id: int, exc: BaseException) -> None:
    event = (
        OutboundEvent.objects.select_related("appliance").filter(pk=event_id).first()
    )
    if event is None:
        return
    OutboundEvent.objects.filter(pk=event_id, outcome=Outcome.QUEUED).update(
        outcome=Outcome.PENDING_ENQUEUE
    )
    # The exception text of a broker client can carry its URL; name only its type.
    log_step(
        LogLevel.WARNING,
        LogStep.QUEUE,
        f"The task broker could not be reached ({type(exc).__name__}); the event "
        "is stored and will be queued by the sweeper.",
        appliance=event.appliance,
        lsid=event.lsid,
        event_id=event_id,
    )


def dispatch_pending(limit: int = 500, stored_before: datetime | None = None) -> int:
    """Hand stored, not yet queued events to the broker (the outbox dispatcher).

    Rows are claimed under a row lock that other dispatchers skip, marked queued,
    and published after the claim commits; a failed publish puts a row back.
    With `stored_before`, rows received later are left alone unless they were
    scheduled (a retry), since their own request may still be publishing them.
    """
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=clock.now())
    if stored_before is not None:
        due &= Q(received_at__lte=stored_before) | Q(next_attempt_at__isnull=False)
    with transaction.atomic():
        ids = list(
            OutboundEvent.objects.select_for_update(skip_locked=True)
            .filter(due, outcome=Outcome.PENDING_ENQUEUE)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        OutboundEvent.objects.filter(id__in=ids).update(outcome=Outcome.QUEUED)
    for position, event_id in enumerate(ids):
        try:
            publisher(event_id, False)
        except Exception as exc:
            OutboundEvent.objects.filter(
                id__in=ids[position:], outcome=Outcome.QUEUED
            ).update(outcome=Outcome.PENDING_ENQUEUE)
            _not_queued(event_id, exc)
            return position
    return len(ids)
