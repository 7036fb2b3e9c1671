"""The scheduled pull (C12): list the sessions that ended since the watermark and
hand each new one to the import a webhook takes.

A pulled session becomes an outbound event row (source "pull") and goes through
`services.process_event` like any webhook, so webhooks and the pull together
import each session once: the import itself stops at a complete session.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from lxml import etree

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.client import (
    ApplianceBadReply,
    ApplianceClient,
    ApplianceError,
    ApplianceNoData,
)
from appliances.models import Appliance
from appliances.tokens import TokenError
from appliances.xml import local_name
from integration import clock
from sessions import dispatch
from sessions.choices import EventName, EventSource, Outcome
from sessions.inbox import LSID_RE
from sessions.models import OutboundEvent, PullState, SupportSession

logger = logging.getLogger(__name__)

LISTING = "SupportSessionListing"
# Rows per `lsid__in` query: well under SQLite's variable limit.
CHUNK = 500
# An lsid with an end event in one of these is imported, remembered as skipped,
# or on its way; the pull leaves it alone. Failed imports are tried again.
KNOWN_OUTCOMES = (
    Outcome.PROCESSED,
    Outcome.SKIPPED,
    Outcome.INCOMPLETE,
    Outcome.QUEUED,
    Outcome.FETCHING,
    Outcome.RETRY_WAIT,
    Outcome.PENDING_ENQUEUE,
)

OK = "ok"
BUSY = "busy"
FAILED = "failed"
DISABLED = "disabled"


@dataclass
class PullResult:
    appliance: str
    status: str = OK
    listed: int = 0
    new: int = 0
    window_start: datetime | None = None
    error: str = ""

    @property
    def known(self) -> int:
        return self.listed - self.new

    @property
    def ok(self) -> bool:
        return self.status in (OK, BUSY)

    def summary(self) -> str:
        """Return one line for an operator."""
        if self.status == OK:
            since = _format(self.window_start)
            return (
                f"{self.appliance}: {self.listed} listed, {self.new} new, "
                f"{self.known} already known (sessions ended since {since})"
            )
        return f"{self.appliance}: {self.status}: {self.error}"


def pull_appliance(appliance: Appliance, since: datetime | None = None) -> PullResult:
    """Pull the sessions that ended since `since` (or the watermark) and queue
    the import of every one not already known."""
    if not appliance.integration_enabled:
        message = "The integration is disabled for this appliance."
        return PullResult(appliance.name, DISABLED, error=message)

    state = state_for(appliance)
    if not _claim(state, clock.now()):
        message = "A pull of this appliance is already running; this one is skipped."
        log_step(LogLevel.INFO, LogStep.PULL, message, appliance=appliance)
        return PullResult(appliance.name, BUSY, error=message)

    try:
        return _run(appliance, state, since)
    except Exception as exc:
        # Free the claim at once rather than when it expires, and say why.
        _release(state, PullResult(appliance.name, FAILED, error=str(exc)))
        raise


def state_for(appliance: Appliance) -> PullState:
    """Return the appliance's pull state, creating it the first time."""
    state, _ = PullState.objects.get_or_create(appliance=appliance)
    return state


def window_start(
    state: PullState, since: datetime | None, now: datetime
) -> tuple[datetime, bool]:
    """Return where the window starts and whether this run may move the watermark.

    A `since` later than the scheduled start would leave a gap after the
    watermark, so only a window that covers the scheduled one moves it.
    """
    config = settings.INTEGRATION
    if state.watermark is not None:
        scheduled = state.watermark - timedelta(seconds=config["PULL_OVERLAP_SECONDS"])
    else:
        scheduled = now - timedelta(hours=config["PULL_FIRST_WINDOW_HOURS"])
    if since is None:
        return scheduled, True

    return since, since <= scheduled


def list_ended_sessions(appliance: Appliance, start: datetime) -> list[str]:
    """Return the lsids of the sessions that ended at or after `start`."""
    params = {"end_time": str(int(start.timestamp())), "duration": "0"}
    try:
        root = ApplianceClient(appliance).report(LISTING, **params)
    except ApplianceNoData:
        # The appliance answers an empty window with an <error> "no data".
        return []
    return parse_listing(appliance, root)


def parse_listing(appliance: Appliance, root: etree._Element) -> list[str]:
    """Return the listing's lsids in order, once each; refuse any other document."""
    if local_name(root.tag) != "session_summary_list":
        raise ApplianceBadReply(
            appliance,
            f"the session listing came back as <{local_name(root.tag)}>, "
            "not <session_summary_list>.",
        )
    found = [
        (item.get("lsid") or "").strip().lower()
        for item in root.iter()
        if local_name(item.tag) == "session_summary"
    ]
    lsids = [lsid for lsid in dict.fromkeys(found) if LSID_RE.match(lsid)]
    if len(lsids) < len(set(found)):
        logger.warning(
            "Appliance %s listed %s sessions without a valid lsid; ignored.",
            appliance.name,
            len(set(found)) - len(lsids),
        )
    return lsids


def _claim(state: PullState, now: datetime) -> bool:
    lease = now + timedelta(seconds=settings.INTEGRATION["PULL_CLAIM_SECONDS"])
    free = Q(running_until__isnull=True) | Q(running_until__lt=now)
    claimed = PullState.objects.filter(free, pk=state.pk).update(
        running_until=lease, last_started_at=now, last_error=""
    )
    return claimed == 1


def _run(appliance: Appliance, state: PullState, since: datetime | None) -> PullResult:
    state.refresh_from_db()
    requested = clock.now()
    start, may_advance = window_start(state, since, requested)
    result = PullResult(appliance.name, window_start=start)
    try:
        lsids = list_ended_sessions(appliance, start)
    except (ApplianceError, TokenError) as exc:
        return _failed(state, result, exc)

    with transaction.atomic():
        ids = _reconcile(appliance, lsids)
        result.listed, result.new = len(lsids), len(ids)
        # Every listed session now has its event row: the window is reconciled.
        _release(state, result, watermark=requested if may_advance else None)
        transaction.on_commit(lambda: _publish(ids))
    _log_result(appliance, result, may_advance)
    return result


def _reconcile(appliance: Appliance, lsids: list[str]) -> list[int]:
    """Create (or re-arm) an import event for every lsid not known; return ids."""
    ids: list[int] = []
    for chunk in _chunks(lsids):
        known = _known(appliance, chunk)
        wanted = [lsid for lsid in chunk if lsid not in known]
        if not wanted:
            continue

        rearmed = _rearm(appliance, wanted)
        ids.extend(rearmed.values())
        ids.extend(_create(appliance, [lsid for lsid in wanted if lsid not in rearmed]))
    return ids


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _known(appliance: Appliance, lsids: list[str]) -> set[str]:
    imported = SupportSession.objects.filter(
        appliance=appliance, lsid__in=lsids, report_complete=True
    ).values_list("lsid", flat=True)
    handled = OutboundEvent.objects.filter(
        appliance=appliance,
        lsid__in=lsids,
        event=EventName.END,
        outcome__in=KNOWN_OUTCOMES,
    ).values_list("lsid", flat=True)
    return set(imported) | set(handled)


def identity(appliance: Appliance, lsid: str) -> str:
    """Return the unique identity of the pull's event for a session."""
    return f"pull:{appliance.pk}:{lsid}"


def _rearm(appliance: Appliance, lsids: list[str]) -> dict[str, int]:
    """Queue again the pull's own earlier events whose import failed."""
    by_identity = {identity(appliance, lsid): lsid for lsid in lsids}
    rows = OutboundEvent.objects.filter(identity__in=by_identity).exclude(
        outcome__in=KNOWN_OUTCOMES
    )
    stale = {key: pk for key, pk in rows.values_list("identity", "id") if key}
    if not stale:
        return {}

    OutboundEvent.objects.filter(pk__in=stale.values()).update(
        outcome=Outcome.PENDING_ENQUEUE,
        reason="Listed again by the pull after a failed import.",
        reason_code="",
        attempts=0,
        next_attempt_at=None,
        finished_at=None,
        delivery_count=F("delivery_count") + 1,
        last_delivery_at=clock.now(),
    )
    return {by_identity[key]: pk for key, pk in stale.items()}


def _create(appliance: Appliance, lsids: list[str]) -> list[int]:
    if not lsids:
        return []

    now = clock.now()
    rows = [
        OutboundEvent(
            appliance=appliance,
            identity=identity(appliance, lsid),
            event=EventName.END,
            lsid=lsid,
            raw_body=b"",
            source=EventSource.PULL,
            outcome=Outcome.PENDING_ENQUEUE,
            reason="Listed by the scheduled pull.",
            last_delivery_at=now,
        )
        for lsid in lsids
    ]
    created = OutboundEvent.objects.bulk_create(rows, batch_size=CHUNK)
    return [row.pk for row in created]


def _publish(ids: list[int]) -> None:
    """Queue the imports; a failure leaves the row pending for the sweeper."""
    for event_id in ids:
        dispatch.publish_now(event_id)


def _release(
    state: PullState, result: PullResult, watermark: datetime | None = None
) -> None:
    updates: dict[str, Any] = {
        "running_until": None,
        "last_finished_at": clock.now(),
        "last_window_start": result.window_start,
        "last_listed": result.listed,
        "last_new": result.new,
        "last_error": result.error,
    }
    if watermark is not None:
        updates["watermark"] = watermark
    PullState.objects.filter(pk=state.pk).update(**updates)


def _failed(state: PullState, result: PullResult, exc: Exception) -> PullResult:
    result.status = FAILED
    result.error = str(exc)
    _release(state, result)
    log_step(
        LogLevel.ERROR,
        LogStep.PULL,
        f"The pull could not list the ended sessions: {exc} The watermark stays at "
        f"{_format(state.watermark)}; the next pull tries the same window again.",
        appliance=state.appliance,
    )
    return result


def _log_result(appliance: Appliance, result: PullResult, advanced: bool) -> None:
    message = f"Pulled sessions: {result.summary().partition(': ')[2]}."
    if not advanced:
        message += " The watermark was not moved (the window starts after it)."
    log_step(
        LogLevel.INFO,
        LogStep.PULL,
        message,
        appliance=appliance,
        listed=result.listed,
        new=result.new,
        known=result.known,
    )


def _format(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if moment else "(none)"
