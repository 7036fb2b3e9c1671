"""F11 on the production parts: identical end events racing in pairs through
gunicorn into PostgreSQL, imported by a real Celery worker over Redis."""

import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.reports import ReportSpec, build_report, end_event

pytestmark = pytest.mark.integration

CASE = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "cases"
    / "F11-duplicate-delivery"
)
CASE_LSID = "fccd1d3b4594d440df848aebfcc99237"
CASE_NUMBER = "INC0010092"
PAIRS = 300
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
OK = (200, '{"status":"ok"}')
SURVEY = "support_conference_customer_exit_survey_completed"


def post(url: str, body: bytes) -> tuple[int, str]:
    response = requests.post(url, data=body, headers=FORM, timeout=60)
    return response.status_code, response.text


def post_pairs(
    url: str, bodies: list[bytes]
) -> list[tuple[tuple[int, str], tuple[int, str]]]:
    """POST each body twice at the same moment (two threads meet at a barrier)."""
    barriers = [threading.Barrier(2, timeout=60) for _ in bodies]

    def send(index: int) -> tuple[int, str]:
        barriers[index].wait()
        return post(url, bodies[index])

    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = [
            (pool.submit(send, i), pool.submit(send, i)) for i in range(len(bodies))
        ]
        return [(first.result(), second.result()) for first, second in futures]


@pytest.mark.parametrize("dispatch", ["on_commit", "outbox"])
def test_identical_deliveries_racing_in_pairs_are_absorbed(stack, fake, dispatch):
    reply = (CASE / "reply.xml").read_bytes()
    lsids = [CASE_LSID] + [f"{0xA11CE000 + n:032x}" for n in range(1, PAIRS)]
    numbers = [CASE_NUMBER] + [f"INC{20000 + n:07d}" for n in range(1, PAIRS)]
    bodies = [(CASE / "event.form").read_bytes()] + [
        end_event(lsid, number)
        for lsid, number in zip(lsids[1:], numbers[1:], strict=True)
    ]
    fake.report(CASE_LSID, reply)
    for lsid, number in zip(lsids[1:], numbers[1:], strict=True):
        fake.report(lsid, build_report(ReportSpec(lsid, number)))

    app = stack(RECEIVER_DISPATCH=dispatch)
    app.seed(fake.url, numbers)
    app.start_web(workers=4, threads=8)
    app.start_worker("worker", "--concurrency=4")
    if dispatch == "outbox":
        app.start("dispatcher", sys.executable, "manage.py", "dispatch_events")

    # A: every identical pair at the same moment, as real HTTP requests.
    answers = post_pairs(app.receiver, bodies)

    assert [pair for pair in answers if pair != (OK, OK)] == []
    app.wait_until(lambda: processed(app) == PAIRS, f"{PAIRS} imports")

    events = app.query(
        "SELECT lsid, identity, delivery_count, outcome"
        " FROM support_sessions_outboundevent"
    )
    assert sorted(lsid for lsid, *_ in events) == sorted(lsids)
    assert {(count, outcome) for _, _, count, outcome in events} == {(2, "processed")}
    assert len({identity for _, identity, _, _ in events}) == PAIRS
    sessions = app.sessions()
    assert sorted(sessions) == sorted(lsids)
    assert sessions[CASE_LSID] == (12, 1, 1)
    notes = app.work_notes()
    # Transcript, the one session note, the session-end notice: once each.
    assert notes == dict.fromkeys(numbers, 3)
    calls = {lsid: len(fake.report_calls(lsid)) for lsid in lsids}
    assert calls == dict.fromkeys(lsids, 1)

    # B: the appliance sends the same bytes again after the import finished.
    assert post(app.receiver, bodies[0]) == OK
    # C: the survey event for the same session is an event of its own.
    assert post(app.receiver, (CASE / "event-survey.form").read_bytes()) == OK
    drain(app)

    assert app.query(
        "SELECT event, delivery_count, outcome, reason_code, session_id IS NULL"
        " FROM support_sessions_outboundevent WHERE lsid = %s ORDER BY id",
        CASE_LSID,
    ) == [
        ("support_conference_end", 3, "processed", "", False),
        (SURVEY, 1, "unhandled", "survey", True),
    ]
    assert len(fake.report_calls(CASE_LSID)) == 1
    assert app.sessions() == sessions
    assert app.work_notes() == notes
    received = re.findall(r"import_event_task\[[^]]+\] received", app.log("worker"))
    assert len(received) == PAIRS
    assert app.error_lines() == []


def processed(app) -> int:
    return app.query(
        "SELECT count(*) FROM support_sessions_outboundevent"
        " WHERE outcome = 'processed'"
    )[0][0]


def drain(app) -> None:
    """Let anything queued so far run: a sweep published now is received after it,
    and it must find nothing left to queue."""
    assert app.run_task("sessions.tasks.sweep_outbound_events_task") == "0"
