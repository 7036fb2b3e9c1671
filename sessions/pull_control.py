"""Pulls started from the admin: queue one in the background and report progress."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.models import Appliance
from integration import clock
from sessions.choices import EventSource, Outcome
from sessions.models import OutboundEvent, PullState
from sessions.pull import state_for

WAITING = {
    Outcome.PENDING_ENQUEUE,
    Outcome.QUEUED,
    Outcome.FETCHING,
    Outcome.RETRY_WAIT,
}
DONE = {Outcome.PROCESSED, Outcome.SKIPPED, Outcome.INCOMPLETE}


def _default_task_publisher(appliance_id: int) -> None:
    from sessions.tasks import pull_appliance_task

    pull_appliance_task.apply_async(args=(appliance_id,))


# Tests swap this to run or capture the pull; production publishes to Celery.
task_publisher: Callable[[int], None] = _default_task_publisher


def request_pull(appliance: Appliance) -> PullState:
    """Record an administrator's request and queue the pull once it commits."""
    state = state_for(appliance)
    state.requested_at = clock.now()
    state.last_error = ""
    state.save(update_fields=["requested_at", "last_error"])
    log_step(
        LogLevel.INFO,
        LogStep.PULL,
        "Pull requested from the admin.",
        appliance=appliance,
    )
    transaction.on_commit(lambda: _queue_pull(appliance))
    return state


def _queue_pull(appliance: Appliance) -> None:
    try:
        task_publisher(appliance.pk)
    except Exception as exc:  # any broker failure means "not queued"
        # The exception text of a broker client can carry its URL; name its type.
        message = (
            f"The task broker could not be reached ({type(exc).__name__}); "
            "the pull was not started. Try again, or wait for the scheduled pull."
        )
        PullState.objects.filter(appliance=appliance).update(last_error=message)
        log_step(LogLevel.WARNING, LogStep.QUEUE, message, appliance=appliance)


def pull_status(state: PullState) -> dict[str, Any]:
    """Return what the admin page shows while a pull runs and after it."""
    return {
        "appliance": state.appliance.name,
        "appliance_id": state.appliance_id,
        "state": _phase(state, clock.now()),
        "requested_at": _iso(state.requested_at),
        "last_started_at": _iso(state.last_started_at),
        "last_finished_at": _iso(state.last_finished_at),
        "window_start": _iso(state.last_window_start),
        "watermark": _iso(state.watermark),
        "listed": state.last_listed,
        "new": state.last_new,
        "known": state.last_known,
        "error": state.last_error,
        "imports": _import_progress(state),
    }


def _phase(state: PullState, now: datetime) -> str:
    if state.running_until is not None and state.running_until > now:
        return "running"
    if state.last_error:
        return "failed"
    started = state.last_started_at
    if state.requested_at and (started is None or state.requested_at > started):
        return "queued"
    return "finished" if state.last_finished_at else "never"


def _import_progress(state: PullState) -> dict[str, int]:
    """Count the imports the last run queued, by how far they got."""
    progress = {"waiting": 0, "done": 0, "failed": 0}
    if state.last_started_at is None:
        return progress

    rows = (
        OutboundEvent.objects.filter(
            appliance_id=state.appliance_id,
            source=EventSource.PULL,
            last_delivery_at__gte=state.last_started_at,
        )
        .values("outcome")
        .annotate(n=Count("id"))
    )
    for row in rows:
        bucket = (
            "waiting"
            if row["outcome"] in WAITING
            else "done"
            if row["outcome"] in DONE
            else "failed"
        )
        progress[bucket] += row["n"]
    return progress


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
