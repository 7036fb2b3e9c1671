"""An outbound event the product cannot use is stored raw, answered 200, and never
blocks the events after it (F10). Only a failure to store answers 5xx."""

import logging
from pathlib import Path

import pytest
from django.db import OperationalError

from appliances.models import ApplicationLog
from itsm.models import JournalEntry
from sessions import inbox
from sessions.models import OutboundEvent, SupportSession
from tests.reports import end_event

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "F10-unusable-event"
GUID = "5b0e2d7c-91a4-4f63-8e2b-c4d1a7f09e36"
LSID = "aceac5fc578f75fbbfa6bfac69eed523"

UNUSABLE = [
    # (body, outcome label)
    (
        b"event=support_conference_end&version=3&timestamp=1&appliance_id="
        + GUID.encode(),
        "rejected:missing_lsid",
    ),
    (b"event=support_conference_end&lsid=%20+%20", "rejected:missing_lsid"),
    (b"event=support_conference_end&lsid=not-a-session-id", "rejected:invalid_lsid"),
    (
        b"event=support_conference_end&lsid=" + LSID[:-1].encode(),
        "rejected:invalid_lsid",
    ),
    (
        b"event=support_conference_end&lsid=" + LSID.encode() + b"0",
        "rejected:invalid_lsid",
    ),
    (b"event=support_conference_end&lsid=" + b"g" * 32, "rejected:invalid_lsid"),
    (
        b"event=presentation_viewer_joined&lsid=" + LSID.encode(),
        "ignored:unknown_event",
    ),
    (b"event=support_conference_begin&lsid=" + LSID.encode(), "ignored:not_end"),
    (b"", "rejected:missing_event"),
    (b"%%zz&&==&event", "rejected:missing_event"),
    (
        b"lsid=" + LSID.encode() + b"&event=&event=support_conference_end",
        "rejected:missing_event",
    ),
    (b"\xff\xfe\x00binary", "rejected:missing_event"),
    (b"event=" + b"x" * 5000, "ignored:unknown_event"),
]


@pytest.mark.parametrize(("body", "label"), UNUSABLE)
def test_it_stores_an_unusable_event_raw_and_answers_200(
    body,
    label,
    hook_appliance,
    post_event,
    published,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(body)

    assert response.status_code == 200
    event = OutboundEvent.objects.get()
    assert event.outcome_label == label
    assert bytes(event.raw_body) == body
    assert published == []
    log = ApplicationLog.objects.get(step="webhook")
    assert log.level in {"WARNING", "INFO"}
    assert event.reason in log.message


def test_it_keeps_every_field_as_received_repeated_keys_included(
    hook_appliance, post_event, published
):
    body = b"event=support_conference_end&lsid=bad&note=one&note=two&note=&x=%E2%82%AC"

    assert post_event(body).status_code == 200

    event = OutboundEvent.objects.get()
    assert event.fields == [
        ["event", "support_conference_end"],
        ["lsid", "bad"],
        ["note", "one"],
        ["note", "two"],
        ["note", ""],
        ["x", "€"],
    ]


def test_it_lets_the_good_event_after_five_bad_ones_through(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident("INC0010091")
    fake.report(LSID, (CASE / "reply.xml").read_bytes())
    files = sorted(CASE.glob("event-*.form"))

    answers = []
    for file in files:
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(post_event(file.read_bytes()).status_code)
    run_worker()

    assert answers == [200] * 6
    events = list(OutboundEvent.objects.order_by("id"))
    assert [bytes(e.raw_body) for e in events] == [f.read_bytes() for f in files]
    assert [e.outcome_label for e in events] == [
        "rejected:missing_lsid",
        "rejected:invalid_lsid",
        "ignored:unknown_event",
        "rejected:missing_event",
        "rejected:missing_event",
        "processed",
    ]
    assert len(fake.report_calls()) == 1
    assert SupportSession.objects.get().event_count == 12
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3
    refusals = ApplicationLog.objects.filter(
        step="webhook", message__startswith="Webhook stored as"
    )
    assert refusals.count() == 5
    assert not ApplicationLog.objects.filter(level="ERROR").exists()


@pytest.mark.parametrize(
    "body", [end_event(LSID, "INC0010091"), b"", b"event=support_conference_end"]
)
def test_it_answers_5xx_and_queues_nothing_when_the_event_cannot_be_stored(
    body,
    hook_appliance,
    post_event,
    published,
    monkeypatch,
    caplog,
    django_capture_on_commit_callbacks,
):
    def fail(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(inbox, "insert_once", fail)

    with (
        caplog.at_level(logging.ERROR),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post_event(body)

    assert response.status_code >= 500
    assert OutboundEvent.objects.count() == 0
    assert published == []
    assert any(
        r.levelno == logging.ERROR and "Could not store" in r.getMessage()
        for r in caplog.records
    )
