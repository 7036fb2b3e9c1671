"""The pull fetches and imports only the sessions it has not seen, through the
same import a webhook takes."""

from itsm.models import JournalEntry
from sessions.models import OutboundEvent, SupportSession
from tests.reports import ReportSpec, build_report
from tests.sessions.pulls import NEW_LSID, OLD_LSID, answer_listing, pull


def test_it_imports_only_the_sessions_not_yet_known(
    appliance, fake, make_incident, run_worker, django_capture_on_commit_callbacks
):
    make_incident("INC0010091")
    make_incident("INC0010092")
    fake.report(OLD_LSID, build_report(ReportSpec(OLD_LSID, "INC0010091")))
    fake.report(NEW_LSID, build_report(ReportSpec(NEW_LSID, "INC0010092")))
    answer_listing(fake, OLD_LSID)
    pull(appliance, django_capture_on_commit_callbacks)
    run_worker()
    answer_listing(fake, OLD_LSID, NEW_LSID)

    result = pull(appliance, django_capture_on_commit_callbacks)
    run_worker()

    assert (result.listed, result.new, result.known) == (2, 1, 1)
    assert len(fake.report_calls(OLD_LSID)) == 1
    assert len(fake.report_calls(NEW_LSID)) == 1
    assert SupportSession.objects.filter(report_complete=True).count() == 2
    event = OutboundEvent.objects.get(lsid=NEW_LSID)
    assert event.source == "pull"
    assert event.identity == f"pull:{appliance.pk}:{NEW_LSID}"
    assert event.event == "support_conference_end"
    assert event.outcome == "processed"


def test_it_writes_the_pulled_session_to_its_ticket(
    appliance, fake, make_incident, run_worker, django_capture_on_commit_callbacks
):
    incident = make_incident("INC0010092")
    fake.report(NEW_LSID, build_report(ReportSpec(NEW_LSID, "INC0010092")))
    answer_listing(fake, NEW_LSID)

    pull(appliance, django_capture_on_commit_callbacks)
    run_worker()

    session = SupportSession.objects.get(lsid=NEW_LSID)
    assert session.task_id == incident.pk
    notes = JournalEntry.objects.filter(
        element_id=incident.sys_id, element="work_notes"
    )
    assert notes.count() == 3


def test_it_queues_the_imports_only_after_the_pull_commits(
    appliance, fake, published, django_capture_on_commit_callbacks
):
    answer_listing(fake, NEW_LSID)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        from sessions.pull import pull_appliance

        pull_appliance(appliance)
        assert published == []
    for callback in callbacks:
        callback()

    assert published == [(OutboundEvent.objects.get().pk, False)]
    assert OutboundEvent.objects.get().outcome == "queued"
