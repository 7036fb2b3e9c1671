"""Later pulls start at the watermark minus the overlap, then move it."""

from datetime import timedelta

from sessions.models import PullState
from tests.clocks import START, freeze_clock
from tests.sessions.pulls import answer_listing, listing_calls, pull


def test_it_reads_from_the_watermark_minus_five_minutes(
    appliance, fake, monkeypatch, published, django_capture_on_commit_callbacks
):
    clock = freeze_clock(monkeypatch)
    answer_listing(fake)
    pull(appliance, django_capture_on_commit_callbacks)
    clock.advance(600)

    pull(appliance, django_capture_on_commit_callbacks)

    second = listing_calls(fake)[1]
    assert second.params["end_time"] == str(
        int((START - timedelta(seconds=300)).timestamp())
    )
    state = PullState.objects.get(appliance=appliance)
    assert state.watermark == START + timedelta(seconds=600)


def test_it_reads_the_overlap_from_the_settings(
    appliance,
    fake,
    monkeypatch,
    settings,
    published,
    django_capture_on_commit_callbacks,
):
    settings.INTEGRATION = {**settings.INTEGRATION, "PULL_OVERLAP_SECONDS": 30}
    freeze_clock(monkeypatch)
    PullState.objects.create(appliance=appliance, watermark=START - timedelta(hours=1))
    answer_listing(fake)

    pull(appliance, django_capture_on_commit_callbacks)

    (call,) = listing_calls(fake)
    expected = START - timedelta(hours=1, seconds=30)
    assert call.params["end_time"] == str(int(expected.timestamp()))


def test_it_keeps_the_watermark_when_since_starts_after_it(
    appliance, fake, monkeypatch, published, django_capture_on_commit_callbacks
):
    freeze_clock(monkeypatch)
    watermark = START - timedelta(hours=2)
    PullState.objects.create(appliance=appliance, watermark=watermark)
    answer_listing(fake)

    pull(
        appliance,
        django_capture_on_commit_callbacks,
        since=START - timedelta(minutes=10),
    )

    # A window that starts later than the scheduled one leaves a gap behind it.
    assert PullState.objects.get(appliance=appliance).watermark == watermark
