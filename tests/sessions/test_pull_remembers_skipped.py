"""A session skipped by rule (external, not imported) is not fetched again."""

from sessions.models import OutboundEvent, SupportSession
from tests.reports import ReportSpec, build_report
from tests.sessions.pulls import OLD_LSID, answer_listing, pull


def test_it_does_not_fetch_a_skipped_external_session_again(
    appliance, fake, run_worker, django_capture_on_commit_callbacks
):
    fake.report(OLD_LSID, build_report(ReportSpec(OLD_LSID, external_key="")))
    answer_listing(fake, OLD_LSID)
    pull(appliance, django_capture_on_commit_callbacks)
    run_worker()
    assert OutboundEvent.objects.get().outcome == "skipped"

    result = pull(appliance, django_capture_on_commit_callbacks)
    run_worker()

    assert (result.listed, result.new, result.known) == (1, 0, 1)
    assert len(fake.report_calls(OLD_LSID)) == 1
    assert not SupportSession.objects.exists()
