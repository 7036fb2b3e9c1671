"""A finished session's end event becomes a support session and notes, once."""

from itsm.models import JournalEntry
from sessions.models import OutboundEvent, SupportSession
from tests.reports import ReportSpec, build_report, end_event

LSID = "aceac5fc578f75fbbfa6bfac69eed523"


def test_it_imports_the_session_and_writes_each_note_once(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident("INC0010091")
    fake.report(LSID, build_report(ReportSpec(LSID, "INC0010091")))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(end_event(LSID, "INC0010091"))
    run_worker()

    assert response.status_code == 200
    event = OutboundEvent.objects.get()
    assert event.outcome == "processed"
    session = SupportSession.objects.get(lsid=LSID)
    assert session.task_id == incident.pk
    assert session.event_count == 9
    assert session.reps.count() == 1
    assert session.customers.count() == 1
    assert session.teams.get().name == "Service Desk L2"
    notes = JournalEntry.objects.filter(
        element_id=incident.sys_id, element="work_notes"
    )
    assert notes.count() == 3
    transcript = notes.get(value__contains="Chat transcript").value
    assert "Marta Kowalczyk: Hello, how can I help?" in transcript
    assert "Olu Adebayo: My VPN keeps dropping." in transcript
    assert len(fake.report_calls(LSID)) == 1


def test_it_adds_nothing_when_the_same_end_event_arrives_again(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident("INC0010091")
    fake.report(LSID, build_report(ReportSpec(LSID, "INC0010091")))
    body = end_event(LSID, "INC0010091")

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_event(body).status_code == 200
        run_worker()

    assert OutboundEvent.objects.get().delivery_count == 2
    assert SupportSession.objects.count() == 1
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3
    assert len(fake.report_calls(LSID)) == 1
