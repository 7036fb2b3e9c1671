"""F14 on the production parts: the same import task delivered twice by Redis,
to two real workers at once and again after the first finished, on PostgreSQL."""

import re
import threading
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from sessions.checks import check_redelivery_window
from tests.fakes import Answer
from tests.integration.conftest import ADMIN

pytestmark = pytest.mark.integration

CASE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "F14-task-redelivered"
)
LSID = "1498a7644720546e19893fab433d3ea9"
NUMBER = "INC0010095"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TWO_HOURS = 7200.0


# --- A. configuration -----------------------------------------------------------


def test_the_deployed_delays_fit_in_the_redis_visibility_timeout():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert check_redelivery_window(None) == []
    call_command("check")


def test_a_two_hour_retry_delay_without_a_longer_visibility_timeout_fails_the_check():
    slower = {
        **settings.INTEGRATION,
        "IMPORT_RETRY_BASE_SECONDS": TWO_HOURS,
        "IMPORT_RETRY_MAX_SECONDS": TWO_HOURS,
    }
    with override_settings(INTEGRATION=slower):
        errors = check_redelivery_window(None)
        assert [error.id for error in errors] == ["support_sessions.E001"]
        assert "visibility timeout" in errors[0].msg
        with pytest.raises(SystemCheckError, match="E001"):
            call_command("check")

    window = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "visibility_timeout": 4 * TWO_HOURS,
    }
    with override_settings(INTEGRATION=slower, CELERY_BROKER_TRANSPORT_OPTIONS=window):
        assert check_redelivery_window(None) == []


def test_a_hard_time_limit_past_the_visibility_timeout_fails_the_check():
    with override_settings(CELERY_TASK_TIME_LIMIT=4000):
        assert [e.id for e in check_redelivery_window(None)] == [
            "support_sessions.E001"
        ]


# --- B and C. the same task twice, through Redis, to real workers ---------------


def test_a_redelivered_import_runs_once_while_held_and_changes_nothing_after(
    stack, fake
):
    reply = (CASE / "reply.xml").read_bytes()
    release = threading.Event()
    answered: list[int] = []

    def report(call):
        # The first fetch is held until the test has seen what it needs to see.
        if not answered:
            answered.append(1)
            release.wait(120)
        return Answer(200, reply)

    fake.default(f"report:{LSID}", report)
    app = stack()
    app.seed(fake.url, [NUMBER])
    app.start_web(workers=1, threads=4)
    app.start_worker("worker-a", "--concurrency=1")
    app.start_worker("worker-b", "--concurrency=1")
    admin = admin_session(app.web)

    try:
        response = requests.post(
            app.receiver,
            data=(CASE / "event.form").read_bytes(),
            headers=FORM,
            timeout=30,
        )
        assert response.status_code == 200
        # C: the first run holds the claim, fetching.
        app.wait_until(
            lambda: len(fake.report_calls(LSID)) == 1, "the first report fetch"
        )
        [(event_id, outcome)] = app.query(
            "SELECT id, outcome FROM support_sessions_outboundevent"
        )
        assert outcome == "fetching"
        changelist = admin.get(
            f"{app.web}/admin/support_sessions/outboundevent/", timeout=30
        )
        assert changelist.status_code == 200
        assert "fetching (being imported now)" in changelist.text
        assert LSID in changelist.text

        # The broker hands the same task to the other worker meanwhile.
        assert (
            app.run_task("sessions.tasks.import_event_task", event_id)
            == "'not claimed'"
        )
    finally:
        release.set()
    app.wait_until(
        lambda: (
            app.query("SELECT outcome FROM support_sessions_outboundevent")
            == [("processed",)]
        ),
        "the first run to finish",
    )
    results = re.findall(
        r"import_event_task\[[^]]+\] succeeded in [\d.]+s: (.*)",
        "\n".join(app.all_lines()),
    )
    assert sorted(results) == ["'not claimed'", "'processed'"]
    imported = snapshot(app)
    assert imported == {
        "sessions": {LSID: (12, 1, 1)},
        "notes": 3,
        "ledger": 3,
        "events": [("processed", 1, 1)],
    }
    assert len(fake.report_calls(LSID)) == 1

    # B: the same task again after the first run finished: it ends quietly.
    quiet = len(already_lines(app))
    assert app.run_task("sessions.tasks.import_event_task", event_id) == "'not claimed'"
    assert snapshot(app) == imported
    assert len(fake.report_calls(LSID)) == 1
    assert len(already_lines(app)) == quiet + 1
    assert app.error_lines() == []


def already_lines(app) -> list[str]:
    """INFO lines saying an event needs no import (already imported or held)."""
    return [line for line in app.all_lines() if "INFO" in line and " already " in line]


def admin_session(web: str) -> requests.Session:
    session = requests.Session()
    login = f"{web}/admin/login/"
    session.get(login, timeout=30).raise_for_status()
    answer = session.post(
        login,
        data={
            "username": ADMIN[0],
            "password": ADMIN[1],
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        timeout=30,
    )
    assert answer.status_code == 200 and "Log out" in answer.text, answer.text[:500]
    return session


def snapshot(app) -> dict:
    return {
        "sessions": app.sessions(),
        "notes": app.work_notes()[NUMBER],
        "ledger": app.query("SELECT count(*) FROM support_sessions_noteledger")[0][0],
        "events": app.query(
            "SELECT outcome, attempts, delivery_count"
            " FROM support_sessions_outboundevent"
        ),
    }
