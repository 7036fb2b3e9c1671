"""With real processes: the appliance loses a session's end webhook, and
`manage.py pull_sessions` imports that session, exactly once."""

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

CHATS = ["Hello Olu, Marta here.", "Hi! My VPN keeps dropping."]
NOTE = "Reinstalled the VPN client."


def control(stack, method: str, path: str, payload: dict | None = None) -> dict:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{stack.simulator}/_sim/{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def play_session(stack) -> str:
    args = [sys.executable, "-m", "simulator", "session", "--url", stack.simulator]
    args += ["--external-key", "INC0010001", "--note", NOTE, "--end"]
    for chat in CHATS:
        args += ["--chat", chat]
    result = subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def incident_notes(stack) -> list[str]:
    rows = stack.query(
        "SELECT j.value FROM itsm_journalentry j "
        "JOIN itsm_task t ON t.sys_id = j.element_id "
        "WHERE t.number = 'INC0010001' AND j.element = 'work_notes' ORDER BY j.id"
    )
    return [row[0] for row in rows]


def wait_until(check, seconds: float = 40):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def events_for(stack, lsid: str) -> list[tuple]:
    return stack.query(
        "SELECT source, outcome FROM support_sessions_outboundevent WHERE lsid = ? "
        "AND event = 'support_conference_end'",
        lsid,
    )


def test_it_imports_a_session_whose_end_webhook_was_lost(stack):
    control(
        stack,
        "POST",
        "faults",
        {"drop_next_events": 1, "events": ["support_conference_end"]},
    )
    lsid = play_session(stack)
    suppressed = control(stack, "GET", "faults")["suppressed"]
    assert [item["lsid"] for item in suppressed] == [lsid]
    time.sleep(2)
    assert events_for(stack, lsid) == []

    out = stack.manage("pull_sessions")

    assert out.startswith("Default: 1 listed, 1 new, 0 already known")
    wait_until(lambda: events_for(stack, lsid) == [("pull", "processed")])
    notes = wait_until(
        lambda: len(incident_notes(stack)) >= 3 and incident_notes(stack)
    )
    assert sum(NOTE in note for note in notes) == 1
    assert sum(CHATS[0] in note for note in notes) == 1
    assert len(notes) == 3

    # A second pull finds the session known: nothing is fetched or written again.
    again = stack.manage("pull_sessions")
    time.sleep(2)

    assert again.startswith("Default: 1 listed, 0 new, 1 already known")
    assert incident_notes(stack) == notes
    assert stack.query(
        "SELECT COUNT(*) FROM support_sessions_supportsession WHERE lsid = ?", lsid
    ) == [(1,)]
    assert events_for(stack, lsid) == [("pull", "processed")]
