"""Store a `SupportSession` report: the session and its related lists, upserted by
natural keys so an import can run any number of times.

A report is read twice as a stream: the first pass checks the whole document and
collects what decides the import (errors, end time, links), so a broken report
writes nothing; the second pass writes, in batches that each commit on their own.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import models, transaction

from appliances.models import Appliance, EventType
from sessions.bulk import event_row, upsert_events
from sessions.linking import Links
from sessions.models import (
    SessionCustomAttribute,
    SessionCustomer,
    SessionEvent,
    SessionRecording,
    SessionRep,
    SessionTeam,
    SupportSession,
)
from sessions.report import (
    INT_MAX,
    ParsedEvent,
    ReportError,
    SessionDone,
    SessionHead,
    parse_int,
    read_report,
    to_datetime,
)

logger = logging.getLogger(__name__)

BATCH = 5000


@dataclass
class ScanResult:
    heads: list[SessionHead] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)
    error: ReportError | None = None

    def head_for(self, lsid: str) -> SessionHead | None:
        return next((head for head in self.heads if head.lsid == lsid), None)


def scan(stream: IO[bytes]) -> ScanResult:
    """Read the whole report once, writing nothing, and say what it holds.

    Raises XmlParseError or XmlRefused for a document that cannot be used.
    """
    result = ScanResult()
    for item in read_report(stream, with_events=False):
        if isinstance(item, SessionHead):
            result.heads.append(item)
        elif isinstance(item, SessionDone):
            result.events[item.lsid] = item.event_count
        elif isinstance(item, ReportError) and result.error is None:
            result.error = item
    stream.seek(0)
    return result


def store(
    appliance: Appliance, stream: IO[bytes], wanted: dict[str, Links]
) -> dict[str, SupportSession]:
    """Write the sessions whose lsid is in `wanted`, linked as given."""
    writer = _Writer(appliance, wanted)
    for item in read_report(stream):
        writer.feed(item)
    writer.finish()
    return writer.stored


class _Writer:
    def __init__(self, appliance: Appliance, wanted: dict[str, Links]) -> None:
        self.appliance = appliance
        self.wanted = wanted
        self.selected = set(appliance.events_to_import.values_list("name", flat=True))
        self.stored: dict[str, SupportSession] = {}
        self.session: SupportSession | None = None
        self.buffer: list[tuple[Any, ...]] = []
        self.event_types: set[str] = set()
        self._selected: dict[str, bool] = {}
        self.fresh = False
        self.complete = False

    def feed(self, item: object) -> None:
        if isinstance(item, SessionHead):
            self._head(item)
        elif isinstance(item, ParsedEvent) and self.session is not None:
            self.buffer.append(self._event(item))
            if len(self.buffer) >= BATCH:
                self._flush()
        elif isinstance(item, SessionDone) and self.session is not None:
            self._flush()
            self._done(item)

    def finish(self) -> None:
        known = set(EventType.objects.values_list("name", flat=True))
        new = [EventType(name=name) for name in self.event_types - known if name]
        EventType.objects.bulk_create(new, ignore_conflicts=True)

    def _head(self, head: SessionHead) -> None:
        links = self.wanted.get(head.lsid)
        if links is None:
            self.session = None
            return
        with transaction.atomic():
            self.session = _upsert_session(self.appliance, head, links)
            _upsert_related(self.session, head)
        self.complete = head.complete
        # A session with no events yet takes plain inserts; a re-fetch upserts.
        self.fresh = not SessionEvent.objects.filter(session=self.session).exists()
        self.stored[head.lsid] = self.session

    def _event(self, item: ParsedEvent) -> tuple[Any, ...]:
        assert self.session is not None
        # Clipped as its column is, so the event and its EventType agree.
        event_type = item.event_type[: EventType._meta.get_field("name").max_length]
        self.event_types.add(event_type)
        selected = self._selected.get(event_type)
        if selected is None:
            selected = self.appliance.imports_event_type(event_type, self.selected)
            self._selected[event_type] = selected
        return event_row(
            self.session.pk,
            item.seq,
            event_type,
            to_datetime(item.timestamp),
            item.performed_by,
            item.destination,
            item.body,
            item.had_invalid_chars,
            item.filename,
            item.filesize,
            item.data,
            selected,
        )

    def _flush(self) -> None:
        if not self.buffer:
            return
        with transaction.atomic():
            upsert_events(self.buffer, fresh=self.fresh)
        self.buffer = []

    def _done(self, item: SessionDone) -> None:
        session = self.session
        assert session is not None
        with transaction.atomic():
            # A later report never has fewer events; drop any a re-fetch no
            # longer reports so the list matches the appliance exactly.
            SessionEvent.objects.filter(
                session=session, seq__gte=item.event_count
            ).delete()
            session.event_count = item.event_count
            session.report_complete = self.complete
            session.save(update_fields=["event_count", "report_complete", "updated_at"])
        self.session = None


def _int(value: str) -> int:
    return parse_int(value) or 0


def duration_seconds(text: str, head: SessionHead) -> int | None:
    """Return the duration from HH:MM:SS, else from the start and end times."""
    parts = [parse_int(part) for part in text.split(":")]
    if len(parts) == 3 and None not in parts:
        hours, minutes, seconds = (part or 0 for part in parts)
        return _in_int_range(hours * 3600 + minutes * 60 + seconds)
    if head.start_ts is not None and head.end_ts is not None:
        return _in_int_range(head.end_ts - head.start_ts)
    return None


def _in_int_range(value: int) -> int | None:
    return value if -INT_MAX <= value <= INT_MAX else None


def _fit(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """Clip text to its column, in place. PostgreSQL refuses a longer value
    (SQLite does not), and the import would then fail alike on every retry; a
    URL cut short would mislead, so one that does not fit is left out."""
    for f in model._meta.concrete_fields:
        value = values.get(f.attname)
        limit = getattr(f, "max_length", None)
        if not isinstance(f, models.CharField) or not isinstance(value, str):
            continue
        if limit and len(value) > limit:
            values[f.attname] = "" if isinstance(f, models.URLField) else value[:limit]
    return values


def _fit_row(row: Any) -> Any:
    _fit(type(row), vars(row))
    return row


def _upsert_session(
    appliance: Appliance, head: SessionHead, links: Links
) -> SupportSession:
    f = head.fields
    values: dict[str, Any] = {
        "session_type": f.get("session_type", ""),
        "lseq": parse_int(f.get("lseq", "")),
        "start_time": to_datetime(head.start_ts),
        "end_time": to_datetime(head.end_ts),
        "duration_seconds": duration_seconds(f.get("duration", ""), head),
        "public_site_id": head.public_site_id,
        "public_site": f.get("public_site", ""),
        "jump_group": f.get("jump_group", ""),
        "external_key": f.get("external_key", ""),
        "primary_customer": head.primary_customer[0],
        "primary_customer_gsnumber": head.primary_customer[1],
        "primary_rep": head.primary_rep[0],
        "primary_rep_gsnumber": head.primary_rep[1],
        "primary_rep_id": head.primary_rep[2],
        "chat_view_url": f.get("session_chat_view_url", ""),
        "chat_download_url": f.get("session_chat_download_url", ""),
        "file_transfer_count": _int(f.get("file_transfer_count", "")),
        "file_move_count": _int(f.get("file_move_count", "")),
        "file_delete_count": _int(f.get("file_delete_count", "")),
        # Marked complete only once every event is written (see _done): a worker
        # killed part-way must not leave a session that looks finished.
        "report_complete": False,
        "task": links.task,
        "call": links.call,
        "interaction": links.interaction,
        "configuration_item": links.configuration_item,
        "link_source": links.source,
        "link_note": links.note[:300],
    }
    if head.complete:
        values["incomplete"] = False
    session, _ = SupportSession.objects.select_for_update().update_or_create(
        appliance=appliance, lsid=head.lsid, defaults=_fit(SupportSession, values)
    )
    SupportSession.objects.filter(pk=session.pk).update(
        import_count=session.import_count + 1
    )
    return session


def _participant_key(row: dict[str, Any], position: int) -> str:
    if row.get("gsnumber"):
        return f"gs:{row['gsnumber']}"
    for name in (
        "rep_id",
        "username",
        "name",
        "display_name",
        "hostname",
        "private_ip",
    ):
        if row.get(name):
            return f"{name}:{row[name]}"[:200]
    return f"pos:{position}"


def _upsert_related(session: SupportSession, head: SessionHead) -> None:
    _upsert(SessionRep, session, list(_reps(session, head.reps)), ["natural_key"])
    _upsert(SessionCustomer, session, _customers(session, head), ["natural_key"])
    _upsert(
        SessionCustomAttribute,
        session,
        [
            SessionCustomAttribute(
                session=session, code_name=code, display_name=display, value=value
            )
            for code, display, value in head.custom_attributes
            if code
        ],
        ["code_name"],
    )
    _upsert(SessionTeam, session, _teams(session, head), ["natural_key"])
    _upsert(SessionRecording, session, _recordings(session, head), ["kind", "instance"])


def _upsert(
    model: Any, session: SupportSession, rows: list[Any], keys: list[str]
) -> None:
    if not rows:
        return
    fields = [
        f.name
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in {"session", *keys}
    ]
    model.objects.bulk_create(
        _unique((_fit_row(row) for row in rows), keys),
        update_conflicts=True,
        unique_fields=["session", *keys],
        update_fields=fields,
    )


def _unique(rows: Iterable[Any], keys: list[str]) -> list[Any]:
    seen: dict[tuple[Any, ...], Any] = {}
    for row in rows:
        seen[tuple(getattr(row, key) for key in keys)] = row
    return list(seen.values())


def _reps(session: SupportSession, reps: list[dict[str, Any]]) -> Iterator[SessionRep]:
    for position, row in enumerate(reps):
        yield SessionRep(
            session=session,
            natural_key=_participant_key(row, position),
            **{
                k: v for k, v in row.items() if k != "seconds_involved" or v is not None
            },
        )


def _customers(session: SupportSession, head: SessionHead) -> list[SessionCustomer]:
    rows = list(head.customers)
    if not rows and head.primary_customer[0]:
        rows = [
            {"gsnumber": head.primary_customer[1], "name": head.primary_customer[0]}
        ]
    primary_gsnumber = head.primary_customer[1]
    for row in rows:
        # Older reports mark the primary customer only by primary_customer's gsnumber.
        row["primary"] = row.get("primary") or (
            bool(primary_gsnumber) and row.get("gsnumber") == primary_gsnumber
        )
    return [
        SessionCustomer(
            session=session, natural_key=_participant_key(row, position), **row
        )
        for position, row in enumerate(rows)
    ]


def _teams(session: SupportSession, head: SessionHead) -> list[SessionTeam]:
    return [
        SessionTeam(
            session=session,
            natural_key=f"id:{team_id}" if team_id else f"name:{name}"[:200],
            team_id=team_id,
            name=name,
        )
        for team_id, name in head.teams
    ]


def _recordings(session: SupportSession, head: SessionHead) -> list[SessionRecording]:
    rows = [
        SessionRecording(
            session=session,
            kind=kind,
            instance=instance,
            view_url=view,
            download_url=dl,
        )
        for kind, instance, view, dl in head.recordings
    ]
    view = head.fields.get("session_recording_view_url", "")
    download = head.fields.get("session_recording_download_url", "")
    if view or download:
        rows.append(
            SessionRecording(
                session=session,
                kind="session",
                instance="",
                view_url=view,
                download_url=download,
            )
        )
    return rows
