"""F18 (A-D): the appliance throttles with HTTP 429.

`Retry-After` (seconds or an HTTP date, counted from the answer's `Date`) is
honoured, a missing or unreadable one gets the product's own growing backoff, the
number of tries is bounded by configuration, an interactive request never waits
more than a few seconds, and a background import reschedules instead of sleeping.
Waits are recorded by the `waits` fixture, never slept.
"""

import pytest

from appliances.client import ApplianceClient, ApplianceRateLimited
from appliances.xml import child, children, text_of
from sessions.models import OutboundEvent
from tests.clocks import freeze_clock
from tests.fakes import Answer
from tests.reports import end_event

REPS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n\n<logged_in_reps>'
    b'<rep id="14"><public_display_name>Marta K.</public_display_name></rep>'
    b'<rep id="27"><public_display_name>Tom\xc3\xa1s I.</public_display_name></rep>'
    b"</logged_in_reps>"
)
THROTTLED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n\n<error>Too many requests.</error>'
)
ANSWER_DATE = "Tue, 03 Dec 2024 15:41:07 GMT"


def _429(retry_after: str | None = "2") -> Answer:
    headers = {"Content-Type": "text/xml; charset=UTF-8"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return Answer(429, THROTTLED, headers)


def _reps(root):
    return {
        rep.get("id"): text_of(child(rep, "public_display_name"))
        for rep in children(root, "rep")
    }


@pytest.mark.parametrize("seconds", ["1", "2", "3", " 2 "])
def test_it_waits_as_long_as_retry_after_says_and_succeeds_on_the_third_call(
    seconds, appliance, fake, waits
):
    fake.script(
        "command:get_logged_in_reps", _429(seconds), _429(seconds), Answer(200, REPS)
    )

    root = ApplianceClient(appliance).command("get_logged_in_reps")

    assert waits == [float(seconds)] * 2
    assert len(fake.calls_to("command:get_logged_in_reps")) == 3
    assert _reps(root) == {"14": "Marta K.", "27": "Tomás I."}


@pytest.mark.parametrize("later", [1, 2, 4])
def test_it_counts_a_retry_after_date_from_the_answers_date(
    later, appliance, fake, waits
):
    fake.server.RequestHandlerClass.date_time_string = lambda self, timestamp=None: (
        ANSWER_DATE
    )
    when = f"Tue, 03 Dec 2024 15:41:{7 + later:02d} GMT"
    fake.script("command:get_logged_in_reps", _429(when), _429(when), Answer(200, REPS))

    ApplianceClient(appliance).command("get_logged_in_reps")

    assert waits == [float(later)] * 2
    assert len(fake.calls_to("command:get_logged_in_reps")) == 3


@pytest.mark.parametrize(
    "retry_after", [None, "", "soon", "2.5", "-3", "Tue, 99 Foo 2024"], ids=repr
)
def test_it_backs_off_on_its_own_when_retry_after_is_missing_or_unreadable(
    retry_after, appliance, fake, waits
):
    fake.script(
        "command:get_logged_in_reps",
        _429(retry_after),
        _429(retry_after),
        Answer(200, REPS),
    )

    root = ApplianceClient(appliance).command("get_logged_in_reps")

    assert len(waits) == 2
    assert 0 < waits[0] < waits[1]
    assert len(fake.calls_to("command:get_logged_in_reps")) == 3
    assert _reps(root)["14"] == "Marta K."


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_it_gives_up_after_the_configured_number_of_tries_naming_the_appliance(
    retries, settings, appliance, fake, waits
):
    settings.INTEGRATION = {**settings.INTEGRATION, "MAX_429_RETRIES": retries}
    fake.default("command:get_logged_in_reps", _429("1"))

    with pytest.raises(ApplianceRateLimited) as throttled:
        ApplianceClient(appliance).command("get_logged_in_reps")

    assert len(fake.calls_to("command:get_logged_in_reps")) == retries + 1
    assert "Default" in str(throttled.value)
    assert "rate limiting" in str(throttled.value)


@pytest.mark.parametrize("retry_after", ["2", "4", "86400", None])
def test_it_never_keeps_an_interactive_request_waiting_more_than_a_few_seconds(
    retry_after, settings, appliance, fake, waits
):
    fake.default("command:get_logged_in_reps", _429(retry_after))

    with pytest.raises(ApplianceRateLimited) as throttled:
        ApplianceClient(appliance, interactive=True).command("get_logged_in_reps")

    assert sum(waits) <= settings.INTEGRATION["MAX_INLINE_WAIT"] <= 5
    assert "rate limiting" in str(throttled.value)


def test_it_reschedules_a_long_wait_in_a_background_import_instead_of_sleeping(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    waits,
    monkeypatch,
):
    make_incident("INC0010099")
    clock = freeze_clock(monkeypatch)
    lsid = "0d2f5e8a7c6b4a3f9e1d2c3b4a5f6e7d"
    fake.default(f"report:{lsid}", _429("86400"))

    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(lsid, "INC0010099"))
    run_worker()

    assert waits == []
    assert len(fake.report_calls(lsid)) == 1
    event = OutboundEvent.objects.get()
    assert event.outcome == "retry_wait"
    assert event.next_attempt_at > clock.now()
    assert "rate limiting" in event.reason


def test_it_bounds_the_calls_of_a_background_import_that_stays_throttled(
    settings,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    waits,
    monkeypatch,
):
    make_incident("INC0010099")
    freeze_clock(monkeypatch)
    lsid = "1e3a6f9b8d7c5b4a0f2e3d4c5b6a7f8e"
    fake.default(f"report:{lsid}", _429("2"))

    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(lsid, "INC0010099"))
    run_worker()

    assert len(fake.report_calls(lsid)) <= settings.INTEGRATION["MAX_429_RETRIES"] + 1
    assert (
        sum(waits)
        <= settings.INTEGRATION["MAX_INLINE_WAIT"]
        * settings.INTEGRATION["MAX_429_RETRIES"]
    )
    assert OutboundEvent.objects.get().outcome == "retry_wait"
