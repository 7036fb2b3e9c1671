"""The broker delivering the same import twice changes nothing the second time, and
no delay the import schedules outlasts the broker's redelivery window (F14)."""

import copy
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from appliances.models import ApplicationLog
from integration import clock
from itsm.models import JournalEntry
from sessions import checks, services
from sessions.models import OutboundEvent, SupportSession
from sessions.tasks import import_event_task
from tests.fakes import Answer, Call
from tests.reports import ReportSpec, build_report, end_event

LSID = "1498a7644720546e19893fab433d3ea9"


def _integration(settings: Any, **changes: Any) -> None:
    config = copy.deepcopy(settings.INTEGRATION)
    config.update(changes)
    settings.INTEGRATION = config


def test_it_passes_the_redelivery_check_with_the_shipped_settings():
    assert checks.check_redelivery_window() == []


@pytest.mark.parametrize(
    "changes",
    [
        {"IMPORT_RETRY_MAX_SECONDS": 7200},
        {"IMPORT_RETRY_BASE_SECONDS": 3000, "IMPORT_RETRY_MAX_SECONDS": 3000},
        {"IMPORT_CLAIM_SECONDS": 3000},
    ],
)
def test_it_fails_the_redelivery_check_when_a_delay_outlasts_the_visibility_timeout(
    changes, settings
):
    _integration(settings, **changes)

    errors = checks.check_redelivery_window()

    assert [error.id for error in errors] == ["support_sessions.E001"]
    with pytest.raises(SystemCheckError, match="visibility timeout"):
        call_command("check")


def test_it_fails_the_redelivery_check_when_the_time_limit_reaches_the_window(settings):
    settings.CELERY_TASK_TIME_LIMIT = 3000
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

    assert len(checks.check_redelivery_window()) == 1


def test_it_passes_the_check_when_the_window_is_raised_with_the_delay(settings):
    _integration(settings, IMPORT_RETRY_MAX_SECONDS=7200)
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}

    assert checks.check_redelivery_window() == []


def test_it_never_waits_longer_than_the_retry_cap_for_a_rate_limited_fetch(
    appliance,
    fake,
    post_event,
    published,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now)
    fake.script(f"report:{LSID}", Answer(429, b"", {"Retry-After": str(6 * 3600)}))
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID))
    event = OutboundEvent.objects.get()

    services.process_event(event.pk)

    event.refresh_from_db()
    assert event.outcome == "retry_wait"
    wait = (event.next_attempt_at - now).total_seconds()
    assert 0 < wait <= max(services.scheduled_delays())


def test_it_changes_nothing_when_the_finished_import_is_delivered_again(
    appliance,
    fake,
    make_incident,
    post_event,
    published,
    django_capture_on_commit_callbacks,
):
    incident = make_incident("INC0010095")
    fake.report(LSID, build_report(ReportSpec(LSID, "INC0010095")))
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, "INC0010095"))
    event_id = published[0][0]

    first = import_event_task.apply(args=[event_id])
    logs_before = ApplicationLog.objects.count()
    second = import_event_task.apply(args=[event_id])

    assert (first.get(), second.get()) == ("processed", "not claimed")
    session = SupportSession.objects.get()
    assert (session.event_count, session.reps.count(), session.customers.count()) == (
        9,
        1,
        1,
    )
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3
    assert len(fake.report_calls(LSID)) == 1
    quiet = ApplicationLog.objects.order_by("id")[logs_before:]
    assert [(entry.level, entry.lsid) for entry in quiet] == [("INFO", LSID)]
    assert OutboundEvent.objects.get().outcome == "processed"


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_simultaneous_runs_import(
    appliance, fake, make_incident, post_event, published, admin_user
):
    incident = make_incident("INC0010095")
    report = build_report(ReportSpec(LSID, "INC0010095"))
    fetching, release = threading.Event(), threading.Event()

    def held_report(call: Call) -> Answer:
        fetching.set()
        release.wait(30)
        return Answer(200, report)

    fake.default(f"report:{LSID}", held_report)
    post_event(end_event(LSID, "INC0010095"))
    event_id = OutboundEvent.objects.get().pk
    results: list[Any] = []
    first = threading.Thread(
        target=lambda: results.append(import_event_task.apply(args=[event_id]).get())
    )
    first.start()
    assert fetching.wait(30)

    second = import_event_task.apply(args=[event_id]).get()
    admin = Client()
    admin.force_login(admin_user)
    changelist = admin.get("/admin/support_sessions/outboundevent/").content.decode()
    release.set()
    first.join(30)

    assert (results, second) == (["processed"], "not claimed")
    assert "fetching (being imported now)" in changelist
    session = SupportSession.objects.get()
    assert (session.event_count, session.reps.count(), session.customers.count()) == (
        9,
        1,
        1,
    )
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3
    assert len(fake.report_calls(LSID)) == 1
    assert not ApplicationLog.objects.filter(level="ERROR").exists()
