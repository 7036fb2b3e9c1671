"""Webhooks and the pull together import each session once, and a webhook
import never moves the pull's watermark."""

from itsm.models import JournalEntry
from sessions.models import OutboundEvent, PullState, SupportSession
from tests.clocks import START, freeze_clock
from tests.reports import ReportSpec, build_report, end_event
from tests.sessions.pulls import OLD_LSID, answer_listing, listing_calls, pull


def test_it_does_not_fetch_a_session_a_webhook_imported(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    freeze_clock(monkeypatch)
    incident = make_incident("INC0010091")
    fake.report(OLD_LSID, build_report(ReportSpec(OLD_LSID, "INC0010091")))
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(OLD_LSID, "INC0010091"))
    run_worker()
    assert not PullState.objects.filter(watermark__isnull=False).exists()
    answer_listing(fake, OLD_LSID)

    result = pull(appliance, django_capture_on_commit_callbacks)
    run_worker()

    assert (result.listed, result.new, result.known) == (1, 0, 1)
    assert len(fake.report_calls(OLD_LSID)) == 1
    assert OutboundEvent.objects.filter(source="pull").count() == 0
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3
    # The watermark is where the pull's own listing ended, not the webhook's time.
    assert PullState.objects.get(appliance=appliance).watermark == START


def test_it_imports_once_when_the_webhook_arrives_after_the_pull(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident("INC0010091")
    fake.report(OLD_LSID, build_report(ReportSpec(OLD_LSID, "INC0010091")))
    answer_listing(fake, OLD_LSID)

    pull(appliance, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(OLD_LSID, "INC0010091"))
    run_worker()

    events = OutboundEvent.objects.order_by("source")
    assert [(e.source, e.outcome) for e in events] == [
        ("pull", "processed"),
        ("webhook", "processed"),
    ]
    assert len(fake.report_calls(OLD_LSID)) == 1
    assert SupportSession.objects.count() == 1
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3


def test_it_leaves_a_session_whose_webhook_import_is_under_way(
    appliance, fake, post_event, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(OLD_LSID, "INC0010091"))
    answer_listing(fake, OLD_LSID)

    result = pull(appliance, django_capture_on_commit_callbacks)

    assert result.new == 0
    assert OutboundEvent.objects.get().source == "webhook"
    assert len(listing_calls(fake)) == 1
