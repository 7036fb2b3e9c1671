"""The /_sim/ control API that drives sessions and exposes what happened."""

from simulator.server import _is_loopback
from tests.simulator.conftest import START, call, control, mint


def create(sim, **payload):
    return control(sim, "POST", "sessions", payload)


def test_it_creates_a_session_with_a_32_hex_lsid(sim):
    reply = create(sim, external_key="INC0010001", custom={"snow_task_id": "abc"})

    body = reply.json()
    assert reply.status == 201
    assert len(body["lsid"]) == 32
    assert body["lsid"] == body["lsid"].lower()
    int(body["lsid"], 16)
    assert body["start_time"] == START
    assert body["rep"] == "arep"
    assert body["custom"]["snow_task_id"] == "abc"


def test_it_lists_sessions_with_their_state(sim):
    first = create(sim, external_key="INC1").json()["lsid"]
    second = create(sim, external_key="INC2").json()["lsid"]
    control(sim, "POST", f"sessions/{second}/end")

    sessions = control(sim, "GET", "sessions").json()["sessions"]

    assert [(s["lsid"], s["ended"]) for s in sessions] == [
        (first, False),
        (second, True),
    ]


def test_it_adds_an_unknown_rep_as_a_new_logged_in_rep(sim):
    create(sim, rep="newbie")

    usernames = [rep.username for rep in sim.state.reps]

    assert usernames == ["arep", "dwhitfield", "newbie"]


def test_it_answers_404_for_an_unknown_lsid(sim):
    reply = control(sim, "POST", "sessions/" + "0" * 32 + "/chat", {"text": "hi"})

    assert reply.status == 404
    assert "0" * 32 in reply.json()["error"]


def test_it_refuses_events_on_an_ended_session(sim):
    lsid = create(sim).json()["lsid"]
    control(sim, "POST", f"sessions/{lsid}/end")

    reply = control(sim, "POST", f"sessions/{lsid}/note", {"text": "late"})

    assert reply.status == 409


def test_it_refuses_a_chat_from_an_unknown_party(sim):
    lsid = create(sim).json()["lsid"]

    reply = control(sim, "POST", f"sessions/{lsid}/chat", {"text": "x", "from": "bot"})

    assert reply.status == 400


def test_it_refuses_a_body_that_is_not_a_json_object(sim):
    assert call(sim.url, "POST", "/_sim/sessions", "[1]").status == 400
    assert call(sim.url, "POST", "/_sim/sessions", "{nope").status == 400


def test_it_answers_404_for_an_unknown_control_path(sim):
    assert control(sim, "GET", "nothing").status == 404


def test_it_forgets_everything_on_reset(sim):
    create(sim)
    mint(sim)
    control(sim, "POST", "faults", {"drop_next_events": 3})

    reply = control(sim, "POST", "reset", {})

    assert reply.status == 200
    assert control(sim, "GET", "sessions").json()["sessions"] == []
    assert control(sim, "GET", "calls").json() == {"token_calls": 0, "calls": []}
    assert control(sim, "GET", "faults").json()["drop_next_events"] == 0


def test_it_treats_only_loopback_peers_as_local():
    assert _is_loopback("127.0.0.1")
    assert _is_loopback("::1")
    assert _is_loopback("::ffff:127.0.0.1")
    assert not _is_loopback("203.0.113.5")
    assert not _is_loopback("::ffff:203.0.113.5")
