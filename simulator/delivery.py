"""Post outbound events to HTTP recipients with the appliance's delivery rules.

Each recipient has its own FIFO queue and worker thread. Only HTTP 200 counts as
delivered. A failing event stays at the head of its queue and blocks every later
event for that recipient until it succeeds or its retry duration runs out.
"""

from __future__ import annotations

import http.client
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from simulator.model import OutboundEvent
from simulator.state import Clock

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
USER_AGENT = "BeyondTrust-Simulator/1.0"


class RecipientError(ValueError):
    """A recipient URL the simulator refuses to post to."""


def validate_recipient(url: str) -> str:
    """Return the URL if it is an http(s) URL on loopback, else raise RecipientError."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # reading the port is what rejects a malformed one
    except ValueError as exc:
        raise RecipientError(f"recipient {url!r} is not a valid URL: {exc}") from exc

    if parts.scheme not in ("http", "https"):
        raise RecipientError(f"recipient {url!r} must be an http:// or https:// URL")

    if parts.hostname not in LOOPBACK_HOSTS:
        allowed = ", ".join(LOOPBACK_HOSTS)
        raise RecipientError(
            f"recipient {url!r} refused: only loopback hosts ({allowed}) are allowed"
        )

    return url


def post_form(
    url: str, fields: dict[str, str], timeout: float
) -> tuple[int | None, str | None]:
    """Send the fields as a form POST; return (status, None) or (None, error)."""
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection
        if parts.scheme == "https"
        else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Connection": "close",
        "User-Agent": USER_AGENT,
    }
    try:
        connection.request("POST", target, body=urlencode(fields), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


@dataclass
class DeliverySettings:
    """Timing rules shared by every recipient queue."""

    clock: Clock
    retry_interval: float
    retry_duration: float
    timeout: float


@dataclass
class Pending:
    """An event waiting in one recipient's queue."""

    event: OutboundEvent
    first_attempt: float | None = None
    attempts: int = 0


@dataclass
class FaultPlan:
    """Outbound events to lose on purpose, as if the webhook never left."""

    remaining: int = 0
    events: list[str] = field(default_factory=list)
    suppressed: list[dict[str, Any]] = field(default_factory=list)

    def swallows(self, event: OutboundEvent) -> bool:
        """Return whether this event is to be lost, counting it if so."""
        if self.remaining <= 0 or (self.events and event.name not in self.events):
            return False

        self.remaining -= 1
        return True

    def describe(self) -> dict[str, Any]:
        """Return the plan as JSON-ready data."""
        return {
            "drop_next_events": self.remaining,
            "events": list(self.events),
            "suppressed": list(self.suppressed),
        }


class RecipientQueue:
    """One recipient's FIFO queue and the worker thread that drains it."""

    def __init__(self, url: str, settings: DeliverySettings, log: AttemptLog) -> None:
        self.url = url
        self._settings = settings
        self._log = log
        self._queue: deque[Pending] = deque()
        self._condition = threading.Condition()
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"simulator-delivery {url}", daemon=True
        )
        self._thread.start()

    def put(self, event: OutboundEvent) -> None:
        """Queue an event behind any the recipient has not taken yet."""
        with self._condition:
            self._queue.append(Pending(event))
            self._condition.notify()

    def is_idle(self) -> bool:
        """Return whether nothing is waiting or being attempted."""
        with self._condition:
            return not self._queue

    def stop(self, timeout: float) -> None:
        """Stop the worker, abandoning whatever is still queued."""
        self._stopped.set()
        with self._condition:
            self._queue.clear()
            self._condition.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        while (pending := self._head()) is not None:
            self._attempt(pending)

    def _head(self) -> Pending | None:
        with self._condition:
            while not self._queue and not self._stopped.is_set():
                self._condition.wait()
            return None if self._stopped.is_set() else self._queue[0]

    def _attempt(self, pending: Pending) -> None:
        settings = self._settings
        started = settings.clock.now()
        if pending.first_attempt is None:
            pending.first_attempt = started
        pending.attempts += 1
        status, error = post_form(self.url, pending.event.fields, settings.timeout)
        outcome = self._outcome(pending, status)
        self._log.record(self.url, pending, started, (status, error, outcome))
        if outcome == "retrying":
            self._stopped.wait(settings.retry_interval)
            return

        with self._condition:
            if self._queue and self._queue[0] is pending:
                self._queue.popleft()

    def _outcome(self, pending: Pending, status: int | None) -> str:
        if status == 200:
            return "delivered"

        waited = self._settings.clock.now() - (pending.first_attempt or 0)
        return "dropped" if waited >= self._settings.retry_duration else "retrying"


class AttemptLog:
    """Every delivery attempt, for tests and the control API."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def record(
        self,
        url: str,
        pending: Pending,
        started: float,
        result: tuple[int | None, str | None, str],
    ) -> None:
        """Append one attempt, stamped with when it began, and what came of it."""
        status, error, outcome = result
        entry = {
            "recipient": url,
            "event": pending.event.name,
            "lsid": pending.event.lsid,
            "external_key": pending.event.fields.get("external_key", ""),
            "attempt": pending.attempts,
            "status": status,
            "error": error,
            "outcome": outcome,
            "time": started,
        }
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        """Return a copy of the log."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every attempt."""
        with self._lock:
            self._entries.clear()


class Dispatcher:
    """Fan outbound events out to every recipient's queue."""

    def __init__(self, settings: DeliverySettings, recipients: list[str]) -> None:
        self._settings = settings
        self._initial = [validate_recipient(url) for url in recipients]
        self._lock = threading.Lock()
        self._queues: dict[str, RecipientQueue] = {}
        self._faults = FaultPlan()
        self.log = AttemptLog()
        for url in self._initial:
            self.add_recipient(url)

    def add_recipient(self, url: str) -> list[str]:
        """Start posting to a loopback recipient; return every recipient."""
        validate_recipient(url)
        with self._lock:
            if url not in self._queues:
                self._queues[url] = RecipientQueue(url, self._settings, self.log)
            return list(self._queues)

    def recipients(self) -> list[str]:
        """Return the recipient URLs in the order they were added."""
        with self._lock:
            return list(self._queues)

    def publish(self, event: OutboundEvent) -> None:
        """Queue the event for every recipient, unless a fault swallows it."""
        with self._lock:
            if self._faults.swallows(event):
                self._faults.suppressed.append(
                    {"event": event.name, "lsid": event.lsid, **event.fields}
                )
                return

            for queue in self._queues.values():
                queue.put(event)

    def set_faults(self, count: int, events: list[str]) -> dict[str, Any]:
        """Lose the next `count` events whose name is in `events` (any if empty)."""
        with self._lock:
            self._faults.remaining = count
            self._faults.events = list(events)
            return self._faults.describe()

    def faults(self) -> dict[str, Any]:
        """Return the current fault plan and the events it has swallowed."""
        with self._lock:
            return self._faults.describe()

    def is_idle(self) -> bool:
        """Return whether every recipient queue is empty."""
        with self._lock:
            queues = list(self._queues.values())
        return all(queue.is_idle() for queue in queues)

    def reset(self) -> None:
        """Drop queued events, attempts and faults; keep only start-up recipients."""
        self.stop()
        self.log.clear()
        with self._lock:
            self._faults = FaultPlan()
        for url in self._initial:
            self.add_recipient(url)

    def stop(self) -> None:
        """Stop every worker thread."""
        with self._lock:
            queues = list(self._queues.values())
            self._queues.clear()
        for queue in queues:
            queue.stop(self._settings.timeout + 1)
