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


def sweep(limit: int = 500) -> int:
    """Queue events that are due or stranded; return how many were published.

    It also reads posts still waiting in the outbox inbox, so they are not left
    there when no dispatcher process runs.
    """
    from sessions.inbox import read_inbox

    read_inbox(limit)
    now = clock.now()
    grace = now - timedelta(seconds=10)
    due = (
        Q(outcome=Outcome.PENDING_ENQUEUE, received_at__lte=grace)
        | Q(outcome=Outcome.PENDING_ENQUEUE, next_attempt_at__isnull=False)
        | Q(outcome=Outcome.RETRY_WAIT, next_attempt_at__lte=now)
        | Q(outcome=Outcome.FETCHING, claimed_until__lt=now)
    )
    published = 0
    ids = list(
        OutboundEvent.objects.filter(due)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for event_id in ids:
        if dispatch.publish_now(event_id):
            published += 1
    return published


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
