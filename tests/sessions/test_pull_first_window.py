"""The first pull of an appliance reads back 24 hours, up to now."""

from datetime import timedelta

from sessions.models import PullState
from tests.clocks import START, freeze_clock
from tests.sessions.pulls import answer_listing, listing_calls, pull


def test_it_lists_sessions_that_ended_in_the_last_24_hours(
    appliance, fake, monkeypatch, published, django_capture_on_commit_callbacks
):
    freeze_clock(monkeypatch)
    answer_listing(fake)

    result = pull(appliance, django_capture_on_commit_callbacks)

    (call,) = listing_calls(fake)
    assert call.params["end_time"] == str(
        int((START - timedelta(hours=24)).timestamp())
    )
    assert call.params["duration"] == "0"
    assert result.status == "ok"
    assert result.window_start == START - timedelta(hours=24)
    assert PullState.objects.get(appliance=appliance).watermark == START
