"""F08: a text node over libxml2's default 10,000,000-byte limit.

Policy (ACCEPT): reports are parsed with huge text allowed while DOCTYPEs stay
refused and entities unresolved, so the text is stored in full; a note that has to
be shortened says so. The download itself is capped by REPORT_MAX_BYTES: a reply
over the cap is not read to the end nor parsed, and ends `too_large`.
"""

import pytest
from django.core.management import call_command

from appliances.models import ApplicationLog
from itsm.models import JournalEntry
from sessions.models import OutboundEvent, SessionCustomer, SessionEvent, SupportSession
from tests.reports import ReportSpec, build_report, end_event

LSID = "88b3f1aab5e6bf3049cba2a57e163925"
TICKET = "INC0010089"
LIMIT = 10_000_000
HOLE = "HUGETEXTGOESHERE"


def _write_report(path, size: int, where: str = "chat", fill: bytes = b"a") -> bytes:
    """Write a finished report with one text node of `size` bytes; return its bytes."""
    spec = ReportSpec(LSID, TICKET)
    if where == "chat":
        spec.chats = [("rep", "Please paste the client log."), ("customer", HOLE)]
    elif where == "first-chat":
        spec.chats = [("customer", HOLE), ("rep", "Thanks.")]
    elif where == "note":
        spec.notes = [HOLE]
    hole = b"VPN drops" if where == "details" else HOLE.encode()
    head, tail = build_report(spec).split(hole)
    if where == "details":
        head, tail = head + b"VPN ", b" drops" + tail
    with path.open("wb") as out:
        out.write(head)
        chunk = fill * (1 << 20)
        left = size
        while left > 0:
            out.write(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))
        out.write(tail)
    return path.read_bytes()


def _import(fake, body, post_event, capture, run_worker):
    fake.report(LSID, body)
    with capture(execute=True):
        assert post_event(end_event(LSID, TICKET)).status_code == 200
    run_worker()
    return OutboundEvent.objects.get()


def _huge_body(session):
    return (
        SessionEvent.objects.filter(session=session, body__startswith="aaaa")
        .values_list("body", flat=True)
        .get()
    )


@pytest.mark.parametrize("size", [LIMIT + 1, LIMIT - 1], ids=["one-over", "one-under"])
def test_it_imports_a_huge_chat_line_in_full(
    size,
    tmp_path,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident(TICKET)
    body = _write_report(tmp_path / "reply-huge.xml", size)

    event = _import(
        fake, body, post_event, django_capture_on_commit_callbacks, run_worker
    )

    assert event.outcome == "processed"
    session = SupportSession.objects.get(lsid=LSID)
    text = _huge_body(session)
    assert len(text) == size
    assert text.strip("a") == ""
    notes = JournalEntry.objects.filter(element_id=incident.sys_id)
    assert notes.count() == 3
    transcript = notes.get(value__contains="Chat transcript").value
    assert "shortened" in transcript
    assert f"{size + len('Please paste the client log.'):,}" in transcript
    assert "Please paste the client log." in transcript


@pytest.mark.parametrize("where", ["first-chat", "note", "details"])
def test_it_keeps_a_huge_text_in_full_wherever_it_sits(
    where,
    tmp_path,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident(TICKET)
    size = LIMIT + 4096
    body = _write_report(tmp_path / "reply-huge.xml", size, where)

    event = _import(
        fake, body, post_event, django_capture_on_commit_callbacks, run_worker
    )

    assert event.outcome == "processed"
    session = SupportSession.objects.get(lsid=LSID)
    if where == "details":
        text = SessionCustomer.objects.get(session=session).details
        assert text.startswith("VPN ") and text.endswith(" drops")
        assert len(text) == size + len("VPN  drops")
    else:
        assert len(_huge_body(session)) == size
    # Any note carrying the text has it whole, or says it was shortened.
    for note in JournalEntry.objects.filter(element_id=incident.sys_id):
        if "aaaa" in note.value:
            assert "a" * size in note.value or "shortened" in note.value


def test_it_stops_reading_at_the_download_cap_and_ends_too_large(
    tmp_path,
    settings,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident(TICKET)
    settings.INTEGRATION = {**settings.INTEGRATION, "REPORT_MAX_BYTES": 1024 * 1024}
    body = _write_report(tmp_path / "reply-huge.xml", LIMIT + 1)

    event = _import(
        fake, body, post_event, django_capture_on_commit_callbacks, run_worker
    )

    assert event.outcome == "too_large"
    assert "1,048,576" in event.reason
    assert not SupportSession.objects.exists()
    assert SessionEvent.objects.count() == 0
    assert not JournalEntry.objects.filter(element_id=incident.sys_id).exists()
    logged = ApplicationLog.objects.filter(level="ERROR", lsid=LSID).get()
    assert "1,048,576" in logged.message
    assert "REPORT_MAX_BYTES" in logged.message
    assert len(fake.report_calls(LSID)) == 1


@pytest.mark.parametrize("cap_over_body", [1, 0], ids=["just-fits", "one-byte-short"])
def test_it_applies_the_cap_to_the_exact_byte(
    cap_over_body,
    tmp_path,
    settings,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    make_incident(TICKET)
    body = _write_report(tmp_path / "reply.xml", 200_000)
    cap = len(body) - 1 + cap_over_body
    settings.INTEGRATION = {**settings.INTEGRATION, "REPORT_MAX_BYTES": cap}

    event = _import(
        fake, body, post_event, django_capture_on_commit_callbacks, run_worker
    )

    assert event.outcome == ("processed" if cap_over_body else "too_large")


def test_it_imports_a_huge_text_from_a_saved_file(tmp_path, appliance, make_incident):
    make_incident(TICKET)
    path = tmp_path / "reply-huge.xml"
    _write_report(path, LIMIT + 1)

    call_command("import_report", str(path), "--appliance", "Default")

    session = SupportSession.objects.get(lsid=LSID)
    assert len(_huge_body(session)) == LIMIT + 1
