"""The sweeper, which queues what is due or stranded, and the admin's re-fetch."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from integration import clock
from sessions import dispatch
from sessions.choices import Outcome
from sessions.models import OutboundEvent

logger = logging.getLogger(__name__)

GRACE = timedelta(seconds=10)


def sweep(limit: int = 500) -> int:
    """Queue events that are due or stranded; return how many were published.

    Due retries and imports stranded by a dead worker go back to "not yet
    queued", and the dispatcher's claim publishes each once: a retry still
    waiting for a worker is not published again on every sweep. It also reads
    posts left in the outbox inbox when no dispatcher process runs.
    """
    from sessions.inbox import read_inbox

    read_inbox(limit)
    now = clock.now()
    due = Q(outcome=Outcome.RETRY_WAIT, next_attempt_at__lte=now) | Q(
        outcome=Outcome.FETCHING, claimed_until__lt=now
    )
    # A next attempt time marks them as scheduled, so the grace period for
    # fresh rows below does not hold them back.
    OutboundEvent.objects.filter(due).update(
        outcome=Outcome.PENDING_ENQUEUE, claimed_until=None, next_attempt_at=now
    )
    # Fresh rows get a grace period: the web process is publishing them itself.
    return dispatch.dispatch_pending(limit, stored_before=now - GRACE)


def request_refetch(events: QuerySet[OutboundEvent]) -> tuple[int, int]:
    """Queue a fresh fetch for each event; return (queued, skipped as in progress).

    Each row goes through a model save (signals and the log see every one), and
    publishing waits for the surrounding transaction to commit.
    """
    queued = skipped = 0
    now = clock.now()
    ids: list[int] = []
    for event in events.select_related("appliance").iterator():
        if (
            event.outcome == Outcome.FETCHING
            and event.claimed_until
            and event.claimed_until > now
        ):
            skipped += 1
            continue
        event.outcome = Outcome.PENDING_ENQUEUE
        event.reason = "Re-fetch requested from the admin."
        event.reason_code = ""
        event.attempts = 0
        event.next_attempt_at = None
        event.force_refetch = True
        event.save(
            update_fields=[
                "outcome",
                "reason",
                "reason_code",
                "attempts",
                "next_attempt_at",
                "force_refetch",
            ]
        )
        log_step(
            LogLevel.INFO,
            LogStep.QUEUE,
            "Re-fetch of the report requested.",
            appliance=event.appliance,
            lsid=event.lsid,
        )
        ids.append(event.pk)
        queued += 1
    transaction.on_commit(lambda: dispatch_many(ids))
    return queued, skipped


def dispatch_many(ids: list[int]) -> None:
    """Publish a batch of imports; failures stay pending for the sweeper."""
    for event_id in ids:
        dispatch.publish_now(event_id, force=True)
