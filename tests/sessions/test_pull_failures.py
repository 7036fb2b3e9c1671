"""A pull that cannot list the sessions records why and keeps the watermark."""

import socket
from datetime import timedelta

from appliances.models import ApplicationLog
from sessions.models import OutboundEvent, PullState
from tests.clocks import START, freeze_clock
from tests.fakes import Answer
from tests.sessions.pulls import LISTING, NEW_LSID, answer_listing, listing_calls, pull

WATERMARK = START - timedelta(hours=1)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_it_keeps_the_watermark_when_the_appliance_is_unreachable(
    appliance, monkeypatch, published, waits, django_capture_on_commit_callbacks
):
    freeze_clock(monkeypatch)
    PullState.objects.create(appliance=appliance, watermark=WATERMARK)
    appliance.hostname = f"http://127.0.0.1:{closed_port()}"
    appliance.save()

    result = pull(appliance, django_capture_on_commit_callbacks)

    assert result.status == "failed"
    state = PullState.objects.get(appliance=appliance)
    assert state.watermark == WATERMARK
    assert state.last_error
    assert state.running_until is None
    entry = ApplicationLog.objects.filter(step="pull", level="ERROR").get()
    assert "could not list" in entry.message
    assert not OutboundEvent.objects.exists()


def test_it_keeps_the_watermark_when_the_credentials_are_refused(
    appliance, fake, monkeypatch, published, waits, django_capture_on_commit_callbacks
):
    freeze_clock(monkeypatch)
    PullState.objects.create(appliance=appliance, watermark=WATERMARK)
    fake.refuse_tokens = True

    result = pull(appliance, django_capture_on_commit_callbacks)

    assert result.status == "failed"
    state = PullState.objects.get(appliance=appliance)
    assert state.watermark == WATERMARK
    assert state.last_error == result.error


def test_it_tries_the_same_window_again_after_a_failure(
    appliance, fake, monkeypatch, published, waits, django_capture_on_commit_callbacks
):
    clock = freeze_clock(monkeypatch)
    PullState.objects.create(appliance=appliance, watermark=WATERMARK)
    fake.script(LISTING, Answer(500, b"<error>Internal error</error>"))
    answer_listing(fake, NEW_LSID)
    pull(appliance, django_capture_on_commit_callbacks)
    clock.advance(300)

    result = pull(appliance, django_capture_on_commit_callbacks)

    first, second = listing_calls(fake)
    assert first.params["end_time"] == second.params["end_time"]
    assert result.new == 1
    state = PullState.objects.get(appliance=appliance)
    assert state.watermark == START + timedelta(seconds=300)
    assert state.last_error == ""
