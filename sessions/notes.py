"""Work notes for an imported session, each written exactly once.

A journal write cannot be undone and is not idempotent, and reading the journal
back can come up empty although a note exists (rows hidden from the reader). So
the product keeps its own ledger, unique per (session, note kind, source, record):
the ledger decides, never a journal read. The note and its ledger row are written
in one transaction; a row left "in doubt" is resolved by looking for the note's
marker before writing again.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.models import Appliance
from integration import clock
from itsm.models import JournalEntry, NumberedRecord
from itsm.services import add_work_note
from sessions.choices import LedgerStatus, NoteKind
from sessions.models import NoteLedger, SupportSession

logger = logging.getLogger(__name__)

CHAT = "Chat Message"
SESSION_NOTE = "Session Note Added"


@dataclass
class PlannedNote:
    kind: NoteKind
    source: str
    text: str


@dataclass
class NoteResult:
    written: int = 0
    already: int = 0


def marker(lsid: str) -> str:
    """Return the stable marker every note of a session starts with."""
    return f"[bt:{lsid}]"


def plan_notes(session: SupportSession, appliance: Appliance) -> list[PlannedNote]:
    """Return the notes this session should have, by the appliance's settings."""
    selected = set(appliance.events_to_import.values_list("name", flat=True))
    notes: list[PlannedNote] = []
    if appliance.imports_event_type(CHAT, selected):
        transcript = _transcript(session)
        if transcript:
            notes.append(PlannedNote(NoteKind.TRANSCRIPT, "", transcript))
    if appliance.log_session_notes and appliance.imports_event_type(
        SESSION_NOTE, selected
    ):
        notes.extend(_session_notes(session))
    if appliance.log_session_end:
        notes.append(PlannedNote(NoteKind.SESSION_END, "", _end_notice(session)))
    return notes


def write_back(session: SupportSession, records: list[NumberedRecord]) -> NoteResult:
    """Write the session's notes to each linked record that is still open.

    A closed record stays linked but gets no notes, and its state is never
    changed; the log says why.
    """
    for record in records:
        if record.is_closed:
            log_step(
                LogLevel.INFO,
                LogStep.SKIP,
                f"{record.number} is closed; the session is linked but no work notes "
                "are written and its state is left as it is.",
                appliance=session.appliance,
                lsid=session.lsid,
                record=record.number,
            )
    open_records = [record for record in records if not record.is_closed]
    return write_notes(session, open_records, plan_notes(session, session.appliance))


def write_notes(
    session: SupportSession, records: list[NumberedRecord], notes: list[PlannedNote]
) -> NoteResult:
    """Write each planned note to each record once, guarded by the ledger."""
    result = NoteResult()
    for record in records:
        for note in notes:
            if _write_once(session, record, note):
                result.written += 1
            else:
                result.already += 1
    return result


def _write_once(
    session: SupportSession, record: NumberedRecord, note: PlannedNote
) -> bool:
    ledger = _ledger_row(session, record, note)
    with transaction.atomic():
        # The row lock makes two imports of the same session take turns here.
        ledger = NoteLedger.objects.select_for_update().get(pk=ledger.pk)
        if ledger.status == LedgerStatus.POSTED:
            _check_journal(session, record, note, ledger)
            return False

        found = _find_existing(session, record, note)
        entry = found or add_work_note(record, note.text, author="BeyondTrust")
        ledger.status = LedgerStatus.POSTED
        ledger.journal_entry_id = entry.pk
        ledger.posted_at = clock.now()
        ledger.save(update_fields=["status", "journal_entry_id", "posted_at"])
    if found is None:
        log_step(
            LogLevel.INFO,
            LogStep.NOTE,
            f"Wrote the {note.kind.label.lower()} work note to {record.number}.",
            appliance=session.appliance,
            lsid=session.lsid,
            record=record.number,
        )
    return found is None


def _ledger_row(
    session: SupportSession, record: NumberedRecord, note: PlannedNote
) -> NoteLedger:
    key = {
        "session": session,
        "kind": note.kind,
        "source": note.source,
        "target_table": record.table_name,
        "target_sys_id": record.sys_id,
    }
    existing = NoteLedger.objects.filter(**key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return NoteLedger.objects.create(
                **key, target_number=record.number, status=LedgerStatus.IN_DOUBT
            )
    except IntegrityError:
        return NoteLedger.objects.get(**key)


def _note_prefix(session: SupportSession, note: PlannedNote) -> str:
    return f"{marker(session.lsid)} {_title(note)}"


def _title(note: PlannedNote) -> str:
    if note.kind == NoteKind.SESSION_NOTE:
        return f"Session note #{note.source}"
    return str(note.kind.label)


def _find_existing(
    session: SupportSession, record: NumberedRecord, note: PlannedNote
) -> JournalEntry | None:
    return (
        JournalEntry.objects.filter(
            element_id=record.sys_id,
            element="work_notes",
            value__startswith=_note_prefix(session, note),
        )
        .order_by("id")
        .first()
    )


def _check_journal(
    session: SupportSession,
    record: NumberedRecord,
    note: PlannedNote,
    ledger: NoteLedger,
) -> None:
    if _find_existing(session, record, note) is not None:
        return
    # The ledger wins: an empty read may only mean the rows are hidden from us.
    log_step(
        LogLevel.WARNING,
        LogStep.NOTE,
        f"The ledger has the {note.kind.label.lower()} note on {record.number} but "
        f"the journal read returned none; not writing it again.",
        appliance=session.appliance,
        lsid=session.lsid,
        record=record.number,
        ledger_id=ledger.pk,
    )


def _local(session: SupportSession) -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _transcript(session: SupportSession) -> str:
    zone = _local(session)
    lines: list[str] = []
    size = 0
    total_chars = 0
    limit = settings.INTEGRATION["TRANSCRIPT_NOTE_MAX_CHARS"]
    shortened = False
    # Plain tuples, not model objects: a transcript can run to many thousands.
    chats = (
        session.events.filter(event_type=CHAT)
        .order_by("seq")
        .values_list("timestamp", "performed_by", "performed_by_type", "body")
    )
    for when, by, by_type, body in chats.iterator():
        line = _chat_line(when, by or by_type, body, zone)
        total_chars += len(body)
        if size + len(line) > limit:
            shortened = True
            continue
        lines.append(line)
        size += len(line) + 1
    if not lines and not shortened:
        return ""

    header = f"{marker(session.lsid)} {NoteKind.TRANSCRIPT.label}"
    if shortened:
        header += (
            f"\n(transcript shortened: {total_chars:,} characters of chat; the full "
            "text is on the support session)"
        )
    return header + "\n" + "\n".join(lines)


def _chat_line(when: datetime | None, speaker: str, body: str, zone: ZoneInfo) -> str:
    return f"{_stamp(when, zone)} {speaker or 'Unknown'}: {body}"


@lru_cache(maxsize=4096)
def _stamp(when: datetime | None, zone: ZoneInfo) -> str:
    """Format a time in the instance's zone (cached: chat lines share seconds)."""
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if when else "?"


def _session_notes(session: SupportSession) -> list[PlannedNote]:
    zone = _local(session)
    notes = []
    for event in session.events.filter(event_type=SESSION_NOTE).order_by("seq"):
        when = (
            event.timestamp.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
            if event.timestamp
            else "?"
        )
        author = event.performed_by or "representative"
        header = f"{marker(session.lsid)} Session note #{event.seq}"
        body = _shortened(event.body)
        text = f"{header}\n{when} {author}:\n{body}"
        notes.append(PlannedNote(NoteKind.SESSION_NOTE, str(event.seq), text))
    return notes


def _shortened(body: str) -> str:
    """Return `body`, or its start with a visible mark when it is over the limit."""
    limit = settings.INTEGRATION["TRANSCRIPT_NOTE_MAX_CHARS"]
    if len(body) <= limit:
        return body
    return (
        f"{body[:limit]}\n(note shortened: {len(body):,} characters; the full text "
        "is on the support session)"
    )


def _end_notice(session: SupportSession) -> str:
    zone = _local(session)
    start = (
        session.start_time.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
        if session.start_time
        else "?"
    )
    end = (
        session.end_time.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
        if session.end_time
        else "?"
    )
    minutes, seconds = divmod(session.duration_seconds or 0, 60)
    lines = [
        f"{marker(session.lsid)} {NoteKind.SESSION_END.label}",
        f"Remote support session {session.lsid} ended.",
        f"Started {start}, ended {end} ({minutes} min {seconds} s).",
        f"Representative: {session.primary_rep or '-'}; customer: "
        f"{session.primary_customer or '-'}.",
        f"Events: {session.event_count}; "
        f"file transfers: {session.file_transfer_count}.",
    ]
    if session.chat_view_url:
        lines.append(f"Chat transcript on the appliance: {session.chat_view_url}")
    return "\n".join(lines)
