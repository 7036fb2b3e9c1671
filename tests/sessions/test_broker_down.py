"""A broker that refuses or hangs never hangs the receiver and loses nothing (F13).

The real Celery publish path is used, pointed at a Redis URL on loopback that either
refuses connections or accepts them and never answers. The broker settings are the
production shape for that URL, read from the product's own settings module.
"""

import runpy
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from appliances.models import ApplicationLog
from integration import clock
from integration.celery import app as celery_app
from itsm.models import JournalEntry
from sessions import dispatch, services
from sessions.models import OutboundEvent, SupportSession
from tests.conftest import HOOK_TOKEN, RECEIVER
from tests.reports import ReportSpec, build_report, end_event

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "integration" / "settings.py"
BROKER_SETTINGS = (
    "BROKER_URL",
    "BROKER_TRANSPORT_OPTIONS",
    "BROKER_CONNECTION_TIMEOUT",
    "TASK_PUBLISH_RETRY",
    "TASK_PUBLISH_RETRY_POLICY",
)
PASSWORD = "broker-pw-93kd"
LSIDS = ("787c3143b11925f2a57e6138a3e2d36a", "5d1f0c4e9b2a47e8a3c6d7b8e9f01234")
REQUEST_BOUND = 60.0  # generous: only proves the request does not hang


def _drop_broker_pools() -> None:
    pool = celery_app._pool  # type: ignore[attr-defined]
    if pool is not None:
        pool.force_close_all()
    celery_app._pool = None  # type: ignore[attr-defined]
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def broker_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point the Celery app at `url` with the production settings for that URL."""

    def use(url: str) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        production = runpy.run_path(str(SETTINGS_FILE))
        for name in BROKER_SETTINGS:
            monkeypatch.setitem(
                celery_app.conf, name.lower(), production[f"CELERY_{name}"]
            )
        _drop_broker_pools()

    yield use
    _drop_broker_pools()


@pytest.fixture
def refused_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listener that accepts connections and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def _post_bounded(body: bytes) -> Any:
    """POST from another thread; fail if it has not answered within the bound."""
    answers: list[Any] = []

    def send() -> None:
        answers.append(
            Client().generic(
                "POST",
                f"{RECEIVER}?outbound_event_token={HOOK_TOKEN}",
                body,
                content_type="application/x-www-form-urlencoded",
            )
        )

    worker = threading.Thread(target=send, daemon=True)
    worker.start()
    worker.join(REQUEST_BOUND)
    assert not worker.is_alive(), "the receiver hung on the broker"
    return answers[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["refused", "silent"])
def test_it_answers_200_and_keeps_the_events_pending_while_the_broker_is_down(
    broker, request, broker_at, appliance, fake, make_incident, monkeypatch
):
    port = request.getfixturevalue(f"{broker}_port")
    broker_at(f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
    monkeypatch.setattr(dispatch, "publisher", dispatch._default_publisher)

    answers = [
        _post_bounded(end_event(lsid, "INC0010094", 1733240467 + n))
        for n, lsid in enumerate(LSIDS)
    ]

    assert [answer.status_code for answer in answers] == [200, 200]
    events = OutboundEvent.objects.order_by("id")
    assert [(e.lsid, e.outcome) for e in events] == [
        (lsid, "pending_enqueue") for lsid in LSIDS
    ]
    assert bytes(events[0].raw_body) == end_event(LSIDS[0], "INC0010094", 1733240467)
    warnings = ApplicationLog.objects.filter(level="WARNING", step="queue").order_by(
        "id"
    )
    assert [w.lsid for w in warnings] == list(LSIDS)
    assert all(w.appliance_id == appliance.pk for w in warnings)
    assert all("broker could not be reached" in w.message for w in warnings)
    logged = " ".join(f"{e.message} {e.details}" for e in ApplicationLog.objects.all())
    assert PASSWORD not in logged


@pytest.mark.django_db(transaction=True)
def test_it_queues_what_was_stored_during_the_outage_once_when_the_broker_is_back(
    broker_at,
    refused_port,
    appliance,
    fake,
    make_incident,
    monkeypatch,
    published,
    run_worker,
):
    incident = make_incident("INC0010094")
    for lsid in LSIDS:
        fake.report(lsid, build_report(ReportSpec(lsid, "INC0010094", notes=[])))
    broker_at(f"redis://127.0.0.1:{refused_port}/0")
    monkeypatch.setattr(dispatch, "publisher", dispatch._default_publisher)
    for n, lsid in enumerate(LSIDS):
        assert (
            _post_bounded(end_event(lsid, "INC0010094", 1733240467 + n)).status_code
            == 200
        )

    # The broker is back (a capturing publisher), and the sweeper's grace has passed.
    monkeypatch.setattr(
        dispatch,
        "publisher",
        lambda event_id, force: published.append((event_id, force)),
    )
    later = clock.now() + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    first = services.sweep()
    outcomes_after_first = list(
        OutboundEvent.objects.order_by("id").values_list("outcome", flat=True)
    )
    second = services.sweep()

    assert (first, second) == (2, 0)
    assert outcomes_after_first == ["queued", "queued"]
    assert sorted(event_id for event_id, _ in published) == sorted(
        OutboundEvent.objects.values_list("id", flat=True)
    )
    run_worker()
    assert set(OutboundEvent.objects.values_list("outcome", flat=True)) == {"processed"}
    assert SupportSession.objects.filter(lsid=LSIDS[0]).get().event_count == 8
    assert len(fake.report_calls(LSIDS[0])) == 1
    # Two sessions, each with its transcript and its end notice.
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 4
