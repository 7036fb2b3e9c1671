"""A report fetched too soon after the end still looks like a running session."""

from tests.simulator.conftest import START, api, control, find


def report(sim, lsid):
    params = {"generate_report": "SupportSession", "lsid": lsid}
    return find(api(sim, "/api/reporting", params).xml(), "session")[0]


def played_session(sim):
    """Start at START, chat at +2, note at +18, end at +20."""
    lsid = control(sim, "POST", "sessions", {"external_key": "INC1"}).json()["lsid"]
    sim.state.clock.advance(2)
    control(sim, "POST", f"sessions/{lsid}/chat", {"text": "early", "from": "rep"})
    sim.state.clock.advance(16)
    control(sim, "POST", f"sessions/{lsid}/note", {"text": "late"})
    sim.state.clock.advance(2)
    control(sim, "POST", f"sessions/{lsid}/end")
    return lsid


def test_it_omits_the_end_time_and_last_events_during_the_report_lag(
    start_simulator,
):
    sim = start_simulator(report_lag=15)
    lsid = played_session(sim)

    session = report(sim, lsid)

    events = [e.get("event_type") for e in find(session, "session_details/event")]
    assert find(session, "end_time") == []
    assert events[-1] == "Chat Message"
    assert "Session Note Added" not in events
    assert "Session End" not in events
    assert find(session, "lseq")[0].text == str(len(events))


def test_it_reports_the_whole_session_once_the_lag_has_passed(start_simulator):
    sim = start_simulator(report_lag=15)
    lsid = played_session(sim)

    sim.state.clock.advance(15)
    session = report(sim, lsid)

    events = [e.get("event_type") for e in find(session, "session_details/event")]
    assert find(session, "end_time")[0].get("timestamp") == str(START + 20)
    assert events[-2:] == ["Session Note Added", "Session End"]


def test_it_leaves_a_lagging_session_out_of_end_time_windows(start_simulator):
    sim = start_simulator(report_lag=15)
    played_session(sim)
    params = {"generate_report": "SupportSession", "end_time": str(START)}

    during = api(sim, "/api/reporting", params).xml()
    sim.state.clock.advance(15)
    after = api(sim, "/api/reporting", params).xml()

    assert find(during, "session") == []
    assert len(find(after, "session")) == 1


def test_it_reports_the_end_at_once_without_a_lag(sim):
    lsid = played_session(sim)

    assert find(report(sim, lsid), "end_time")[0].get("timestamp") == str(START + 20)
