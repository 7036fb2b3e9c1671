"""A due retry is handed to the broker once, however often the sweeper runs
before a worker takes it."""

from datetime import timedelta

from integration import clock
from sessions import services
from sessions.models import OutboundEvent
from tests.reports import end_event

LSID = "7a1b2c3d4e5f60718293a4b5c6d7e8f9"


def test_it_publishes_a_due_retry_once_across_sweeps(
    hook_appliance, post_event, published, monkeypatch
):
    post_event(end_event(LSID, "INC0010001"))
    event = OutboundEvent.objects.get()
    OutboundEvent.objects.filter(pk=event.pk).update(
        outcome="retry_wait", next_attempt_at=clock.now() - timedelta(seconds=1)
    )
    published.clear()

    first, second = services.sweep(), services.sweep()

    assert (first, second) == (1, 0)
    assert published == [(event.pk, False)]
    assert OutboundEvent.objects.get().outcome == "queued"


def test_it_requeues_an_import_stranded_by_a_dead_worker(
    hook_appliance, post_event, published
):
    post_event(end_event(LSID, "INC0010001"))
    OutboundEvent.objects.update(
        outcome="fetching", claimed_until=clock.now() - timedelta(seconds=1)
    )
    published.clear()

    assert services.sweep() == 1
    assert OutboundEvent.objects.get().outcome == "queued"
