"""An empty journal read is not proof that nothing was written: the ledger wins and
the mismatch is logged (F22)."""

import pytest

from appliances.models import ApplicationLog
from itsm.models import JournalEntry
from sessions import notes, services
from sessions.choices import LedgerStatus
from sessions.models import NoteLedger, OutboundEvent
from tests.reports import ReportSpec, build_report, end_event

LSID = "116d9cf8fce7e01cb4a173f04c67abf6"


@pytest.fixture
def imported(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    """The session imported once: notes written and their ledger rows posted."""
    incident = make_incident("INC0010100")
    fake.report(
        LSID, build_report(ReportSpec(LSID, "INC0010100", notes=["first", "second"]))
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, "INC0010100"))
    run_worker()
    return incident


def _refetch(run_worker, capture) -> None:
    with capture(execute=True):
        services.request_refetch(OutboundEvent.objects.all())
    run_worker()


def _work_notes(incident) -> int:
    return JournalEntry.objects.filter(
        element_id=incident.sys_id, element="work_notes"
    ).count()


def _hide_journal(monkeypatch, hidden: str) -> None:
    """Make the journal read come back empty for notes whose title contains `hidden`."""
    find_existing = notes._find_existing

    def reader(session, record, note):
        if hidden in notes._title(note):
            return None
        return find_existing(session, record, note)

    monkeypatch.setattr(notes, "_find_existing", reader)


@pytest.mark.parametrize(
    ("hidden", "mismatches"), [("", 4), ("Chat transcript", 1), ("Session note", 2)]
)
def test_it_trusts_the_ledger_when_the_journal_read_comes_back_empty(
    hidden,
    mismatches,
    imported,
    monkeypatch,
    run_worker,
    django_capture_on_commit_callbacks,
):
    notes_before = _work_notes(imported)
    ledger_before = list(
        NoteLedger.objects.order_by("id").values_list(
            "id", "status", "posted_at", "journal_entry_id"
        )
    )
    _hide_journal(monkeypatch, hidden)

    _refetch(run_worker, django_capture_on_commit_callbacks)

    assert _work_notes(imported) == notes_before == 4
    assert list(
        NoteLedger.objects.order_by("id").values_list(
            "id", "status", "posted_at", "journal_entry_id"
        )
    ) == (ledger_before)
    warnings = ApplicationLog.objects.filter(level="WARNING", step="note")
    assert warnings.count() == mismatches
    for warning in warnings:
        assert (warning.lsid, warning.record) == (LSID, "INC0010100")
        assert "journal read returned none" in warning.message
    event = OutboundEvent.objects.get()
    assert event.outcome == "processed"
    assert "0 notes written, 4 already written" in event.reason


def test_it_writes_the_notes_once_when_neither_ledger_nor_journal_has_them(
    imported, monkeypatch, run_worker, django_capture_on_commit_callbacks
):
    NoteLedger.objects.all().delete()
    JournalEntry.objects.filter(element_id=imported.sys_id).delete()

    _refetch(run_worker, django_capture_on_commit_callbacks)

    assert _work_notes(imported) == 4
    assert NoteLedger.objects.filter(status=LedgerStatus.POSTED).count() == 4
    assert not ApplicationLog.objects.filter(level="WARNING", step="note").exists()
