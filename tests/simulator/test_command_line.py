"""`python -m simulator session` and `serve`, run as real processes."""

import os
import select
import socket
import subprocess
import sys
from pathlib import Path

from tests.simulator.conftest import api, call, find

REPO = Path(__file__).resolve().parents[2]


def run(*args, timeout=15):
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def report(sim, lsid):
    params = {"generate_report": "SupportSession", "lsid": lsid}
    return find(api(sim, "/api/reporting", params).xml(), "session")[0]


def chat_lines(session):
    return [
        (find(e, "performed_by")[0].get("type"), find(e, "body")[0].text)
        for e in find(session, "session_details/event")
        if e.get("event_type") == "Chat Message"
    ]


def test_it_plays_a_whole_session_and_prints_its_lsid_last(sim):
    options = [
        ("--external-key", "INC0010001"),
        ("--rep", "dwhitfield"),
        ("--customer", "Priya Natarajan"),
        ("--chat", "Hello, which printer?"),
        ("--chat", "The Zebra one"),
        ("--chat", "Fixed it"),
        ("--note", "Rolled the driver back"),
        ("--custom", "snow_task_id=4f9c2a7b"),
        ("--url", sim.url),
    ]

    result = run("session", *[part for pair in options for part in pair], "--end")

    assert result.returncode == 0, result.stderr
    lsid = result.stdout.strip().splitlines()[-1]
    session = report(sim, lsid)
    events = [e.get("event_type") for e in find(session, "session_details/event")]
    assert find(session, "external_key")[0].text == "INC0010001"
    assert find(session, "primary_rep")[0].text == "Dana Whitfield"
    assert chat_lines(session) == [
        ("representative", "Hello, which printer?"),
        ("customer", "The Zebra one"),
        ("representative", "Fixed it"),
    ]
    assert events.count("Session Note Added") == 1
    assert events.count("File Upload") == 1
    assert events.count("System Information Retrieved") == 1
    assert events[-1] == "Session End"
    assert find(session, "end_time")
    custom = find(session, "custom_attributes/custom_attribute")
    assert {c.get("code_name"): c.text for c in custom}["snow_task_id"] == "4f9c2a7b"


def test_it_plays_a_default_four_line_chat_and_leaves_the_session_open(sim):
    result = run("session", "--external-key", "INC0010002", "--url", sim.url)

    assert result.returncode == 0, result.stderr
    session = report(sim, result.stdout.split()[-1])
    senders = [sender for sender, _ in chat_lines(session)]
    assert senders == ["representative", "customer"] * 2
    assert find(session, "end_time") == []


def test_it_says_how_to_start_the_simulator_when_none_is_running():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"

    result = run("session", "--external-key", "INC1", "--url", url)

    assert result.returncode != 0
    assert result.stderr.startswith(f"simulator not reachable at {url}: ")
    assert "start it with: python -m simulator serve" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_it_serves_until_terminated_and_says_where_it_listens():
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "SIM_RECIPIENTS": ""},
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 10)
        assert ready, "serve printed nothing within 10 s"
        line = process.stdout.readline()
        url = line.split("listening on ", 1)[1].split()[0]
        reply = call(url, "GET", "/check_health")
    finally:
        process.terminate()
        process.wait(5)

    assert url.startswith("http://127.0.0.1:")
    assert reply.body == b"OK"
    assert process.returncode == 0


def test_it_refuses_to_serve_with_a_non_loopback_recipient():
    result = run("serve", "--port", "0", "--recipient", "http://203.0.113.5/hook")

    assert result.returncode == 2
    assert "only loopback hosts" in result.stderr
