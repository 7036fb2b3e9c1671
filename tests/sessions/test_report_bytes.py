"""F07 (report part): replies are parsed from their bytes, whatever the charset says.

The document's own encoding declaration decides; the `Content-Type` charset (or a
library's ISO-8859-1 guess when it is missing) never does, so non-ASCII text is
stored code point for code point and no mojibake reaches a record or note.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from appliances.xml import XmlParseError, parse_bytes
from itsm.models import JournalEntry
from sessions.models import OutboundEvent, SessionEvent, SupportSession
from tests.fakes import Answer
from tests.reports import ReportSpec, build_report, end_event

FIXTURE = (
    Path(__file__).parent.parent
    / "fixtures"
    / "cases"
    / "F07-text-vs-bytes"
    / "reply-report.xml"
)
CASE_LSID = "887e01ce1c8c4661152920c46864c5dd"
CASE_TICKET = "INC0010088"
LSID = "5c3b0e9f4a2d4e71b8c6d1a0f9e8d7c6"
TICKET = "INC0010188"
CONTENT_TYPES = {
    "utf8-charset": "text/xml; charset=UTF-8",
    "no-charset": "text/xml",
    "wrong-charset": "text/xml; charset=ISO-8859-1",
    "application-xml": "application/xml",
    "octet-stream": "application/octet-stream",
}
MOJIBAKE = ("Ã«", "Ã…", "Ã¶", "Ã©", "Ã¼", "ðŸ")
CUSTOMER = "Zoë Ångström"
CHATS = [
    ("rep", "Hola Zoë, soy Tomás. Überprüfe gerade den Druckertreiber…"),
    ("customer", "Merci ! Ça marche 👍"),
    ("customer", "日本語のテキスト、そして 𝄞 と emoji 🙂"),
]
NOTE = (
    "Treiber neu installiert; Größe der Warteschlange geleert (naïve fix, aber stabil)."
)


def _report(encoding: str) -> bytes:
    """Our own report, with non-ASCII names, written in `encoding`."""
    text = build_report(ReportSpec(LSID, TICKET, chats=CHATS, notes=[NOTE])).decode(
        "utf-8"
    )
    text = text.replace("Olu Adebayo", CUSTOMER).replace(
        "Kestrel Example Ltd", "Société Exemple SàRL"
    )
    text = text.replace('encoding="UTF-8"', f'encoding="{encoding}"')
    if encoding.upper() == "ISO-8859-1":
        # Latin-1 cannot carry the emoji or CJK lines; keep those as references.
        return text.encode("latin-1", errors="xmlcharrefreplace")
    return text.encode(encoding)


def _import(fake, post_event, capture, run_worker, lsid, ticket, body, content_type):
    fake.default(f"report:{lsid}", Answer(200, body, {"Content-Type": content_type}))
    with capture(execute=True):
        assert post_event(end_event(lsid, ticket)).status_code == 200
    run_worker()


def _assert_no_mojibake(incident):
    values = [
        *SessionEvent.objects.values_list("body", flat=True),
        *JournalEntry.objects.filter(element_id=incident.sys_id).values_list(
            "value", flat=True
        ),
        *SupportSession.objects.values_list("primary_customer", flat=True),
    ]
    for value in values:
        assert not any(bad in value for bad in MOJIBAKE), value


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1", "UTF-16"])
@pytest.mark.parametrize(
    "content_type", CONTENT_TYPES.values(), ids=CONTENT_TYPES.keys()
)
def test_it_stores_non_ascii_text_exactly_whatever_the_content_type_says(
    content_type,
    encoding,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident(TICKET)

    _import(
        fake,
        post_event,
        django_capture_on_commit_callbacks,
        run_worker,
        LSID,
        TICKET,
        _report(encoding),
        content_type,
    )

    assert OutboundEvent.objects.get().outcome == "processed"
    session = SupportSession.objects.get(lsid=LSID)
    assert session.primary_customer == CUSTOMER
    customer = session.customers.get()
    assert (customer.name, customer.company) == (CUSTOMER, "Société Exemple SàRL")
    chats = list(
        session.events.filter(event_type="Chat Message")
        .order_by("seq")
        .values_list("body", flat=True)
    )
    assert chats == [text for _who, text in CHATS]
    assert session.events.get(event_type="Session Note Added").body == NOTE
    transcript = JournalEntry.objects.get(
        element_id=incident.sys_id, value__contains="Chat transcript"
    )
    for _who, text in CHATS:
        assert text in transcript.value
    _assert_no_mojibake(incident)


@pytest.mark.parametrize(
    "content_type", CONTENT_TYPES.values(), ids=CONTENT_TYPES.keys()
)
def test_it_stores_the_case_report_code_point_for_code_point(
    content_type,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident(CASE_TICKET)

    _import(
        fake,
        post_event,
        django_capture_on_commit_callbacks,
        run_worker,
        CASE_LSID,
        CASE_TICKET,
        FIXTURE.read_bytes(),
        content_type,
    )

    assert OutboundEvent.objects.get().outcome == "processed"
    session = SupportSession.objects.get(lsid=CASE_LSID)
    assert session.event_count == 7
    assert session.primary_customer == "Zoë Ångström"
    assert session.public_site == "Support Süd"
    customer = session.customers.get()
    assert (customer.name, customer.company) == ("Zoë Ångström", "Société Exemple SàRL")
    assert session.reps.get().display_name == "Tomás Ibarra"

    def body_at(timestamp):
        return session.events.get(
            timestamp=datetime.fromtimestamp(timestamp, tz=UTC)
        ).body

    assert body_at(1733239655) == "Merci ! Ça marche 👍"
    assert (
        body_at(1733239620)
        == "Hola Zoë, soy Tomás. Überprüfe gerade den Druckertreiber…"
    )
    assert body_at(1733240415) == NOTE
    notes = JournalEntry.objects.filter(element_id=incident.sys_id)
    assert notes.count() == 3
    assert notes.filter(value__contains="Merci ! Ça marche 👍").count() == 1
    assert notes.filter(value__contains=NOTE).count() == 1
    _assert_no_mojibake(incident)


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1"])
def test_it_reads_text_holding_a_declaration_like_bytes_or_asks_for_bytes(
    encoding,
):
    body = _report(encoding)

    try:
        from_text = parse_bytes(body.decode(encoding))
    except TypeError as exc:
        assert "bytes" in str(exc)
    except ValueError as exc:  # the low-level lxml refusal must not leave
        pytest.fail(f"parse_bytes let a ValueError out: {exc}")
    else:
        from_bytes = parse_bytes(body)
        assert [e.text for e in from_text.iter()] == [e.text for e in from_bytes.iter()]


def test_it_reports_bytes_that_do_not_match_their_declaration_as_a_parse_error():
    # UTF-8 bytes declared as UTF-16 cannot be read; no guess is made.
    body = _report("UTF-8").replace(b'encoding="UTF-8"', b'encoding="UTF-16"')

    with pytest.raises(XmlParseError):
        parse_bytes(body)
