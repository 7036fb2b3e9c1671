"""An import cut off part-way leaves a session that is not final, and the next run
finishes it: all events, notes once."""

from datetime import timedelta

from django.db import OperationalError

from integration import clock
from itsm.models import JournalEntry
from sessions import bulk, importer, services
from sessions.models import OutboundEvent, SupportSession
from tests.reports import ReportSpec, build_report, end_event

LSID = "5e55a0c1ffb4ed2a6c0b4e8d22f1b6a1"


def test_it_finishes_an_import_that_stopped_between_event_batches(
    appliance, fake, make_incident, post_event, published, waits, monkeypatch
):
    incident = make_incident("INC0010111")
    fake.report(LSID, build_report(ReportSpec(LSID, "INC0010111")))
    post_event(end_event(LSID, "INC0010111"))
    event = OutboundEvent.objects.get()
    monkeypatch.setattr(importer, "BATCH", 2)
    real = bulk.upsert_events
    calls = []

    def fail_on_second(rows, fresh=False):
        calls.append(len(rows))
        if len(calls) == 2:
            raise OperationalError("database is locked")
        real(rows, fresh)

    monkeypatch.setattr(importer, "upsert_events", fail_on_second)
    first = services.process_event(event.pk)

    session = SupportSession.objects.get(lsid=LSID)
    assert first is not None and first.outcome == "retry_wait"
    assert session.report_complete is False
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 0

    monkeypatch.setattr(importer, "upsert_events", real)
    later = clock.now() + timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    second = services.process_event(event.pk)

    session.refresh_from_db()
    assert second is not None and second.outcome == "processed"
    assert session.report_complete is True
    assert session.events.count() == session.event_count == 9
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3
