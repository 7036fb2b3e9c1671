"""F06: a character XML 1.0 forbids is reported, never silently repaired.

Policy (REPORT): the parser runs without "recover"; the outbound event ends
`parse_error` with the parser's own message (line number included), the raw reply
is kept byte for byte, nothing of that session is stored, it is not retried by
itself, and other sessions import normally.
"""

import hashlib

import pytest
from django.core.management import CommandError, call_command

from appliances.models import ApplicationLog
from itsm.models import JournalEntry
from sessions import services
from sessions.models import OutboundEvent, SessionEvent, SupportSession
from tests.clocks import drain_retries, freeze_clock
from tests.reports import ReportSpec, build_report, end_event

LSID_A = "3ffc337ff94b7944684dc0f4829c9a31"
LSID_B = "2d1ab29ae2467de48c8824dfcb3fa513"
TICKET_A = "INC0010086"
TICKET_B = "INC0010087"
MARK = "QQFORBIDDENQQ"


def _broken(
    forbidden: bytes, where: str, lsid: str = LSID_A, extra_chats: int = 0
) -> bytes:
    """A report for `lsid` with `forbidden` put in the chosen field."""
    chats = [("rep", f"line {n}") for n in range(extra_chats)]
    if where == "chat":
        chats.append(("customer", f"Serial no. 7Q{MARK}X-4410"))
    spec = ReportSpec(lsid, TICKET_A, chats=chats)
    if where == "note":
        spec.notes = [f"Dock firmware{MARK} updated"]
    if where == "custom":
        spec.custom = {"asset": f"LT{MARK}0142"}
    body = build_report(spec)
    if where == "details":
        body = body.replace(
            b"<details>VPN drops", b"<details>VPN " + MARK.encode() + b"drops"
        )
    assert body.count(MARK.encode()) == 1
    return body.replace(MARK.encode(), forbidden)


def _line_of(body: bytes, forbidden: bytes) -> int:
    return body[: body.index(forbidden)].count(b"\n") + 1


FORBIDDEN = {
    "raw-soh": b"\x01",
    "raw-esc": b"\x1b",
    "raw-two-escs": b"\x1b\x1b",
    "raw-nul": b"\x00",
    "raw-vt": b"\x0b",
    "charref-decimal": b"&#1;",
    "charref-hex-esc": b"&#x1B;",
    "charref-zero": b"&#0;",
    "charref-padded-hex": b"&#x0001f;",
}
WHERE = ["chat", "note", "custom", "details"]


def _import(post_event, capture, run_worker, monkeypatch, *lsids_and_tickets):
    clock = freeze_clock(monkeypatch)
    for lsid, ticket in lsids_and_tickets:
        with capture(execute=True):
            assert post_event(end_event(lsid, ticket)).status_code == 200
    return drain_retries(run_worker, clock)


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("forbidden", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_it_ends_parse_error_with_the_parsers_message_and_keeps_the_raw_reply(
    forbidden,
    where,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    incident = make_incident(TICKET_A)
    body = _broken(forbidden, where)
    fake.report(LSID_A, body)

    delays = _import(
        post_event,
        django_capture_on_commit_callbacks,
        run_worker,
        monkeypatch,
        (LSID_A, TICKET_A),
    )

    event = OutboundEvent.objects.get()
    assert event.outcome == "parse_error"
    assert f"line {_line_of(body, forbidden)}" in event.reason
    assert "invalid" in event.reason.lower()
    assert bytes(event.reply_raw) == body
    assert event.reply_size == len(body)
    assert event.reply_sha256 == hashlib.sha256(body).hexdigest()
    assert delays == []
    assert len(fake.report_calls(LSID_A)) == 1
    assert not SupportSession.objects.filter(lsid=LSID_A).exists()
    assert not JournalEntry.objects.filter(element_id=incident.sys_id).exists()


def test_it_stores_no_repaired_text_anywhere(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    make_incident(TICKET_A)
    fake.report(LSID_A, _broken(b"\x01", "chat"))

    _import(
        post_event,
        django_capture_on_commit_callbacks,
        run_worker,
        monkeypatch,
        (LSID_A, TICKET_A),
    )

    for text in (
        "Serial no. 7QX-4410",
        "Serial no. 7Q\x01X-4410",
        "Serial no. 7Q\ufffdX-4410",
    ):
        assert not SessionEvent.objects.filter(body__contains=text).exists()
        assert not JournalEntry.objects.filter(value__contains=text).exists()
        assert not ApplicationLog.objects.filter(message__contains=text).exists()


def test_it_writes_nothing_when_the_bad_character_comes_after_many_events(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    # Far past the first write batch: a streaming writer must not have begun.
    make_incident(TICKET_A)
    body = _broken(b"&#1;", "chat", extra_chats=2500)
    fake.report(LSID_A, body)

    _import(
        post_event,
        django_capture_on_commit_callbacks,
        run_worker,
        monkeypatch,
        (LSID_A, TICKET_A),
    )

    assert OutboundEvent.objects.get().outcome == "parse_error"
    assert SupportSession.objects.count() == 0
    assert SessionEvent.objects.count() == 0


def test_it_logs_one_error_naming_the_appliance_the_lsid_and_the_message(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    make_incident(TICKET_A)
    body = _broken(b"\x1b", "details")
    fake.report(LSID_A, body)

    _import(
        post_event,
        django_capture_on_commit_callbacks,
        run_worker,
        monkeypatch,
        (LSID_A, TICKET_A),
    )

    errors = ApplicationLog.objects.filter(level="ERROR")
    assert errors.count() == 1
    entry = errors.get()
    assert entry.appliance == appliance
    assert entry.lsid == LSID_A
    line = _line_of(body, b"\x1b")
    assert f"line {line}" in entry.message


@pytest.mark.parametrize("a_first", [True, False], ids=["broken-first", "good-first"])
def test_it_imports_the_other_session_normally(
    a_first,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    make_incident(TICKET_A)
    incident_b = make_incident(TICKET_B)
    fake.report(LSID_A, _broken(b"\x01", "chat"))
    fake.report(LSID_B, build_report(ReportSpec(LSID_B, TICKET_B)))
    order = [(LSID_A, TICKET_A), (LSID_B, TICKET_B)]

    _import(
        post_event,
        django_capture_on_commit_callbacks,
        run_worker,
        monkeypatch,
        *(order if a_first else order[::-1]),
    )

    assert OutboundEvent.objects.get(lsid=LSID_A).outcome == "parse_error"
    assert OutboundEvent.objects.get(lsid=LSID_B).outcome == "processed"
    assert SupportSession.objects.get(lsid=LSID_B).event_count == 9
    assert JournalEntry.objects.filter(element_id=incident_b.sys_id).count() == 3


def test_it_tries_again_only_when_the_admin_refetches(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    make_incident(TICKET_A)
    fake.report(LSID_A, _broken(b"\x01", "chat"))
    clock = freeze_clock(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID_A, TICKET_A))
    drain_retries(run_worker, clock)
    clock.advance(3600)
    services.sweep()
    run_worker()
    assert len(fake.report_calls(LSID_A)) == 1

    fake.report(LSID_A, build_report(ReportSpec(LSID_A, TICKET_A)))
    with django_capture_on_commit_callbacks(execute=True):
        services.request_refetch(OutboundEvent.objects.all())
    drain_retries(run_worker, clock)

    assert len(fake.report_calls(LSID_A)) == 2
    assert OutboundEvent.objects.get().outcome == "processed"


@pytest.mark.parametrize("forbidden", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_it_refuses_a_saved_file_with_the_parsers_message(
    forbidden, appliance, tmp_path
):
    body = _broken(forbidden, "chat")
    path = tmp_path / "broken.xml"
    path.write_bytes(body)

    with pytest.raises(CommandError) as refused:
        call_command("import_report", str(path), "--appliance", "Default")

    assert f"line {_line_of(body, forbidden)}" in str(refused.value)
    assert "invalid" in str(refused.value).lower()
    assert SupportSession.objects.count() == 0
    assert SessionEvent.objects.count() == 0
