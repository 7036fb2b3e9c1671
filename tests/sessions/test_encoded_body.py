"""F05: text sent base64-encoded in `<encoded_body>` is decoded, cleaned and kept.

The appliance switches to `<encoded_body>` when text holds characters XML cannot
carry. The product decodes it as UTF-8 (invalid bytes become U+FFFD), replaces each
C0 control character except TAB, LF and CR by U+FFFD, flags the event when it
replaced anything, prefers `<body>` when both exist, and never stores empty text.
"""

import base64
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from itsm.models import JournalEntry
from sessions.models import OutboundEvent, SessionEvent, SupportSession
from sessions.report import decode_encoded_body
from tests.reports import ReportSpec, build_report, end_event

LSID = "e512da433387202c46a0e62789f5c2fe"
TICKET = "INC0010085"
FIXTURE = (
    Path(__file__).parent.parent
    / "fixtures"
    / "cases"
    / "F05-encoded-body"
    / "reply.xml"
)
FORBIDDEN_IN_NOTES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
REP = '<performed_by type="representative" gsnumber="2">Marta Kowalczyk</performed_by>'
CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]


def _b64(raw: bytes, wrap: int = 0) -> str:
    text = base64.b64encode(raw).decode()
    if wrap:
        text = "\n".join(text[i : i + wrap] for i in range(0, len(text), wrap))
    return text


@pytest.mark.parametrize("control", CONTROLS, ids=[f"0x{ord(c):02x}" for c in CONTROLS])
@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_it_replaces_each_control_character_wherever_it_sits(control, position):
    text = {
        "start": f"{control}abc",
        "middle": f"ab{control}c",
        "end": f"abc{control}",
    }[position]
    expected = text.replace(control, "\ufffd")

    assert decode_encoded_body(_b64(text.encode())) == (expected, True)


@pytest.mark.parametrize(
    "raw, expected, flagged",
    [
        (
            b"Step 1:\tunplug\r\nStep 2:\nplug in",
            "Step 1:\tunplug\r\nStep 2:\nplug in",
            False,
        ),
        ("Grüße \u2013 Köln 👍".encode(), "Grüße \u2013 Köln 👍", False),
        ("already \ufffd in the text".encode(), "already \ufffd in the text", False),
        (b"caf\xe9 menu", "caf\ufffd menu", True),
        (b"\x80lead", "\ufffdlead", True),
        (b"cut \xe2\x82", "cut \ufffd", True),
        (b"over\xc0\xafong", "over\ufffd\ufffdong", True),
        ("real \ufffd and ".encode() + b"bad \xff", "real \ufffd and bad \ufffd", True),
        (b"\x01\x02", "\ufffd\ufffd", True),
        (b"\x1b[0m\x00\x7f", "\ufffd[0m\ufffd\x7f", True),
    ],
    ids=[
        "tab-cr-lf-kept",
        "multibyte-utf8",
        "literal-replacement-char",
        "latin1-byte",
        "lone-continuation",
        "truncated-sequence",
        "overlong",
        "literal-and-invalid",
        "only-controls",
        "esc-nul-del",
    ],
)
def test_it_decodes_utf8_and_flags_only_what_it_replaced(raw, expected, flagged):
    assert decode_encoded_body(_b64(raw)) == (expected, flagged)


def test_it_reads_base64_broken_over_lines():
    raw = (
        "A long line that the appliance wraps \x07 at seventy-six columns " * 4
    ).encode()

    text, flagged = decode_encoded_body(_b64(raw, wrap=76))

    assert text == raw.decode().replace("\x07", "\ufffd")
    assert flagged


def _chat(timestamp: int, inner: str, who: str = "customer") -> str:
    actor = (
        '<performed_by type="customer" gsnumber="3">Olu Adebayo</performed_by>'
        if who == "customer"
        else REP
    )
    head = f'   <event timestamp="{timestamp}" event_type="Chat Message">'
    return f"{head}{actor}{inner}</event>\n"


def _note(timestamp: int, inner: str) -> str:
    return (
        f'   <event timestamp="{timestamp}" event_type="Session Note Added">{REP}'
        f"{inner}</event>\n"
    )


def _imported_body(timestamp: int) -> SessionEvent:
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return SessionEvent.objects.get(session__lsid=LSID, timestamp=when)


def test_it_imports_encoded_chat_lines_and_notes_cleaned_and_flagged(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident(TICKET)

    def encoded(raw, wrap=0):
        return f"<encoded_body>\n  {_b64(raw, wrap)}\n </encoded_body>"

    extra = [
        _chat(1733240001, encoded(b"Serial \x01 7Q")),
        # Both present and different: the readable <body> wins.
        _chat(
            1733240002,
            "<body>Reboot now?</body>" + encoded(b"Reboot now?\x07"),
            who="rep",
        ),
        _chat(1733240003, encoded(b"\x02\x03\x04")),
        _chat(1733240004, encoded(b"na\xefve", wrap=4)),
        _note(1733240005, encoded(b"Dock firmware\x02 updated")),
    ]
    fake.report(LSID, build_report(ReportSpec(LSID, TICKET, extra_events=extra)))

    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, TICKET))
    run_worker()

    assert OutboundEvent.objects.get().outcome == "processed"
    stored = {ts: _imported_body(ts) for ts in range(1733240001, 1733240006)}
    assert (stored[1733240001].body, stored[1733240001].had_invalid_chars) == (
        "Serial \ufffd 7Q",
        True,
    )
    assert (stored[1733240002].body, stored[1733240002].had_invalid_chars) == (
        "Reboot now?",
        False,
    )
    assert stored[1733240003].body == "\ufffd\ufffd\ufffd"
    assert stored[1733240004].body == "na\ufffdve"
    assert stored[1733240005].body == "Dock firmware\ufffd updated"
    plain = SessionEvent.objects.filter(session__lsid=LSID, event_type="Chat Message")
    assert not plain.filter(body="").exists()
    assert not plain.filter(body__contains="Hello", had_invalid_chars=True).exists()

    notes = JournalEntry.objects.filter(
        element_id=incident.sys_id, element="work_notes"
    )
    assert notes.count() == 4
    transcript = notes.get(value__contains="Chat transcript").value
    assert "Olu Adebayo: Serial \ufffd 7Q" in transcript
    assert "Marta Kowalczyk: Reboot now?" in transcript
    assert "Olu Adebayo: \ufffd\ufffd\ufffd" in transcript
    assert notes.filter(value__contains="Dock firmware\ufffd updated").count() == 1
    assert not any(FORBIDDEN_IN_NOTES.search(note.value) for note in notes)


# The case's report, stored text and flag for each of its eight text events.
CASE_TEXTS = {
    1733239625: ("Could you read me the serial number on the back of the dock?", False),
    1733239660: ("Serial no. 7Q\ufffdX-4410", True),
    1733239695: ("Reboot the dock now?", False),
    1733239735: ("Grüße aus Köln \ufffd[0m \u2013 Dock läuft", True),
    1733239805: ("Step 1:\tunplug dock\r\nStep 2:\ufffdplug back in", True),
    1733239865: ("caf\ufffd menu still open", True),
    1733240405: ("Dock firmware\ufffd updated to 3.1.8", True),
    1733240425: ("\ufffd\ufffd", True),
}


def _assert_case_texts():
    session = SupportSession.objects.get(lsid=LSID)
    assert session.event_count == 12
    for timestamp, (text, flagged) in CASE_TEXTS.items():
        event = _imported_body(timestamp)
        assert (event.body, event.had_invalid_chars) == (text, flagged), timestamp


def test_it_stores_the_case_report_texts_exactly(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident(TICKET)
    fake.report(LSID, FIXTURE.read_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, TICKET))
    run_worker()

    assert OutboundEvent.objects.get().outcome == "processed"
    _assert_case_texts()
    notes = JournalEntry.objects.filter(element_id=incident.sys_id)
    assert notes.count() == 3
    assert not any(FORBIDDEN_IN_NOTES.search(note.value) for note in notes)


def test_it_stores_the_same_texts_from_a_saved_file(appliance, make_incident):
    make_incident(TICKET)

    call_command("import_report", str(FIXTURE), "--appliance", "Default")

    _assert_case_texts()


def test_it_shows_the_cleaned_texts_in_the_admin(
    appliance, make_incident, admin_user, client
):
    make_incident(TICKET)
    call_command("import_report", str(FIXTURE), "--appliance", "Default")
    client.force_login(admin_user)
    session = SupportSession.objects.get(lsid=LSID)
    event = _imported_body(1733239660)

    pages = [
        f"/admin/support_sessions/supportsession/{session.pk}/change/",
        "/admin/support_sessions/sessionevent/",
        f"/admin/support_sessions/sessionevent/{event.pk}/change/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    assert "Serial no. 7Q\ufffdX-4410" in client.get(pages[2]).content.decode()
