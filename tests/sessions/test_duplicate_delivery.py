"""The same outbound event delivered twice, later or at the same time, is absorbed:
both answered 200, one event row, one support session, notes once (F11)."""

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from appliances.models import ApplicationLog
from integration import clock
from itsm.models import JournalEntry
from sessions import dispatch, inbox
from sessions.models import OutboundEvent, SupportSession
from tests.conftest import HOOK_TOKEN, RECEIVER
from tests.reports import ReportSpec, build_report, end_event

CASE = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "cases"
    / "F11-duplicate-delivery"
)
LSID = "fccd1d3b4594d440df848aebfcc99237"
PAIRS = 4


def _journal(incident) -> int:
    return JournalEntry.objects.filter(
        element_id=incident.sys_id, element="work_notes"
    ).count()


def test_it_absorbs_the_same_event_delivered_again_five_minutes_later(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    incident = make_incident("INC0010092")
    fake.report(LSID, (CASE / "reply.xml").read_bytes())
    body = (CASE / "event.form").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        first = post_event(body)
    run_worker()
    later = clock.now() + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: later)

    with django_capture_on_commit_callbacks(execute=True):
        second = post_event(body)
    results = run_worker()

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()
    event = OutboundEvent.objects.get()
    assert (event.outcome, event.delivery_count, event.last_delivery_at) == (
        "processed",
        2,
        later,
    )
    assert results == []
    session = SupportSession.objects.get()
    assert (session.event_count, session.reps.count(), session.customers.count()) == (
        12,
        1,
        1,
    )
    assert _journal(incident) == 3
    assert len(fake.report_calls(LSID)) == 1
    assert (
        ApplicationLog.objects.filter(message__startswith="Repeated delivery").count()
        == 1
    )


@pytest.mark.parametrize(
    ("changed", "value"),
    [
        ("version", "4"),
        ("external_key", "INC0099999"),
        ("appliance_id", "5B0E2D7C91A44F638E2BC4D1A7F09E36"),
    ],
)
def test_it_treats_a_redelivery_with_other_non_identity_fields_as_the_same_event(
    changed,
    value,
    hook_appliance,
    post_event,
    published,
    django_capture_on_commit_callbacks,
):
    body = end_event(LSID, "INC0010092").decode()
    fields = dict(pair.split("=", 1) for pair in body.split("&"))
    fields[changed] = value
    again = "&".join(f"{k}={v}" for k, v in fields.items()).encode()

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(body.encode()).status_code == 200
        assert post_event(again).status_code == 200

    assert OutboundEvent.objects.get().delivery_count == 2
    assert len(published) == 1


def test_it_keeps_an_end_event_with_another_timestamp_or_lsid_as_its_own_row(
    hook_appliance, post_event, published, django_capture_on_commit_callbacks
):
    other = "0" * 31 + "1"
    with django_capture_on_commit_callbacks(execute=True):
        for body in (
            end_event(LSID),
            end_event(LSID, timestamp=1733240468),
            end_event(other),
        ):
            assert post_event(body).status_code == 200

    assert OutboundEvent.objects.filter(delivery_count=1).count() == 3
    assert len(published) == 3


def test_it_stores_a_survey_for_the_same_session_as_its_own_unhandled_row(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident("INC0010092")
    fake.report(LSID, (CASE / "reply.xml").read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        post_event((CASE / "event.form").read_bytes())
    run_worker()
    notes_before = _journal(incident)

    with django_capture_on_commit_callbacks(execute=True):
        answer = post_event((CASE / "event-survey.form").read_bytes())
    run_worker()

    assert answer.status_code == 200
    survey = OutboundEvent.objects.get(
        event="support_conference_customer_exit_survey_completed"
    )
    assert (survey.outcome, survey.delivery_count, survey.lsid) == (
        "unhandled",
        1,
        LSID,
    )
    assert OutboundEvent.objects.get(event="support_conference_end").delivery_count == 1
    assert len(fake.report_calls(LSID)) == 1
    assert _journal(incident) == notes_before == 3


@pytest.mark.django_db(transaction=True)
def test_it_absorbs_pairs_of_deliveries_that_arrive_at_the_same_time(
    appliance, fake, make_incident, monkeypatch, published, run_worker
):
    incident = make_incident("INC0010092")
    lsids = [f"{n:032x}" for n in range(1, PAIRS + 1)]
    for lsid in lsids:
        fake.report(lsid, build_report(ReportSpec(lsid, "INC0010092", notes=[])))
    _serialise_writers_like_sqlite(monkeypatch)

    statuses: list[int] = []
    for lsid in lsids:
        statuses += _post_pair(end_event(lsid, "INC0010092"))
    run_worker()

    assert statuses == [200] * 2 * PAIRS
    assert sorted(OutboundEvent.objects.values_list("lsid", "delivery_count")) == [
        (lsid, 2) for lsid in lsids
    ]
    assert SupportSession.objects.count() == PAIRS
    assert set(OutboundEvent.objects.values_list("outcome", flat=True)) == {"processed"}
    assert _journal(incident) == 2 * PAIRS
    assert all(len(fake.report_calls(lsid)) == 1 for lsid in lsids)
    assert not ApplicationLog.objects.filter(level="ERROR").exists()


def _serialise_writers_like_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the two requests' write transactions take turns, with a 200 ms pause
    inside the first one's.

    A SQLite file database makes a second writer wait (busy timeout); the test
    database is SQLite in memory with a shared cache, which fails the second
    writer at once instead. So the test plays the busy timeout: the write lock is
    taken right before the receiver's transaction and released after it.
    """
    write_lock = threading.Lock()
    new_event, log, publish_after_commit = (
        inbox._new_event,
        inbox._log,
        dispatch.publish_after_commit,
    )

    def begin(*args: Any) -> Any:
        assert write_lock.acquire(timeout=10)
        return new_event(*args)

    def end(*args: Any, **kwargs: Any) -> None:
        try:
            log(*args, **kwargs)
        finally:
            write_lock.release()

    def slow_commit(event_id: int, force: bool = False) -> None:
        publish_after_commit(event_id, force)
        threading.Event().wait(0.2)

    monkeypatch.setattr(inbox, "_new_event", begin)
    monkeypatch.setattr(inbox, "_log", end)
    monkeypatch.setattr(inbox.dispatch, "publish_after_commit", slow_commit)


def _post_pair(body: bytes) -> list[int]:
    statuses: list[int] = []
    started = threading.Event()

    def send(first: bool) -> None:
        if first:
            started.set()
        answer: Any = Client(raise_request_exception=False).generic(
            "POST",
            f"{RECEIVER}?outbound_event_token={HOOK_TOKEN}",
            body,
            content_type="application/x-www-form-urlencoded",
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=send, args=(n == 0,)) for n in range(2)]
    threads[0].start()
    started.wait()
    threading.Event().wait(0.02)
    threads[1].start()
    for thread in threads:
        thread.join(60)
    return statuses
