"""F15: a report without an end time is not final.

Fetched right after the end event, the report may still be written: no end time
(element missing or empty) and events missing. The product keeps the partial data
marked not final, writes no notes, retries with growing delays, and flags the
session incomplete if the report never becomes final.
"""

import re

import pytest

from itsm.models import JournalEntry
from sessions import services
from sessions.models import OutboundEvent, SupportSession
from tests.clocks import drain_retries, freeze_clock
from tests.fakes import Answer
from tests.reports import END, START, ReportSpec, build_report, end_event

LSID = "1d083133aec95c4b5930183d4d23441e"
TICKET = "INC0010096"
END_TIME = re.compile(rb" *<end_time [^\n]*</end_time>\n")


def _final() -> bytes:
    return build_report(ReportSpec(LSID, TICKET))


def _without_end(end_element: bytes = b"", keep_events: bool = False) -> bytes:
    """The report as it looks while still being written."""
    body = (
        _final() if keep_events else build_report(ReportSpec(LSID, TICKET, end=False))
    )
    if keep_events:
        body = body.replace(
            f'<event timestamp="{END}" event_type="Session End"></event>'.encode(), b""
        )
    body, count = (
        END_TIME.subn(end_element, body) if END_TIME.search(body) else (body, 1)
    )
    if end_element and b"<end_time" not in body:
        body = body.replace(b"  <duration>", b"  " + end_element + b"\n  <duration>", 1)
    assert count == 1
    return body


NOT_FINAL = {
    "no-end-element": _without_end(),
    "empty-end-element": _without_end(b"<end_time></end_time>"),
    "blank-end-element": _without_end(b"<end_time>  </end_time>"),
    "empty-timestamp": _without_end(b'<end_time timestamp=""></end_time>'),
    "self-closing": _without_end(b"<end_time/>"),
    "all-events-but-no-end": _without_end(keep_events=True),
}


@pytest.fixture
def four_attempts(settings):
    settings.INTEGRATION = {
        **settings.INTEGRATION,
        "IMPORT_MAX_ATTEMPTS": 4,
        "IMPORT_RETRY_BASE_SECONDS": 30.0,
    }


def _post(post_event, capture):
    with capture(execute=True):
        assert post_event(end_event(LSID, TICKET)).status_code == 200


def _notes(incident):
    return JournalEntry.objects.filter(element_id=incident.sys_id, element="work_notes")


@pytest.mark.parametrize("first", NOT_FINAL.values(), ids=NOT_FINAL.keys())
def test_it_stores_nothing_final_and_writes_no_note_until_the_end_time_arrives(
    first,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    four_attempts,
    monkeypatch,
):
    incident = make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    fake.script(f"report:{LSID}", Answer(200, first), Answer(200, _final()))

    _post(post_event, django_capture_on_commit_callbacks)
    run_worker()

    event = OutboundEvent.objects.get()
    assert event.outcome == "retry_wait"
    assert event.next_attempt_at > clock.now()
    partial = SupportSession.objects.filter(lsid=LSID).first()
    assert partial is None or (not partial.report_complete and partial.end_time is None)
    assert not _notes(incident).exists()


@pytest.mark.parametrize("first", NOT_FINAL.values(), ids=NOT_FINAL.keys())
def test_it_imports_the_final_report_once_on_the_next_fetch(
    first,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    four_attempts,
    monkeypatch,
):
    incident = make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    fake.script(f"report:{LSID}", Answer(200, first), Answer(200, _final()))

    _post(post_event, django_capture_on_commit_callbacks)
    delays = drain_retries(run_worker, clock)

    assert len(fake.report_calls(LSID)) == 2
    assert len(delays) == 1 and delays[0] > 0
    assert OutboundEvent.objects.get().outcome == "processed"
    session = SupportSession.objects.get(appliance=appliance, lsid=LSID)
    assert session.start_time.timestamp() == START
    assert session.end_time.timestamp() == END
    assert session.duration_seconds == 902
    assert session.report_complete
    assert not session.incomplete
    assert session.event_count == 9
    seqs = list(session.events.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(9))
    starts = session.events.filter(event_type="Session Start").count()
    assert starts == 1
    assert session.customers.count() == 1
    assert session.reps.count() == 1
    assert _notes(incident).count() == 3
    transcript = _notes(incident).get(value__contains="Chat transcript").value
    for text in (
        "Hello, how can I help?",
        "My VPN keeps dropping.",
        "Reinstalling the client now.",
    ):
        assert text in transcript


def test_it_gives_up_after_the_limit_and_flags_the_partial_session_incomplete(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    four_attempts,
    monkeypatch,
):
    incident = make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    fake.report(LSID, NOT_FINAL["no-end-element"])

    _post(post_event, django_capture_on_commit_callbacks)
    delays = drain_retries(run_worker, clock)

    assert len(fake.report_calls(LSID)) == 4
    assert len(delays) == 3
    assert delays[0] < delays[1] < delays[2]
    event = OutboundEvent.objects.get()
    assert event.outcome == "incomplete"
    assert "incomplete" in event.reason
    session = SupportSession.objects.get(lsid=LSID)
    assert session.incomplete
    assert not session.report_complete
    assert session.start_time.timestamp() == START
    assert session.end_time is None
    assert session.event_count == 3
    for note in _notes(incident):
        assert "incomplete" in note.value.lower()
    kinds = [note.value.splitlines()[0] for note in _notes(incident)]
    assert len(kinds) == len(set(kinds))


def test_it_completes_the_same_row_when_the_admin_refetches_later(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    four_attempts,
    monkeypatch,
):
    incident = make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    fake.report(LSID, NOT_FINAL["empty-end-element"])
    _post(post_event, django_capture_on_commit_callbacks)
    drain_retries(run_worker, clock)
    partial = SupportSession.objects.get(lsid=LSID)
    assert partial.incomplete

    fake.report(LSID, _final())
    with django_capture_on_commit_callbacks(execute=True):
        services.request_refetch(OutboundEvent.objects.all())
    drain_retries(run_worker, clock)

    assert SupportSession.objects.count() == 1
    session = SupportSession.objects.get(lsid=LSID)
    assert session.pk == partial.pk
    assert not session.incomplete
    assert session.report_complete
    assert session.end_time.timestamp() == END
    assert session.event_count == 9
    assert session.events.count() == 9
    assert OutboundEvent.objects.get().outcome == "processed"
    assert _notes(incident).count() == 3
