"""Outbound events: only 200 delivers, failures retry and block later events."""

import socket

from simulator.state import Clock
from tests.simulator.conftest import control, wait_for

BEGIN = "support_conference_begin"
ADDED = "support_conference_member_added"
END = "support_conference_end"


def fast(start_simulator, *recipients, **settings):
    """Start a simulator that retries every 20 ms and posts to the recipients."""
    settings.setdefault("retry_interval", 0.02)
    settings.setdefault("delivery_timeout", 1.0)
    return start_simulator(recipients=[r.url for r in recipients], **settings)


def play(sim, external_key="INC0010001", end=True):
    lsid = control(sim, "POST", "sessions", {"external_key": external_key})
    lsid = lsid.json()["lsid"]
    if end:
        control(sim, "POST", f"sessions/{lsid}/end")
    return lsid


def attempts(sim):
    return control(sim, "GET", "deliveries").json()["deliveries"]


def test_it_posts_the_session_events_form_encoded_in_order(
    start_simulator, make_recipient
):
    recipient = make_recipient()
    sim = fast(start_simulator, recipient, appliance_id="guid-1")

    lsid = play(sim)

    wait_for(lambda: len(recipient.received) == 4)
    assert recipient.events() == [BEGIN, ADDED, ADDED, END]
    assert set(recipient.content_types) == {"application/x-www-form-urlencoded"}
    begin = recipient.received[0]
    assert begin == {
        "event": BEGIN,
        "version": "3",
        "timestamp": "1733239565",
        "appliance_id": "guid-1",
        "lsid": lsid,
        "external_key": "INC0010001",
    }


def test_it_names_the_member_in_member_added_events(start_simulator, make_recipient):
    recipient = make_recipient()
    sim = fast(start_simulator, recipient)

    play(sim, end=False)

    wait_for(lambda: len(recipient.received) == 3)
    members = [
        (f["type"], f["username"], f["display_name"]) for f in recipient.received[1:]
    ]
    assert members == [
        ("customer", "jdoe", "Jane Doe"),
        ("representative", "arep", "Alex Rep"),
    ]


def test_it_treats_any_status_but_200_as_a_failure(start_simulator, make_recipient):
    statuses = iter([204, 201, 302])
    recipient = make_recipient(lambda form: next(statuses, 200))
    sim = fast(start_simulator, recipient)

    play(sim, end=False)

    wait_for(lambda: len(recipient.received) == 6)
    first_four = attempts(sim)[:4]
    assert [(a["event"], a["status"], a["outcome"]) for a in first_four] == [
        (BEGIN, 204, "retrying"),
        (BEGIN, 201, "retrying"),
        (BEGIN, 302, "retrying"),
        (BEGIN, 200, "delivered"),
    ]
    assert [a["attempt"] for a in first_four] == [1, 2, 3, 4]


def test_it_holds_back_later_events_until_the_head_is_delivered(
    start_simulator, make_recipient
):
    failures = {"left": 3}

    def respond(form):
        if form["event"] == BEGIN and failures["left"]:
            failures["left"] -= 1
            return 503
        return 200

    recipient = make_recipient(respond)
    sim = fast(start_simulator, recipient)

    play(sim)

    wait_for(lambda: len(recipient.received) == 7)
    assert recipient.events() == [BEGIN, BEGIN, BEGIN, BEGIN, ADDED, ADDED, END]


def test_it_blocks_one_recipient_without_holding_up_another(
    start_simulator, make_recipient
):
    broken = make_recipient(lambda form: 500)
    healthy = make_recipient()
    sim = fast(start_simulator, broken, healthy)

    play(sim)

    wait_for(lambda: len(healthy.received) == 4)
    assert set(broken.events()) == {BEGIN}


def test_it_drops_an_event_after_the_retry_duration_and_moves_on(
    start_simulator, make_recipient
):
    recipient = make_recipient(lambda form: 500 if form["event"] == BEGIN else 200)
    sim = fast(start_simulator, recipient, retry_duration=600)
    play(sim)
    wait_for(lambda: len(recipient.received) >= 2)

    sim.state.clock.advance(600)

    wait_for(lambda: recipient.events()[-3:] == [ADDED, ADDED, END])
    begin_attempts = [a for a in attempts(sim) if a["event"] == BEGIN]
    assert begin_attempts[-1]["outcome"] == "dropped"
    assert all(a["outcome"] == "retrying" for a in begin_attempts[:-1])
    assert recipient.events().count(BEGIN) == len(begin_attempts)


def test_it_drops_an_event_by_wall_clock_too(start_simulator, make_recipient):
    recipient = make_recipient(lambda form: 500 if form["event"] == BEGIN else 200)
    sim = fast(start_simulator, recipient, retry_duration=0.15, clock=Clock())

    play(sim)

    wait_for(lambda: recipient.events()[-1:] == [END])
    begin_attempts = [a for a in attempts(sim) if a["event"] == BEGIN]
    assert begin_attempts[-1]["outcome"] == "dropped"
    assert begin_attempts[-1]["time"] - begin_attempts[0]["time"] >= 0.15


def test_it_retries_a_refused_connection(start_simulator):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sim = start_simulator(
        recipients=[f"http://127.0.0.1:{port}/hook"], retry_interval=0.02
    )

    play(sim, end=False)

    wait_for(lambda: len(attempts(sim)) >= 2)
    first = attempts(sim)[0]
    assert first["status"] is None
    assert "ConnectionRefused" in first["error"]
    assert first["outcome"] == "retrying"


def test_it_loses_the_next_matching_events_on_a_drop_fault(
    start_simulator, make_recipient
):
    recipient = make_recipient()
    sim = fast(start_simulator, recipient)
    control(sim, "POST", "faults", {"drop_next_events": 1, "events": [END]})

    lost = play(sim, "INC1")
    kept = play(sim, "INC2")

    wait_for(lambda: len(recipient.received) == 7)
    ends = [f["lsid"] for f in recipient.received if f["event"] == END]
    assert ends == [kept]
    faults = control(sim, "GET", "faults").json()
    assert faults["drop_next_events"] == 0
    assert [(s["event"], s["lsid"]) for s in faults["suppressed"]] == [(END, lost)]
    assert all(a["lsid"] != lost or a["event"] != END for a in attempts(sim))


def test_it_drops_any_event_when_the_fault_names_none(start_simulator, make_recipient):
    recipient = make_recipient()
    sim = fast(start_simulator, recipient)
    control(sim, "POST", "faults", {"drop_next_events": 2})

    play(sim)

    wait_for(lambda: len(recipient.received) == 2)
    assert recipient.events() == [ADDED, END]


def test_it_starts_posting_to_a_recipient_added_at_run_time(
    start_simulator, make_recipient
):
    sim = fast(start_simulator)
    recipient = make_recipient()

    added = control(sim, "POST", "recipients", {"url": recipient.url})
    play(sim)

    assert added.status == 201
    assert added.json()["recipients"] == [recipient.url]
    wait_for(lambda: len(recipient.received) == 4)
