"""F01: an answer that says "no report (yet)" is a result, never a crash.

The appliance answers HTTP 200 with an `<error>` document, an `<error>` inside the
list, or an empty list. After an end event that means "not ready yet": the import
retries a bounded number of times with growing delays, then ends
`report_unavailable` with the appliance's text, and never stores an empty session.
"""

import pytest
from django.core.management import CommandError, call_command

from appliances.choices import ReplyKind
from appliances.client import verdict_for_root
from appliances.models import ApplicationLog
from appliances.xml import parse_bytes
from itsm.models import JournalEntry
from sessions import services
from sessions.models import (
    OutboundEvent,
    SessionCustomAttribute,
    SessionCustomer,
    SessionEvent,
    SessionRep,
    SupportSession,
)
from tests.clocks import drain_retries, freeze_clock
from tests.fakes import Answer
from tests.reports import NAMESPACES, ReportSpec, build_report, end_event

LSID = "90ad0c6c1e061758771be65df7c251d2"
TICKET = "INC0010081"
TEXT = "No report data matches the requested criteria."
PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n\n'


def _list(inner: str, namespace: str = "beyondtrust") -> bytes:
    ns = NAMESPACES[namespace]
    return PROLOG + f'<session_list xmlns="{ns}">{inner}</session_list>\n'.encode()


# Every shape seen for "nothing matches": the root is <error>, with or without
# white space in the tag, a namespace or a text padded with white space; an
# <error> as the list's child (in any product's namespace); or an empty list.
NO_DATA_BODIES = {
    "error-root": PROLOG + f"<error>{TEXT}</error>\n".encode(),
    "error-root-spaced-tag": PROLOG + f"<error >{TEXT}</error >\n".encode(),
    "error-root-tab-in-tag": PROLOG + f"<error\t\n>{TEXT}</error>".encode(),
    "error-root-padded-text": PROLOG + f"<error>\n   {TEXT}  \n</error>".encode(),
    "error-root-namespaced": PROLOG
    + f'<error xmlns="{NAMESPACES["bomgar"]}">{TEXT}</error>'.encode(),
    "error-in-list": _list(f"\n <error>{TEXT}</error>\n"),
    "error-in-list-pra": _list(f"<error>{TEXT}</error>", "pra"),
    "error-in-list-no-code-attr": _list(f'<error code="">{TEXT}</error>'),
    "empty-list": _list(""),
    "empty-list-with-space": _list("\n\n  "),
    "empty-list-self-closing": PROLOG
    + f'<session_list xmlns="{NAMESPACES["bomgar"]}"/>'.encode(),
}
ERROR_BODIES = {
    name: body for name, body in NO_DATA_BODIES.items() if "empty" not in name
}
EMPTY_BODIES = {name: body for name, body in NO_DATA_BODIES.items() if "empty" in name}


@pytest.fixture
def three_attempts(settings):
    settings.INTEGRATION = {
        **settings.INTEGRATION,
        "IMPORT_MAX_ATTEMPTS": 3,
        "IMPORT_RETRY_BASE_SECONDS": 2.0,
    }


def _post_end_event(post_event, capture):
    with capture(execute=True):
        response = post_event(end_event(LSID, TICKET))
    assert response.status_code == 200


def _assert_nothing_stored(incident):
    assert not SupportSession.objects.filter(lsid=LSID).exists()
    assert SessionEvent.objects.count() == 0
    assert SessionRep.objects.count() == 0
    assert SessionCustomer.objects.count() == 0
    assert SessionCustomAttribute.objects.count() == 0
    assert not JournalEntry.objects.filter(element_id=incident.sys_id).exists()


@pytest.mark.parametrize("body", NO_DATA_BODIES.values(), ids=NO_DATA_BODIES.keys())
def test_it_classes_every_no_data_shape_as_no_data(body):
    verdict = verdict_for_root(200, parse_bytes(body))

    assert verdict.kind == ReplyKind.NO_DATA


@pytest.mark.parametrize("body", ERROR_BODIES.values(), ids=ERROR_BODIES.keys())
def test_it_retries_with_growing_delays_then_ends_report_unavailable_with_the_text(
    body,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    three_attempts,
    monkeypatch,
):
    incident = make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    fake.report(LSID, body)

    _post_end_event(post_event, django_capture_on_commit_callbacks)
    delays = drain_retries(run_worker, clock)

    assert len(fake.report_calls(LSID)) == 3
    assert len(delays) == 2
    assert 0 < delays[0] < delays[1]
    event = OutboundEvent.objects.get()
    assert event.outcome == "report_unavailable"
    assert event.reason == TEXT
    _assert_nothing_stored(incident)


@pytest.mark.parametrize("body", EMPTY_BODIES.values(), ids=EMPTY_BODIES.keys())
def test_it_says_the_list_was_empty_when_the_appliance_sends_an_empty_list(
    body,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    three_attempts,
    monkeypatch,
):
    incident = make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    fake.report(LSID, body)

    _post_end_event(post_event, django_capture_on_commit_callbacks)
    drain_retries(run_worker, clock)

    assert len(fake.report_calls(LSID)) == 3
    event = OutboundEvent.objects.get()
    assert event.outcome == "report_unavailable"
    assert "empty" in event.reason.lower()
    _assert_nothing_stored(incident)


def test_it_logs_each_attempt_and_the_outcome_without_a_traceback(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    three_attempts,
    monkeypatch,
    caplog,
):
    make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    fake.report(LSID, NO_DATA_BODIES["error-in-list"])

    _post_end_event(post_event, django_capture_on_commit_callbacks)
    drain_retries(run_worker, clock)

    entries = ApplicationLog.objects.filter(
        step="import", lsid=LSID, appliance=appliance
    )
    messages = [entry.message for entry in entries.order_by("id")]
    assert sum("attempt 1 of 3" in m for m in messages) == 1
    assert sum("attempt 2 of 3" in m for m in messages) == 1
    assert any("after 3 attempts" in m and TEXT in m for m in messages)
    assert not ApplicationLog.objects.filter(level="ERROR").exists()
    assert not any(record.exc_info for record in caplog.records)
    assert "Traceback" not in caplog.text


def test_it_starts_a_new_bounded_series_when_the_admin_refetches(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    three_attempts,
    monkeypatch,
):
    make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    fake.report(LSID, NO_DATA_BODIES["error-root"])
    _post_end_event(post_event, django_capture_on_commit_callbacks)
    drain_retries(run_worker, clock)
    assert len(fake.report_calls(LSID)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        services.request_refetch(OutboundEvent.objects.all())
    drain_retries(run_worker, clock)

    assert len(fake.report_calls(LSID)) == 6
    assert OutboundEvent.objects.get().outcome == "report_unavailable"


@pytest.mark.parametrize("ready_on", [2, 3])
def test_it_imports_the_report_when_it_becomes_ready_within_the_limit(
    ready_on,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    three_attempts,
    monkeypatch,
):
    incident = make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    not_yet = [Answer(200, NO_DATA_BODIES["error-root"])] * (ready_on - 1)
    fake.script(
        f"report:{LSID}", *not_yet, Answer(200, build_report(ReportSpec(LSID, TICKET)))
    )

    _post_end_event(post_event, django_capture_on_commit_callbacks)
    drain_retries(run_worker, clock)

    assert len(fake.report_calls(LSID)) == ready_on
    event = OutboundEvent.objects.get()
    assert event.outcome == "processed"
    session = SupportSession.objects.get(appliance=appliance, lsid=LSID)
    assert session.event_count == 9
    assert session.customers.count() == 1
    assert session.reps.count() == 1
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3


@pytest.mark.parametrize("body", NO_DATA_BODIES.values(), ids=NO_DATA_BODIES.keys())
def test_it_refuses_a_saved_file_that_holds_no_report(body, appliance, tmp_path):
    path = tmp_path / "reply.xml"
    path.write_bytes(body)

    with pytest.raises(CommandError) as refused:
        call_command("import_report", str(path), "--appliance", "Default")

    message = str(refused.value)
    assert "holds no report" in message
    assert "\n" not in message
    if body in ERROR_BODIES.values():
        assert TEXT.rstrip(".") in message
    assert SupportSession.objects.count() == 0
    assert OutboundEvent.objects.count() == 0
