"""The import of one outbound event, the sweeper, and the admin's re-fetch."""

import hashlib
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.client import (
    ApplianceAuthFailed,
    ApplianceBadReply,
    ApplianceClient,
    ApplianceError,
    ApplianceNoData,
    ApplianceRateLimited,
    ApplianceUnreachable,
)
from appliances.replies import classify
from appliances.tokens import TokenError
from appliances.xml import XmlParseError, XmlRefused
from integration import clock
from sessions import importer, notes
from sessions.choices import CLAIMABLE, Outcome
from sessions.linking import Links, find_links
from sessions.models import OutboundEvent, SupportSession

logger = logging.getLogger(__name__)

# Raw replies kept with an event for diagnosis; larger ones keep size and hash.
RAW_KEEP_BYTES = 16 * 1024 * 1024


class EventMissing(Exception):
    """The event row is not there (yet): its transaction may not have committed."""


@dataclass
class Result:
    outcome: Outcome
    reason: str = ""
    reason_code: str = ""


def retry_delay(attempt: int) -> float:
    """Return the wait before attempt `attempt + 1`: growing, capped, jittered."""
    config = settings.INTEGRATION
    base = config["IMPORT_RETRY_BASE_SECONDS"] * (2 ** max(attempt - 1, 0))
    delay = min(base, config["IMPORT_RETRY_MAX_SECONDS"])
    return delay * random.uniform(0.9, 1.1)


def scheduled_delays() -> list[float]:
    """Return every delay the import can put on the broker or in the database."""
    config = settings.INTEGRATION
    attempts = config["IMPORT_MAX_ATTEMPTS"]
    retries = [
        min(
            config["IMPORT_RETRY_BASE_SECONDS"] * 2 ** max(n - 1, 0),
            config["IMPORT_RETRY_MAX_SECONDS"],
        )
        * 1.1
        for n in range(1, attempts + 1)
    ]
    # A rate-limited fetch waits what the appliance asks, capped at the retry cap.
    rate_limited = config["IMPORT_RETRY_MAX_SECONDS"]
    return [
        *retries,
        rate_limited,
        config["MISSING_ROW_DELAY"],
        config["IMPORT_CLAIM_SECONDS"],
    ]


def process_event(event_id: int, force: bool = False) -> Result | None:
    """Import the session an end event names; return what happened, or None
    when another run holds the event or it was already handled."""
    event = (
        OutboundEvent.objects.select_related("appliance").filter(pk=event_id).first()
    )
    if event is None:
        raise EventMissing(event_id)
    if not _claim(event):
        log_step(
            LogLevel.INFO,
            LogStep.IMPORT,
            f"Event {event_id}: the support session is already imported or being "
            "imported by another run; nothing to do.",
            appliance=event.appliance,
            lsid=event.lsid,
        )
        return None

    event.refresh_from_db()
    force = force or event.force_refetch
    attempts = event.attempts
    try:
        result = _import(event, force)
    except DatabaseError as exc:
        # Each run counts, also one that never reached the fetch.
        event.attempts = max(event.attempts, attempts + 1)
        result = _database_failed(event, exc)
    _finish(event, result)
    return result


def _database_failed(event: OutboundEvent, exc: DatabaseError) -> Result:
    """A write failed part-way. Every step is idempotent, so the import runs
    again shortly; but a value the database refuses fails alike every time, so
    it stops after IMPORT_MAX_ATTEMPTS instead of being fetched for ever."""
    message = f"A database error interrupted the import: {exc}"
    if event.attempts < settings.INTEGRATION["IMPORT_MAX_ATTEMPTS"]:
        return _retry(event, message, 5.0)
    log_step(
        LogLevel.ERROR,
        LogStep.IMPORT,
        message,
        appliance=event.appliance,
        lsid=event.lsid,
    )
    return Result(Outcome.FAILED, message, "database")


def _claim(event: OutboundEvent) -> bool:
    now = clock.now()
    lease = now + timedelta(seconds=settings.INTEGRATION["IMPORT_CLAIM_SECONDS"])
    due = Q(outcome__in=CLAIMABLE) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stranded = Q(outcome=Outcome.FETCHING, claimed_until__lt=now)
    claimed = OutboundEvent.objects.filter(due | stranded, pk=event.pk).update(
        outcome=Outcome.FETCHING,
        claimed_until=lease,
        last_attempt_at=now,
    )
    return claimed == 1


def _finish(event: OutboundEvent, result: Result) -> None:
    updates: dict[str, Any] = {
        "outcome": result.outcome,
        "reason": result.reason,
        "reason_code": result.reason_code,
        "claimed_until": None,
    }
    if result.outcome != Outcome.RETRY_WAIT:
        updates["next_attempt_at"] = None
        updates["finished_at"] = clock.now()
        updates["force_refetch"] = False
    for name, value in updates.items():
        setattr(event, name, value)
    event.save(update_fields=[*updates, "next_attempt_at", "attempts", "session"])


def _retry(event: OutboundEvent, reason: str, delay: float) -> Result:
    event.next_attempt_at = clock.now() + timedelta(seconds=delay)
    return Result(Outcome.RETRY_WAIT, reason)


def _import(event: OutboundEvent, force: bool) -> Result:
    appliance = event.appliance
    existing = SupportSession.objects.filter(
        appliance=appliance, lsid=event.lsid, report_complete=True
    ).first()
    if existing is not None and not force:
        event.session = existing
        log_step(
            LogLevel.INFO,
            LogStep.IMPORT,
            "The support session is already imported; not fetching it again.",
            appliance=appliance,
            lsid=event.lsid,
        )
        # A run that stopped between two notes left the rest unwritten; the
        # ledger skips every note already written, so finishing them is safe.
        return _write_back(event, existing, _stored_links(existing))

    event.attempts += 1
    try:
        reply = ApplianceClient(appliance).report_to_file(
            "SupportSession", lsid=event.lsid
        )
    except ApplianceError as exc:
        return _fetch_failed(event, exc)
    except TokenError as exc:
        return _token_failed(event, exc)

    with reply.file:
        return _import_reply(event, reply.file, reply.size, force)


def _import_reply(
    event: OutboundEvent, file: IO[bytes], size: int, force: bool
) -> Result:
    try:
        scan = importer.scan(file)
    except (XmlParseError, XmlRefused) as exc:
        return _unreadable(event, file, size, exc)

    head = scan.head_for(event.lsid)
    if head is None:
        return _no_report(event, scan)

    links = find_links(head)
    appliance = event.appliance
    if not links.linked and not appliance.import_external_sessions:
        return _skip_external(event, links.note)

    session = importer.store(appliance, file, {event.lsid: links})[event.lsid]
    event.session = session
    if not head.complete:
        return _not_final(event, session)
    return _write_back(event, session, links)


def _write_back(event: OutboundEvent, session: SupportSession, links: Links) -> Result:
    appliance = event.appliance
    _log_link(session, links)
    result = notes.write_back(session, links.records)
    summary = f"{session.event_count} events; {result.written} notes written"
    if result.already:
        summary += f", {result.already} already written"
    log_step(
        LogLevel.INFO,
        LogStep.IMPORT,
        f"Imported support session: {summary}.",
        appliance=appliance,
        lsid=session.lsid,
        record=links.describe(),
    )
    return Result(Outcome.PROCESSED, summary + ".")


def _stored_links(session: SupportSession) -> Links:
    return Links(
        task=session.task.specific() if session.task else None,
        call=session.call,
        interaction=session.interaction,
        configuration_item=session.configuration_item,
        source=session.link_source,
        note=session.link_note,
    )


def _log_link(session: SupportSession, links: Links) -> None:
    if links.linked:
        message = f"Linked to {links.describe()} by {links.source.replace('_', ' ')}."
    else:
        message = "Stored as an external session (no record). " + links.note
    log_step(
        LogLevel.INFO,
        LogStep.LINK,
        message,
        appliance=session.appliance,
        lsid=session.lsid,
        record=links.describe(),
    )


def _not_final(event: OutboundEvent, session: SupportSession) -> Result:
    limit = settings.INTEGRATION["IMPORT_MAX_ATTEMPTS"]
    if event.attempts < limit:
        delay = retry_delay(event.attempts)
        log_step(
            LogLevel.INFO,
            LogStep.IMPORT,
            f"The report has no end time yet (attempt {event.attempts} of {limit}); "
            f"fetching again in {delay:.0f} s.",
            appliance=event.appliance,
            lsid=event.lsid,
        )
        return _retry(event, "The report is not final yet (no end time).", delay)

    SupportSession.objects.filter(pk=session.pk).update(incomplete=True)
    message = (
        f"The report never had an end time after {limit} attempts; the last partial "
        "data is kept and flagged incomplete. No work notes were written."
    )
    log_step(
        LogLevel.WARNING,
        LogStep.IMPORT,
        message,
        appliance=event.appliance,
        lsid=event.lsid,
    )
    return Result(Outcome.INCOMPLETE, message)


def _no_report(event: OutboundEvent, scan: importer.ScanResult) -> Result:
    error = scan.error
    if error is not None and not error.empty_list:
        verdict = classify(200, error.root, error.code, error.text, has_error=True)
        if verdict.kind == "auth_failed":
            return _auth_failed(event, verdict.message)
        text = verdict.message
    else:
        text = "The appliance returned an empty session list for this lsid."
    return _no_data(event, text)


def _no_data(event: OutboundEvent, text: str) -> Result:
    limit = settings.INTEGRATION["IMPORT_MAX_ATTEMPTS"]
    if event.attempts < limit:
        delay = retry_delay(event.attempts)
        log_step(
            LogLevel.INFO,
            LogStep.IMPORT,
            f"No report yet (attempt {event.attempts} of {limit}): {text} "
            f"Trying again in {delay:.0f} s.",
            appliance=event.appliance,
            lsid=event.lsid,
        )
        return _retry(event, text, delay)

    log_step(
        LogLevel.WARNING,
        LogStep.IMPORT,
        f"No report after {limit} attempts: {text}",
        appliance=event.appliance,
        lsid=event.lsid,
    )
    return Result(Outcome.REPORT_UNAVAILABLE, text)


def _fetch_failed(event: OutboundEvent, exc: ApplianceError) -> Result:
    if isinstance(exc, ApplianceAuthFailed):
        return _auth_failed(event, exc.detail)
    if isinstance(exc, ApplianceNoData):
        return _no_data(event, exc.detail)
    if isinstance(exc, ApplianceRateLimited):
        # A Retry-After of hours must not outlast the broker's redelivery window.
        wait = min(
            max(exc.retry_after, 1.0), settings.INTEGRATION["IMPORT_RETRY_MAX_SECONDS"]
        )
        return _retry(event, str(exc), wait)
    if isinstance(exc, ApplianceBadReply):
        code = (
            Outcome.TOO_LARGE if "download cap" in exc.detail else Outcome.PARSE_ERROR
        )
        log_step(
            LogLevel.ERROR,
            LogStep.IMPORT,
            str(exc),
            appliance=event.appliance,
            lsid=event.lsid,
        )
        return Result(code, exc.detail)
    return _transient(
        event, str(exc), unreachable=isinstance(exc, ApplianceUnreachable)
    )


def _transient(event: OutboundEvent, message: str, unreachable: bool) -> Result:
    limit = settings.INTEGRATION["IMPORT_MAX_ATTEMPTS"]
    log_step(
        LogLevel.WARNING,
        LogStep.API_CALL,
        message,
        appliance=event.appliance,
        lsid=event.lsid,
        attempt=event.attempts,
    )
    if event.attempts < limit:
        return _retry(event, message, retry_delay(event.attempts))
    return Result(Outcome.FAILED, message, "unreachable" if unreachable else "")


def _token_failed(event: OutboundEvent, exc: TokenError) -> Result:
    if exc.refused:
        return _auth_failed(event, str(exc))
    return _transient(event, str(exc), unreachable=True)


def _auth_failed(event: OutboundEvent, text: str) -> Result:
    message = text.strip() or "The appliance refused the API credentials."
    log_step(
        LogLevel.ERROR,
        LogStep.API_CALL,
        f"The appliance refused the API credentials while fetching the report: "
        f"{message} Check the OAuth client ID and secret on the appliance record.",
        appliance=event.appliance,
        lsid=event.lsid,
    )
    return Result(Outcome.AUTH_FAILED, message)


def _unreadable(
    event: OutboundEvent, file: IO[bytes], size: int, exc: Exception
) -> Result:
    file.seek(0)
    raw = file.read(RAW_KEEP_BYTES + 1)
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    event.reply_size = size
    event.reply_sha256 = digest.hexdigest()
    event.reply_raw = raw if len(raw) <= RAW_KEEP_BYTES else None
    OutboundEvent.objects.filter(pk=event.pk).update(
        reply_raw=event.reply_raw, reply_size=size, reply_sha256=event.reply_sha256
    )
    message = str(exc)
    log_step(
        LogLevel.ERROR,
        LogStep.IMPORT,
        f"The report could not be read and was kept raw: {message}",
        appliance=event.appliance,
        lsid=event.lsid,
        size=size,
    )
    return Result(Outcome.PARSE_ERROR, message)


def _skip_external(event: OutboundEvent, note: str) -> Result:
    message = (
        f"Not imported: the session names no ServiceNow record and "
        f"'import external sessions' is off. {note}"
    ).strip()
    log_step(
        LogLevel.INFO, LogStep.SKIP, message, appliance=event.appliance, lsid=event.lsid
    )
    return Result(Outcome.SKIPPED, message, "external")


# The whole lifecycle of an import is reachable from this module.
from sessions.saved_reports import ReportFileError, import_saved_report  # noqa: E402
from sessions.sweeper import dispatch_many, request_refetch, sweep  # noqa: E402

__all__ = [
    "EventMissing",
    "ReportFileError",
    "Result",
    "dispatch_many",
    "import_saved_report",
    "process_event",
    "request_refetch",
    "retry_delay",
    "scheduled_delays",
    "sweep",
]
