"""With RECEIVER_DISPATCH=outbox the request only lands the post; the dispatcher
reads it into an outbound event and publishes it."""

import pytest

from sessions import dispatch, inbox
from sessions.models import InboxPost, OutboundEvent
from tests.reports import end_event

LSIDS = ["a" * 31 + str(n) for n in range(3)]


@pytest.fixture
def outbox(settings):
    settings.INTEGRATION = {**settings.INTEGRATION, "RECEIVER_DISPATCH": "outbox"}


def test_it_only_lands_the_post_in_the_request(
    outbox, hook_appliance, post_event, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(end_event(LSIDS[0], "INC0010001")).status_code == 200

    assert published == []
    assert OutboundEvent.objects.count() == 0
    landed = InboxPost.objects.get()
    assert bytes(landed.raw_body) == end_event(LSIDS[0], "INC0010001")


def test_it_reads_landed_posts_into_events_once(outbox, hook_appliance, post_event):
    for lsid in LSIDS:
        post_event(end_event(lsid, "INC0010001"))
    post_event(end_event(LSIDS[0], "INC0010001"))

    first, second = inbox.read_inbox(), inbox.read_inbox()

    assert (first, second) == (4, 0)
    assert InboxPost.objects.count() == 0
    assert OutboundEvent.objects.count() == 3
    assert OutboundEvent.objects.get(lsid=LSIDS[0]).delivery_count == 2
    assert set(OutboundEvent.objects.values_list("outcome", flat=True)) == {
        "pending_enqueue"
    }


def test_it_hands_each_stored_event_to_the_broker_once(
    outbox, hook_appliance, post_event, published
):
    for lsid in LSIDS:
        post_event(end_event(lsid, "INC0010001"))
    inbox.read_inbox()

    first = dispatch.dispatch_pending()
    second = dispatch.dispatch_pending()

    assert (first, second) == (3, 0)
    assert sorted(event_id for event_id, _ in published) == sorted(
        OutboundEvent.objects.values_list("id", flat=True)
    )
    assert set(OutboundEvent.objects.values_list("outcome", flat=True)) == {"queued"}


def test_it_puts_events_back_when_the_broker_is_down(
    outbox, hook_appliance, post_event, monkeypatch
):
    for lsid in LSIDS:
        post_event(end_event(lsid, "INC0010001"))
    inbox.read_inbox()

    def refuse(event_id, force):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(dispatch, "publisher", refuse)
    sent = dispatch.dispatch_pending()

    assert sent == 0
    assert set(OutboundEvent.objects.values_list("outcome", flat=True)) == {
        "pending_enqueue"
    }
