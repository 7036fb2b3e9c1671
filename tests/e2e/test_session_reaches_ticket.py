"""The spine, with real processes: a session played on the simulator reaches its
incident through the webhook, the worker and the import, exactly once."""

import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

CHATS = ["Hello Olu, Marta here.", "Hi! My VPN keeps dropping.", "Reinstalling it now."]


def play_session(stack, *extra: str) -> str:
    args = [sys.executable, "-m", "simulator", "session", "--url", stack.simulator]
    args += ["--external-key", "INC0010001", "--note", "Reinstalled the VPN client."]
    for chat in CHATS:
        args += ["--chat", chat]
    result = subprocess.run(
        [*args, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def wait_until(check, seconds: float = 40):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def incident_notes(stack) -> list[str]:
    rows = stack.query(
        "SELECT j.value FROM itsm_journalentry j JOIN itsm_task t ON t.sys_id = j.element_id "
        "WHERE t.number = 'INC0010001' AND j.element = 'work_notes' ORDER BY j.id"
    )
    return [row[0] for row in rows]


def test_it_writes_a_played_session_to_its_incident_once(stack):
    lsid = play_session(stack, "--end")

    notes = wait_until(
        lambda: len(incident_notes(stack)) >= 3 and incident_notes(stack)
    )
    session = stack.query(
        "SELECT id, event_count FROM support_sessions_supportsession WHERE lsid = ?",
        lsid,
    )

    session_id, event_count = session[0]
    transcript = next(note for note in notes if "Chat transcript" in note)
    assert all(chat in transcript for chat in CHATS)
    assert any("Reinstalled the VPN client." in note for note in notes)
    assert event_count >= 8
    for table in (
        "sessionrep",
        "sessioncustomer",
        "sessioncustomattribute",
        "sessionteam",
    ):
        rows = stack.query(
            f"SELECT COUNT(*) FROM support_sessions_{table} WHERE session_id = ?",
            session_id,
        )
        assert rows[0][0] >= 1, table
    linked = stack.query(
        "SELECT t.number FROM support_sessions_supportsession s "
        "JOIN itsm_task t ON t.id = s.task_id WHERE s.lsid = ?",
        lsid,
    )
    assert linked == [("INC0010001",)]

    # The appliance delivers the same end event again: nothing is added.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "session",
            "--url",
            stack.simulator,
            "--resend-end",
            lsid,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    wait_until(
        lambda: (
            stack.query(
                "SELECT delivery_count FROM support_sessions_outboundevent WHERE lsid = ? "
                "AND event = 'support_conference_end'",
                lsid,
            )
            == [(2,)]
        )
    )
    time.sleep(3)
    assert len(incident_notes(stack)) == len(notes)
    assert stack.query(
        "SELECT delivery_count, outcome FROM support_sessions_outboundevent WHERE lsid = ? "
        "AND event = 'support_conference_end'",
        lsid,
    ) == [(2, "processed")]
    assert stack.query(
        "SELECT COUNT(*) FROM support_sessions_supportsession WHERE lsid = ?", lsid
    ) == [(1,)]
