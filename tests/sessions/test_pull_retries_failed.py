"""A session whose pulled import failed is queued again when it is listed again."""

from sessions.models import OutboundEvent, SupportSession
from tests.reports import ReportSpec, build_report
from tests.sessions.pulls import NEW_LSID, answer_listing, pull


def test_it_queues_a_failed_import_again(
    appliance, fake, make_incident, run_worker, django_capture_on_commit_callbacks
):
    make_incident("INC0010092")
    answer_listing(fake, NEW_LSID)
    pull(appliance, django_capture_on_commit_callbacks)
    OutboundEvent.objects.update(outcome="failed", attempts=5)
    fake.report(NEW_LSID, build_report(ReportSpec(NEW_LSID, "INC0010092")))

    result = pull(appliance, django_capture_on_commit_callbacks)
    run_worker()

    assert (result.listed, result.new) == (1, 1)
    event = OutboundEvent.objects.get()
    assert (event.outcome, event.delivery_count) == ("processed", 2)
    assert SupportSession.objects.get().report_complete
