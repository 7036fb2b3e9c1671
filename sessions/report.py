"""Streaming reader for `SupportSession` reports.

The report is read from a file as a stream: header fields and participants are
collected per session (they are few), events are yielded one at a time and
cleared, so memory does not grow with the report. Names are matched on their
local part; the namespace differs by product and version.
"""

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import IO, Any

from lxml import etree

from appliances.xml import iterparse_file, local_name

# XML 1.0 cannot carry these; TAB, LF and CR are kept.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_INT_RE = re.compile(r"^-?[0-9]{1,19}$", re.ASCII)
# Largest values of the integer and bigint columns (PostgreSQL int4 and int8).
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
_SCALARS = {
    "session_type",
    "lseq",
    "duration",
    "external_key",
    "session_chat_view_url",
    "session_chat_download_url",
    "session_recording_view_url",
    "session_recording_download_url",
    "file_transfer_count",
    "file_move_count",
    "file_delete_count",
}
_CUSTOMER_FIELDS = ("username", "public_ip", "private_ip", "hostname", "os")
_CUSTOMER_INFO = ("name", "company", "company_code", "issue", "details")
_REP_FIELDS = (
    "username",
    "display_name",
    "public_display_name",
    "private_display_name",
    "public_ip",
    "private_ip",
    "hostname",
    "os",
)


@dataclass
class SessionHead:
    lsid: str
    fields: dict[str, str] = field(default_factory=dict)
    start_ts: int | None = None
    end_ts: int | None = None
    public_site_id: str = ""
    primary_customer: tuple[str, str] = ("", "")
    primary_rep: tuple[str, str, str] = ("", "", "")
    customers: list[dict[str, Any]] = field(default_factory=list)
    reps: list[dict[str, Any]] = field(default_factory=list)
    custom_attributes: list[tuple[str, str, str]] = field(default_factory=list)
    teams: list[tuple[str, str]] = field(default_factory=list)
    recordings: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Say whether the report is final: it has an end time."""
        return self.end_ts is not None

    def custom(self, code_name: str) -> str:
        for code, _display, value in self.custom_attributes:
            if code == code_name:
                return value
        return ""


@dataclass
class ParsedEvent:
    seq: int
    event_type: str
    timestamp: int | None
    performed_by: tuple[str, str, str] = ("", "", "")
    destination: tuple[str, str, str] = ("", "", "")
    body: str = ""
    had_invalid_chars: bool = False
    filename: str = ""
    filesize: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class SessionDone:
    lsid: str
    event_count: int


@dataclass
class ReportError:
    """An `<error>` was the root or a child of the list root, or the list was empty."""

    root: str
    code: str
    text: str
    empty_list: bool = False


ReportItem = SessionHead | ParsedEvent | SessionDone | ReportError


def clean_text(text: str) -> tuple[str, bool]:
    """Replace characters XML cannot carry by U+FFFD; say whether any were."""
    cleaned, count = _CONTROL_RE.subn("\ufffd", text)
    return cleaned, count > 0


def decode_encoded_body(value: str) -> tuple[str, bool]:
    """Decode a base64 `<encoded_body>` as UTF-8, replacing what is not valid."""
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return "\ufffd", True
    # Decode strictly first: a U+FFFD already in the text is data, so counting
    # replacement characters afterwards cannot tell whether we replaced any.
    try:
        text, replaced = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        text, replaced = raw.decode("utf-8", errors="replace"), True
    cleaned, had_control = clean_text(text)
    return cleaned, replaced or had_control


def parse_int(text: str, limit: int = INT_MAX, signed: bool = False) -> int | None:
    """Return ASCII decimal text as an int within the column's range, else None.

    str.isdigit() accepts "²" (int() then raises) and any length (the column
    overflows): either would crash the import, which the sweeper then repeats.
    """
    value = text.strip()
    if not _INT_RE.match(value) or (value.startswith("-") and not signed):
        return None
    number = int(value)
    return number if -limit <= number <= limit else None


def _timestamp(element: etree._Element | None) -> int | None:
    if element is None:
        return None
    return _timestamp_value(element.get("timestamp") or element.get("ts") or "")


@lru_cache(maxsize=4096)
def _timestamp_value(value: str) -> int | None:
    number = parse_int(value, BIGINT_MAX, signed=True)
    # A time no datetime can hold (past the year 9999) is as good as none.
    return number if number is not None and _datetime(number) is not None else None


@lru_cache(maxsize=4096)
def _datetime(timestamp: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def to_datetime(timestamp: int | None) -> datetime | None:
    return None if timestamp is None else _datetime(timestamp)


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return (element.text or "").strip()


def _children(element: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for item in element:
        found.setdefault(local_name(item.tag), item)
    return found


_TAGS = ("{*}session", "{*}event", "{*}error")


def read_report(stream: IO[bytes], with_events: bool = True) -> Iterator[ReportItem]:
    """Yield the report's sessions as head, events and done markers, in order.

    Without `with_events` events are only counted (a cheap checking pass).
    Raises appliances.xml.XmlParseError or XmlRefused on a broken or refused document.
    """
    reader = _Reader(with_events)
    for event, element in iterparse_file(stream, _TAGS, events=("end",)):
        yield from reader.feed(event, element)


class _Reader:
    """Turn the filtered parse events into report items.

    Only the ends of sessions, events and errors raise parse events (one per
    event keeps the per-event cost low). A session's header is read from its
    finished children when its first event ends, or when the session ends.
    """

    def __init__(self, with_events: bool = True) -> None:
        self.with_events = with_events
        self.sessions = 0
        self.head: SessionHead | None = None
        # The current session's <session_details>; kept referenced so lxml hands
        # back the same proxy and an identity check recognises it.
        self.details: etree._Element | None = None
        self.events = 0

    def feed(self, event: str, element: Any) -> Iterator[ReportItem]:
        if event == "done":
            yield from self._root_end(element)
            return

        parent = element.getparent()
        if parent is not None and parent is self.details:
            yield from self._event_end(element)
            return
        name = local_name(element.tag)
        if name == "event" and parent is not None and _is(parent, "session_details"):
            yield from self._first_event(parent)
            yield from self._event_end(element)
        elif name == "session":
            yield from self._session_end(element)
        elif name == "error" and (parent is None or parent.getparent() is None):
            yield ReportError(
                local_name(element.getroottree().getroot().tag),
                element.get("code", ""),
                element.text or "",
            )

    def _first_event(self, details: etree._Element) -> Iterator[ReportItem]:
        session = details.getparent()
        if session is None or not _is(session, "session"):
            return
        yield self._open(session)
        self.details = details

    def _open(self, session: etree._Element) -> SessionHead:
        self.head = SessionHead(lsid=(session.get("lsid") or "").strip().lower())
        self.events = 0
        self._read_header(session)
        return self.head

    def _event_end(self, element: etree._Element) -> Iterator[ReportItem]:
        if self.head is None:
            return
        if self.with_events:
            yield self._event(element)
        else:
            self.events += 1
        _release(element)

    def _read_header(self, session: etree._Element | None) -> None:
        if session is None or self.head is None:
            return
        for item in list(session):
            name = local_name(item.tag)
            if name == "session_details":
                continue
            self._header_child(name, item)
            session.remove(item)

    def _session_end(self, element: etree._Element) -> Iterator[ReportItem]:
        if self.details is None or self.details.getparent() is not element:
            yield self._open(element)
        else:
            self._read_header(element)
        assert self.head is not None
        self.sessions += 1
        yield SessionDone(self.head.lsid, self.events)
        self.head = None
        self.details = None
        _release(element)

    def _root_end(self, root: etree._Element | None) -> Iterator[ReportItem]:
        if root is None:
            return
        name = local_name(root.tag)
        if self.sessions == 0 and name != "error":
            yield ReportError(name, "", "", empty_list=True)

    def _header_child(self, name: str, element: etree._Element) -> None:
        head = self.head
        assert head is not None
        if name in _SCALARS:
            head.fields[name] = _text(element)
        elif name == "start_time":
            head.start_ts = _timestamp(element)
        elif name == "end_time":
            head.end_ts = _timestamp(element)
        elif name == "public_site":
            head.public_site_id = element.get("id", "")
            head.fields["public_site"] = _text(element)
        elif name == "jump_group":
            head.fields["jump_group"] = _text(element)
        elif name == "primary_customer":
            head.primary_customer = (_text(element), element.get("gsnumber", ""))
        elif name == "primary_rep":
            head.primary_rep = (
                _text(element),
                element.get("gsnumber", ""),
                element.get("id", ""),
            )
        else:
            self._header_list(name, element, head)

    def _header_list(
        self, name: str, element: etree._Element, head: SessionHead
    ) -> None:
        if name == "customer_list":
            head.customers = [
                _customer(item) for item in element if _is(item, "customer")
            ]
        elif name == "rep_list":
            head.reps = [_rep(item) for item in element if _is(item, "representative")]
        elif name == "custom_attributes":
            head.custom_attributes = [
                (
                    item.get("code_name", "").strip(),
                    item.get("display_name", ""),
                    _text(item),
                )
                for item in element
                if _is(item, "custom_attribute")
            ]
        elif name == "team_list":
            head.teams = [
                (item.get("id", ""), _text(_children(item).get("name")) or _text(item))
                for item in element
                if _is(item, "team")
            ]
        elif name == "command_shell_recordings":
            for item in element:
                parts = _children(item)
                head.recordings.append(
                    (
                        "command_shell",
                        item.get("instance", ""),
                        _text(parts.get("view_url")),
                        _text(parts.get("download_url")),
                    )
                )

    def _event(self, element: etree._Element) -> ParsedEvent:
        parts = _children(element)
        parsed = ParsedEvent(
            seq=self.events,
            event_type=element.get("event_type", "").strip(),
            timestamp=_timestamp(element),
            performed_by=_actor(parts.get("performed_by")),
            destination=_actor(parts.get("destination")),
        )
        self.events += 1
        _event_text(parsed, parts)
        _event_files(parsed, parts)
        _event_data(parsed, parts)
        return parsed


def _is(element: etree._Element, name: str) -> bool:
    return local_name(element.tag) == name


def _release(element: etree._Element) -> None:
    element.clear()
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


def _actor(element: etree._Element | None) -> tuple[str, str, str]:
    if element is None:
        return ("", "", "")
    return (element.get("type", ""), element.get("gsnumber", ""), _text(element))


def _event_text(parsed: ParsedEvent, parts: dict[str, etree._Element]) -> None:
    body = parts.get("body")
    encoded = parts.get("encoded_body")
    if body is not None and (body.text or "").strip():
        parsed.body, parsed.had_invalid_chars = clean_text(body.text or "")
    elif encoded is not None and (encoded.text or "").strip():
        parsed.body, parsed.had_invalid_chars = decode_encoded_body(encoded.text or "")


def _event_files(parsed: ParsedEvent, parts: dict[str, etree._Element]) -> None:
    if "filename" in parts:
        parsed.filename = _text(parts["filename"])
    if "filesize" in parts:
        parsed.filesize = parse_int(_text(parts["filesize"]), BIGINT_MAX)
    files = parts.get("files")
    if files is not None:
        parsed.data["files"] = [
            {
                "filename": _text(_children(f).get("filename")),
                "filesize": _text(_children(f).get("filesize")),
            }
            for f in files
            if _is(f, "file")
        ]


def _event_data(parsed: ParsedEvent, parts: dict[str, etree._Element]) -> None:
    data = parts.get("data")
    if data is not None:
        parsed.data["values"] = {
            item.get("name", ""): item.get("value", _text(item))
            for item in data
            if _is(item, "value")
        }
    info = parts.get("system_information")
    if info is not None:
        parsed.data["system_information"] = [_category(item) for item in info]


def _category(element: etree._Element) -> dict[str, Any]:
    parts = _children(element)
    rows: list[dict[str, str]] = []
    data = parts.get("data")
    if data is not None:
        for row in data:
            rows.append(
                {
                    item.get("name") or item.get("id") or "": _text(item)
                    for item in row
                    if _is(item, "field")
                }
            )
    return {"name": element.get("name", ""), "rows": rows}


def _customer(element: etree._Element) -> dict[str, Any]:
    parts = _children(element)
    info = _children(parts["info"]) if "info" in parts else {}
    row: dict[str, Any] = {"gsnumber": element.get("gsnumber", "")}
    row.update({name: _text(parts.get(name)) for name in _CUSTOMER_FIELDS})
    row.update({name: _text(info.get(name)) for name in _CUSTOMER_INFO})
    row["primary"] = _text(parts.get("primary_cust")) == "1"
    return row


def _rep(element: etree._Element) -> dict[str, Any]:
    parts = _children(element)
    row: dict[str, Any] = {
        "gsnumber": element.get("gsnumber", ""),
        "rep_id": element.get("id", ""),
    }
    row.update({name: _text(parts.get(name)) for name in _REP_FIELDS})
    owner = _text(parts.get("session_owner")) or _text(parts.get("primary_rep"))
    row["session_owner"] = owner == "1"
    seconds = _text(parts.get("seconds_involved"))
    row["seconds_involved"] = parse_int(seconds)
    row["invited"] = _text(parts.get("invited")) == "1"
    return row
