"""A worker killed in the middle of an import: the stranded claim expires, the
sweeper queues the event again, and a new worker completes it once."""

import os
import signal
import threading

import pytest
import requests

from tests.fakes import Answer
from tests.reports import ReportSpec, build_report, end_event

pytestmark = pytest.mark.integration

LSID = "5a1e0b6c2d3f4a5b6c7d8e9f0a1b2c3d"
NUMBER = "INC0031337"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CLAIM_SECONDS = 3


def test_an_import_stranded_by_a_killed_worker_is_completed_once(stack, fake):
    reply = build_report(
        ReportSpec(LSID, NUMBER, notes=["Reset the VPN profile.", "Closed."])
    )
    release = threading.Event()
    calls: list[int] = []

    def report(call):
        calls.append(1)
        if len(calls) == 1:
            # The first worker dies while this answer is held.
            release.wait(120)
        return Answer(200, reply)

    fake.default(f"report:{LSID}", report)
    app = stack(IMPORT_CLAIM_SECONDS=str(CLAIM_SECONDS))
    app.seed(fake.url, [NUMBER])
    app.start_web(workers=1, threads=2)
    # The solo pool runs the import in the worker's own process, so the kill
    # stops the import itself, not just a supervisor.
    first = app.start_worker("worker-1", "--pool=solo")

    try:
        answer = requests.post(
            app.receiver, data=end_event(LSID, NUMBER), headers=FORM, timeout=30
        )
        assert answer.status_code == 200
        app.wait_until(
            lambda: len(fake.report_calls(LSID)) == 1, "the first report fetch"
        )
        assert app.query("SELECT outcome FROM support_sessions_outboundevent") == [
            ("fetching",)
        ]

        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        app.processes.pop("worker-1")
    finally:
        release.set()
    assert app.query("SELECT count(*) FROM support_sessions_supportsession") == [(0,)]

    app.start_worker("worker-2", "--pool=solo")
    app.start_beat()
    app.wait_until(
        lambda: (
            app.query("SELECT outcome FROM support_sessions_outboundevent")
            == [("processed",)]
        ),
        "the stranded import to be completed",
    )

    assert len(fake.report_calls(LSID)) == 2
    assert app.sessions() == {LSID: (10, 1, 1)}
    # The transcript, each of the two session notes, the session-end notice.
    assert app.work_notes() == {NUMBER: 4}
    assert app.query("SELECT count(*) FROM support_sessions_noteledger") == [(4,)]
    assert app.query("SELECT count(*) FROM support_sessions_outboundevent") == [(1,)]
    assert [line for line in app.error_lines() if "worker-1" not in line] == []
