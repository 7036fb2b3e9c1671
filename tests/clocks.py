"""A movable product clock and a driver that lets scheduled retries come due.

Retries keep their next attempt time in the database and the sweeper queues what
is due, so a test moves the product clock to that time instead of waiting.
"""

from datetime import UTC, datetime, timedelta

from integration import clock as product_clock
from sessions import services
from sessions.choices import Outcome
from sessions.models import OutboundEvent

START = datetime(2024, 12, 3, 15, 41, 8, tzinfo=UTC)


class MovableClock:
    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def freeze_clock(monkeypatch, start: datetime = START) -> MovableClock:
    """Make `integration.clock.now()` return a time the test moves."""
    movable = MovableClock(start)
    monkeypatch.setattr(product_clock, "now", movable.now)
    return movable


def drain_retries(run_worker, clock: MovableClock, limit: int = 20) -> list[float]:
    """Run the worker, move the clock to each scheduled retry and sweep, until no
    event waits any more. Return the delays the product scheduled, in order."""
    delays: list[float] = []
    run_worker()
    for _ in range(limit):
        waiting = OutboundEvent.objects.filter(outcome=Outcome.RETRY_WAIT).order_by(
            "next_attempt_at"
        )
        event = waiting.first()
        if event is None or event.next_attempt_at is None:
            return delays
        delay = (event.next_attempt_at - clock.now()).total_seconds()
        delays.append(delay)
        clock.advance(max(delay, 0) + 0.001)
        services.sweep()
        run_worker()
    raise AssertionError(f"still retrying after {limit} rounds")
