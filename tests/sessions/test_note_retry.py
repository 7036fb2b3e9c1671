"""A work note that was written is never written again when the import is retried,
whichever step fails after it, or when the report is re-fetched (F21)."""

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, OperationalError
from django.test import Client

from integration import clock
from itsm.models import JournalEntry
from sessions import notes, services
from sessions.choices import LedgerStatus, NoteKind
from sessions.models import NoteLedger, OutboundEvent, SupportSession
from tests.reports import ReportSpec, build_report, end_event

LSID = "b0dd68c4ed9ef2a9afc0f1495d2af534"
SYS_ID = "14276f5f3422d6feac0a22d7f4bbb087"


@pytest.fixture
def incident(make_incident):
    incident = make_incident("INC0010099")
    type(incident).objects.filter(pk=incident.pk).update(sys_id=SYS_ID)
    incident.refresh_from_db()
    return incident


def _work_notes(incident) -> list[str]:
    return list(
        JournalEntry.objects.filter(
            name="incident",
            element="work_notes",
            element_id=incident.sys_id,
            value__startswith=f"[bt:{LSID}]",
        ).values_list("value", flat=True)
    )


def _fail_once_after_note(
    monkeypatch: pytest.MonkeyPatch, nth: int, error: Exception
) -> None:
    """Fail the step right after the nth note is committed, once."""
    log_step = notes.log_step
    written = {"count": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        written["count"] += 1
        if written["count"] == nth:
            raise error
        return log_step(*args, **kwargs)

    monkeypatch.setattr(notes, "log_step", failing)


@pytest.mark.parametrize(
    ("nth", "error", "then"),
    [
        (1, OperationalError("database is locked"), "retry_wait"),
        (2, IntegrityError("connection lost"), "retry_wait"),
        (4, TimeoutError("timed out"), "fetching"),
    ],
)
def test_it_writes_each_note_once_when_the_import_fails_right_after_a_note(
    nth,
    error,
    then,
    appliance,
    fake,
    incident,
    post_event,
    run_worker,
    monkeypatch,
    settings,
    django_capture_on_commit_callbacks,
):
    spec = ReportSpec(
        LSID, "INC0010099", notes=["Reinstalled the VPN client.", "Asked to reboot."]
    )
    fake.report(LSID, build_report(spec))
    _fail_once_after_note(monkeypatch, nth, error)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, "INC0010099"))

    # A TimeoutError fails the task; its claim lapses and the sweeper finds it.
    with contextlib.suppress(TimeoutError):
        run_worker()
    after_failure = OutboundEvent.objects.get().outcome
    claim = settings.INTEGRATION["IMPORT_CLAIM_SECONDS"]
    later = clock.now() + timedelta(seconds=claim + 60)
    monkeypatch.setattr(clock, "now", lambda: later)
    services.sweep()
    retried = run_worker()

    assert after_failure == then
    assert [r.outcome for r in retried] == ["processed"]
    written = _work_notes(incident)
    assert (
        len(written) == len(set(written)) == 4
    )  # transcript, two session notes, end notice
    assert NoteLedger.objects.filter(status=LedgerStatus.POSTED).count() == 4
    assert SupportSession.objects.get().event_count == 10
    assert OutboundEvent.objects.get().outcome == "processed"


def test_it_resolves_an_in_doubt_ledger_row_by_finding_the_note_not_by_writing_again(
    appliance,
    fake,
    incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    fake.report(LSID, build_report(ReportSpec(LSID, "INC0010099")))
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, "INC0010099"))
    run_worker()
    ledger = NoteLedger.objects.get(kind=NoteKind.SESSION_END)
    NoteLedger.objects.filter(pk=ledger.pk).update(
        status=LedgerStatus.IN_DOUBT, journal_entry_id=None
    )
    event = OutboundEvent.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        services.request_refetch(OutboundEvent.objects.filter(pk=event.pk))
    run_worker()

    assert len(_work_notes(incident)) == 3
    ledger.refresh_from_db()
    assert ledger.status == LedgerStatus.POSTED
    assert ledger.journal_entry_id is not None
    assert "0 notes written, 3 already written" in OutboundEvent.objects.get().reason


def test_it_gives_each_session_note_its_own_ledger_row_and_marker(
    appliance,
    fake,
    incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    fake.report(
        LSID,
        build_report(ReportSpec(LSID, "INC0010099", notes=["one", "two", "three"])),
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, "INC0010099"))
    run_worker()

    written = _work_notes(incident)
    assert len(written) == 5
    assert all(value.startswith(f"[bt:{LSID}] ") for value in written)
    sources = NoteLedger.objects.filter(kind=NoteKind.SESSION_NOTE).values_list(
        "source", flat=True
    )
    assert len(set(sources)) == 3


def test_it_reports_the_notes_as_already_written_when_an_admin_refetches(
    appliance,
    fake,
    incident,
    post_event,
    run_worker,
    admin_user,
    django_capture_on_commit_callbacks,
):
    fake.report(LSID, build_report(ReportSpec(LSID, "INC0010099")))
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, "INC0010099"))
    run_worker()
    event = OutboundEvent.objects.get()
    admin = Client()
    admin.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/support_sessions/outboundevent/",
            {"action": "refetch_report", "_selected_action": [event.pk], "index": 0},
            follow=True,
        )
    run_worker()

    assert "1 queued" in response.content.decode()
    assert len(_work_notes(incident)) == 3
    event.refresh_from_db()
    assert event.outcome == "processed"
    assert "0 notes written, 3 already written" in event.reason
    assert len(fake.report_calls(LSID)) == 2
