"""Work is handed to the broker only after the row it names is committed; a rollback
hands over nothing; a row that really is missing is retried briefly, then given up
with a warning (F12)."""

import logging
import threading
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client

from sessions import dispatch, inbox, services
from sessions.models import OutboundEvent
from sessions.tasks import import_event_task
from tests.conftest import HOOK_TOKEN, RECEIVER
from tests.reports import ReportSpec, build_report, end_event

LSID = "9178855404e55561df7a678bf8c72092"


def _visible_elsewhere(event_id: int) -> bool:
    """Ask from a second database connection whether the row is there."""
    seen: list[bool] = []

    def look() -> None:
        try:
            seen.append(OutboundEvent.objects.filter(pk=event_id).exists())
        except OperationalError:
            seen.append(False)  # locked by an open write: not visible yet
        finally:
            connection.close()

    reader = threading.Thread(target=look)
    reader.start()
    reader.join(30)
    return seen == [True]


@pytest.mark.django_db(transaction=True)
def test_it_publishes_only_once_the_row_is_visible_to_another_connection(
    appliance, fake, make_incident, monkeypatch, run_worker
):
    make_incident("INC0010093")
    fake.report(LSID, build_report(ReportSpec(LSID, "INC0010093")))
    probe: list[tuple[int, bool, bool]] = []

    def probing_publisher(event_id: int, force: bool) -> None:
        probe.append(
            (event_id, connection.in_atomic_block, _visible_elsewhere(event_id))
        )

    monkeypatch.setattr(dispatch, "publisher", probing_publisher)
    publish_after_commit = dispatch.publish_after_commit

    def slow_commit(event_id: int, force: bool = False) -> None:
        publish_after_commit(event_id, force)
        threading.Event().wait(0.2)  # the injected slow commit

    monkeypatch.setattr(inbox.dispatch, "publish_after_commit", slow_commit)

    response = Client().generic(
        "POST",
        f"{RECEIVER}?outbound_event_token={HOOK_TOKEN}",
        end_event(LSID, "INC0010093"),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    event = OutboundEvent.objects.get()
    assert probe == [(event.pk, False, True)]
    result = services.process_event(event.pk)
    assert result is not None and result.outcome == "processed"


@pytest.mark.parametrize(
    "failure", [OperationalError("disk I/O error"), RuntimeError("boom")]
)
def test_it_publishes_nothing_and_answers_5xx_when_the_receivers_transaction_rolls_back(
    failure, appliance, published, monkeypatch, django_capture_on_commit_callbacks
):
    publish_after_commit = dispatch.publish_after_commit

    def fail_after_storing(event_id: int, force: bool = False) -> None:
        publish_after_commit(event_id, force)
        raise failure

    monkeypatch.setattr(inbox.dispatch, "publish_after_commit", fail_after_storing)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = Client(raise_request_exception=False).generic(
            "POST",
            f"{RECEIVER}?outbound_event_token={HOOK_TOKEN}",
            end_event(LSID, "INC0010093"),
            content_type="application/x-www-form-urlencoded",
        )

    assert response.status_code >= 500
    assert callbacks == []
    assert published == []
    assert OutboundEvent.objects.count() == 0


def test_it_publishes_nothing_when_a_refetch_is_rolled_back(
    appliance, published, django_capture_on_commit_callbacks
):
    from django.db import transaction

    event = OutboundEvent.objects.create(
        appliance=appliance,
        lsid=LSID,
        event="support_conference_end",
        raw_body=b"",
        outcome="report_unavailable",
    )

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.request_refetch(OutboundEvent.objects.all())
        raise RuntimeError("the admin action failed")

    assert published == []
    event.refresh_from_db()
    assert event.outcome == "report_unavailable"


@pytest.mark.parametrize("missing_id", [999999, 1])
def test_it_retries_a_missing_row_briefly_then_gives_up_with_a_warning(
    missing_id, db, fake, monkeypatch, caplog, settings
):
    countdowns: list[Any] = []
    retry = import_event_task.retry

    def recording_retry(*args: Any, **kwargs: Any) -> Any:
        countdowns.append(kwargs.get("countdown"))
        return retry(*args, **kwargs)

    monkeypatch.setattr(import_event_task, "retry", recording_retry)

    with caplog.at_level(logging.INFO):
        result = import_event_task.apply(args=[missing_id])

    assert result.successful()
    assert result.get() == "missing"
    assert len(countdowns) == settings.INTEGRATION["MISSING_ROW_RETRIES"] - 1 == 2
    assert all(0 < countdown <= 10 for countdown in countdowns)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [str(missing_id) in r.getMessage() for r in warnings] == [True]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert fake.calls == []
