"""Only one pull of an appliance runs at a time; a crashed run's claim expires."""

from datetime import timedelta

from sessions.models import PullState
from tests.clocks import START, freeze_clock
from tests.sessions.pulls import answer_listing, listing_calls, pull


def test_it_skips_a_pull_while_another_holds_the_claim(
    appliance, fake, monkeypatch, published, django_capture_on_commit_callbacks
):
    freeze_clock(monkeypatch)
    PullState.objects.create(
        appliance=appliance, running_until=START + timedelta(minutes=5)
    )
    answer_listing(fake)

    result = pull(appliance, django_capture_on_commit_callbacks)

    assert result.status == "busy"
    assert listing_calls(fake) == []


def test_it_takes_over_an_expired_claim(
    appliance, fake, monkeypatch, published, django_capture_on_commit_callbacks
):
    freeze_clock(monkeypatch)
    PullState.objects.create(
        appliance=appliance, running_until=START - timedelta(seconds=1)
    )
    answer_listing(fake)

    result = pull(appliance, django_capture_on_commit_callbacks)

    assert result.status == "ok"
    assert PullState.objects.get().running_until is None
