"""F09: a report carrying any DOCTYPE is refused before anything in it is expanded.

The appliance never sends a DOCTYPE. Harmless or not, internal or external, at the
top or behind a long prolog, in UTF-8 or UTF-16: the import ends `parse_error`
with "DTD not allowed", nothing is stored, and no referenced file or URL is read.
Every URL here points at the loopback fake, so a fetch would show in its calls.
"""

import socket

import pytest
from django.core.management import CommandError, call_command

from appliances.models import ApplicationLog
from itsm.models import JournalEntry
from sessions.models import OutboundEvent, SessionCustomer, SessionEvent, SupportSession
from tests.reports import ReportSpec, build_report, end_event

LSID = "ab3e199d25dc891b064724dd6226266f"
TICKET = "INC0010090"
MARKER = "LEAKED-MARKER-7f3a9c51e2"
USE = "ENTITYUSEHERE"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n\n'


@pytest.fixture
def leak_files(tmp_path):
    """A file whose content must never show up, and a DTD that would pull it in."""
    secret = tmp_path / "hostname"
    secret.write_text(MARKER + "\n")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(
        f'<!ENTITY leak SYSTEM "file://{secret}">\n<!ENTITY inline "{MARKER}">\n'
    )
    return {"secret": secret, "dtd": dtd}


@pytest.fixture
def socket_guard(monkeypatch):
    """Record and block every connection that is not to loopback."""
    attempts = []
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"test socket guard: no connection to {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


def _variants(fake, files):
    secret, dtd = files["secret"], files["dtd"]
    return {
        "file-entity": (
            f'<!DOCTYPE session_list [\n <!ENTITY x SYSTEM "file://{secret}">\n]>',
            "&x;",
        ),
        "file-entity-plain-path": (
            f'<!DOCTYPE session_list [<!ENTITY x SYSTEM "{secret}">]>',
            "&x;",
        ),
        "param-entity": (
            "<!DOCTYPE session_list [\n"
            f' <!ENTITY % ext SYSTEM "file://{dtd}">\n %ext;\n]>',
            "&leak; &inline;",
        ),
        "internal-entity": (
            '<!DOCTYPE session_list [<!ENTITY desk "Kestrel desk">]>',
            "&desk;",
        ),
        "entity-expansion": (
            "<!DOCTYPE session_list [\n"
            ' <!ENTITY a "xxxxxxxxxx">\n'
            + "".join(
                f' <!ENTITY {n} "{("&" + p + ";") * 10}">\n'
                for p, n in zip("abcde", "bcdef", strict=True)
            )
            + "]>",
            "&f;",
        ),
        "external-dtd-http": (
            f'<!DOCTYPE session_list SYSTEM "{fake.url}/reporting.dtd">',
            "plain",
        ),
        "external-dtd-public": (
            '<!DOCTYPE session_list PUBLIC "-//BT//Report//EN" '
            f'"{fake.url}/public.dtd">',
            "plain",
        ),
        "external-entity-http": (
            f'<!DOCTYPE session_list [<!ENTITY x SYSTEM "{fake.url}/leak.txt">]>',
            "&x;",
        ),
        "bare-doctype": ("<!DOCTYPE session_list>", "plain"),
        "after-comment-and-pi": (
            '<!-- exported --><?bt note="x"?>\n'
            f'<!DOCTYPE session_list [<!ENTITY x SYSTEM "file://{secret}">]>',
            "&x;",
        ),
        "after-a-long-prolog": (
            "<!--"
            + "p" * 70_000
            + f'-->\n<!DOCTYPE session_list [<!ENTITY x SYSTEM "file://{secret}">]>',
            "&x;",
        ),
    }


def _body(
    doctype: str, use: str, encoding: str = "UTF-8", declaration: bool = True
) -> bytes:
    report = build_report(
        ReportSpec(LSID, TICKET, chats=[("customer", f"Machine name is {USE}")])
    )
    text = report.decode().replace(DECLARATION.decode(), "", 1).replace(USE, use)
    prolog = f'<?xml version="1.0" encoding="{encoding}"?>\n' if declaration else ""
    return (prolog + doctype + "\n" + text).encode(encoding)


def _assert_no_leak(fake, caplog):
    texts = [
        *SessionEvent.objects.values_list("body", flat=True),
        *JournalEntry.objects.values_list("value", flat=True),
        *ApplicationLog.objects.values_list("message", flat=True),
        *(str(d) for d in ApplicationLog.objects.values_list("details", flat=True)),
        *OutboundEvent.objects.values_list("reason", flat=True),
        *(record.getMessage() for record in caplog.records),
        *(str(call.params) + str(call.headers) for call in fake.calls),
    ]
    assert not any(MARKER in text for text in texts)
    for event in OutboundEvent.objects.exclude(reply_raw=None):
        assert MARKER.encode() not in bytes(event.reply_raw)


def _assert_refused(fake, incident):
    event = OutboundEvent.objects.get()
    assert event.outcome == "parse_error"
    assert "DTD" in event.reason
    assert "not allowed" in event.reason
    assert not SupportSession.objects.exists()
    assert SessionEvent.objects.count() == 0
    assert SessionCustomer.objects.count() == 0
    assert not JournalEntry.objects.filter(element_id=incident.sys_id).exists()
    # Only the token and the report itself: no DTD or entity was fetched.
    assert sorted(call.path for call in fake.calls) == [
        "/api/reporting",
        "/oauth2/token",
    ]


VARIANT_NAMES = [
    "file-entity",
    "file-entity-plain-path",
    "param-entity",
    "internal-entity",
    "entity-expansion",
    "external-dtd-http",
    "external-dtd-public",
    "external-entity-http",
    "bare-doctype",
    "after-comment-and-pi",
    "after-a-long-prolog",
]


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_it_refuses_every_report_with_a_doctype_and_reads_nothing_it_names(
    name,
    appliance,
    fake,
    leak_files,
    socket_guard,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    caplog,
):
    incident = make_incident(TICKET)
    doctype, use = _variants(fake, leak_files)[name]
    fake.report(LSID, _body(doctype, use))

    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, TICKET))
    run_worker()

    _assert_refused(fake, incident)
    _assert_no_leak(fake, caplog)
    assert socket_guard == []


@pytest.mark.parametrize(
    "encoding, declaration",
    [("UTF-16", True), ("UTF-16", False), ("UTF-8-SIG", False)],
    ids=["utf16-declared", "utf16-bom-only", "utf8-bom"],
)
def test_it_refuses_a_doctype_in_any_encoding(
    encoding,
    declaration,
    appliance,
    fake,
    leak_files,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    caplog,
):
    incident = make_incident(TICKET)
    doctype, use = _variants(fake, leak_files)["file-entity"]
    body = _body(doctype, use, "UTF-8", declaration).decode()
    if declaration:
        body = body.replace('encoding="UTF-8"', f'encoding="{encoding}"')
    fake.report(LSID, body.encode(encoding))

    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, TICKET))
    run_worker()

    _assert_refused(fake, incident)
    _assert_no_leak(fake, caplog)


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_it_refuses_a_saved_file_with_a_doctype(
    name, appliance, fake, leak_files, tmp_path, caplog
):
    doctype, use = _variants(fake, leak_files)[name]
    path = tmp_path / "report.xml"
    path.write_bytes(_body(doctype, use))

    with pytest.raises(CommandError) as refused:
        call_command("import_report", str(path), "--appliance", "Default")

    assert "DTD not allowed" in str(refused.value)
    assert MARKER not in str(refused.value)
    assert not SupportSession.objects.exists()
    assert SessionEvent.objects.count() == 0
    assert fake.calls == []
