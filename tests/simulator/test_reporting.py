"""The reporting API: SupportSession by lsid, lsids and time window, and listings."""

import base64
from urllib.parse import unquote

import pytest

from tests.simulator.conftest import START, api, control, find, local

CHAT = 'Printer & scanner say "offline" <again>\r\nsince 9:00, ünïcödé'


def start_session(sim, external_key="INC0010001", **extra):
    payload = {"external_key": external_key, **extra}
    return control(sim, "POST", "sessions", payload).json()["lsid"]


def report(sim, **params):
    return api(sim, "/api/reporting", {"generate_report": "SupportSession", **params})


def lsids_of(root):
    return [s.get("lsid") for s in find(root, "session")]


def test_it_reports_one_session_by_lsid_with_the_full_element_tree(sim):
    lsid = start_session(
        sim, customer="Priya Natarajan", custom={"snow_task_id": "4f9c2a7b"}
    )
    control(sim, "POST", f"sessions/{lsid}/chat", {"text": "Hello", "from": "rep"})
    control(sim, "POST", f"sessions/{lsid}/note", {"text": "Reset done"})
    sim.state.clock.advance(902)
    control(sim, "POST", f"sessions/{lsid}/end")

    session = find(report(sim, lsid=lsid).xml(), "session")[0]

    assert session.get("lsid") == lsid
    assert text(session, "session_type") == "support"
    assert text(session, "lseq") == "7"
    assert find(session, "start_time")[0].get("timestamp") == str(START)
    assert text(session, "start_time") == "2024-12-03T15:26:05+00:00"
    assert find(session, "end_time")[0].get("timestamp") == str(START + 902)
    assert text(session, "duration") == "00:15:02"
    assert find(session, "public_site")[0].get("id") == "1"
    assert text(session, "external_key") == "INC0010001"
    assert text(session, "primary_customer") == "Priya Natarajan"
    assert find(session, "primary_rep")[0].attrib == {"gsnumber": "1", "id": "5"}


def test_it_always_reports_the_servicenow_custom_attributes(sim):
    lsid = start_session(sim, custom={"snow_task_id": "abc", "ticket_category": "Hw"})

    session = find(report(sim, lsid=lsid).xml(), "session")[0]

    attributes = {
        a.get("code_name"): (a.get("display_name"), a.text or "")
        for a in find(session, "custom_attributes/custom_attribute")
    }
    assert attributes["snow_task_id"] == ("ServiceNow Task ID", "abc")
    assert attributes["snow_call_id"][1] == ""
    assert attributes["snow_interaction_id"][1] == ""
    assert attributes["snow_cmdb_ci_id"][1] == ""
    assert attributes["ticket_category"] == ("Ticket Category", "Hw")


def test_it_reports_customers_reps_and_teams_linked_by_gsnumber(sim):
    lsid = start_session(sim, rep="dwhitfield", customer="Jane Doe", issue="VPN")

    session = find(report(sim, lsid=lsid).xml(), "session")[0]

    customer = find(session, "customer_list/customer")[0]
    rep = find(session, "rep_list/representative")[0]
    assert customer.get("gsnumber") == "2"
    assert text(customer, "username") == "jdoe"
    assert text(customer, "primary_cust") == "1"
    assert text(find(customer, "info")[0], "issue") == "VPN"
    assert (rep.get("gsnumber"), rep.get("id")) == ("1", "7")
    assert text(rep, "display_name") == "Dana Whitfield"
    assert text(rep, "session_owner") == "1"
    assert find(session, "team_list/team")[0].get("id") == "5"


def test_it_reports_every_kind_of_event_in_order(sim):
    lsid = start_session(sim)
    for step, payload in [
        ("chat", {"text": "Hi", "from": "rep"}),
        ("chat", {"text": "Hello", "from": "customer"}),
        ("note", {"text": "A note"}),
        ("file", {"filename": "C:\\fix.reg", "filesize": 512}),
        ("sysinfo", None),
        ("end", None),
    ]:
        control(sim, "POST", f"sessions/{lsid}/{step}", payload or {})

    events = find(report(sim, lsid=lsid).xml(), "session/session_details/event")

    assert [e.get("event_type") for e in events] == [
        "Session Start",
        "Conference Member Added",
        "Conference Member Added",
        "Conference Owner Changed",
        "Chat Message",
        "Chat Message",
        "Session Note Added",
        "File Upload",
        "System Information Retrieved",
        "Session End",
    ]
    assert find(events[1], "destination")[0].attrib == {
        "type": "customer",
        "gsnumber": "2",
    }
    assert find(events[3], "performed_by")[0].get("gsnumber") == "0"
    assert find(events[3], "performed_by")[0].text == "BeyondTrust"
    assert find(events[3], "data/value")[0].attrib == {
        "name": "owner",
        "value": "Alex Rep",
    }
    assert find(events[5], "performed_by")[0].get("type") == "customer"
    assert (text(events[7], "filename"), text(events[7], "filesize")) == (
        "C:\\fix.reg",
        "512",
    )
    rows = find(events[8], "system_information/category/data/row/field")
    assert rows and all(field.get("name") for field in rows)


def test_it_reports_the_chat_urls_and_file_counts_of_an_ended_session(sim):
    lsid = start_session(sim)
    control(sim, "POST", f"sessions/{lsid}/file", {})
    control(sim, "POST", f"sessions/{lsid}/end")

    session = find(report(sim, lsid=lsid).xml(), "session")[0]

    view_url = text(session, "session_chat_view_url")
    assert view_url.startswith("https://support.example.com/session_download?lsid=")
    assert f"l={lsid};" in unquote(view_url)
    assert view_url.endswith("&dl_action=chat&view=1")
    assert text(session, "session_chat_download_url").endswith("&dl_action=chat")
    assert text(session, "file_transfer_count") == "1"


def test_it_escapes_text_so_it_parses_back_unchanged(sim):
    lsid = start_session(sim, external_key="INC<&>\"'")
    control(sim, "POST", f"sessions/{lsid}/chat", {"text": CHAT, "from": "rep"})

    session = find(report(sim, lsid=lsid).xml(), "session")[0]

    assert text(session, "external_key") == "INC<&>\"'"
    assert find(session, "session_details/event/body")[0].text == CHAT


def test_it_base64_encodes_a_chat_line_that_xml_cannot_carry(sim):
    lsid = start_session(sim)
    control(sim, "POST", f"sessions/{lsid}/chat", {"text": "bell\x07", "from": "rep"})

    session = find(report(sim, lsid=lsid).xml(), "session")[0]

    encoded = find(session, "session_details/event/encoded_body")[0].text
    assert base64.b64decode(encoded) == b"bell\x07"


def test_it_reports_several_sessions_by_lsids(sim):
    first, _, third = (start_session(sim, f"INC{n}") for n in range(3))

    root = report(sim, lsids=f"{first}, {third}").xml()

    assert lsids_of(root) == [first, third]


def test_it_nests_an_error_in_the_session_list_when_nothing_matches(sim):
    reply = report(sim, lsid="0" * 32)

    root = reply.xml()
    assert reply.status == 200
    assert local(root) == "session_list"
    assert [local(child) for child in root] == ["error"]
    assert root[0].text == "No report data matches the requested criteria."


@pytest.fixture
def timeline(sim):
    """Start A at START, B at +100 and end it at +150, C at +200 (running)."""
    a = start_session(sim, "INC_A")
    sim.state.clock.advance(100)
    b = start_session(sim, "INC_B")
    sim.state.clock.advance(50)
    control(sim, "POST", f"sessions/{b}/end")
    sim.state.clock.advance(50)
    c = start_session(sim, "INC_C")
    return a, b, c


def test_it_selects_sessions_started_in_a_window_including_running_ones(sim, timeline):
    a, b, c = timeline

    open_ended = report(sim, start_time=str(START + 50), duration="0").xml()
    bounded = report(sim, start_time=str(START), duration="60").xml()

    assert lsids_of(open_ended) == [b, c]
    assert lsids_of(bounded) == [a]


def test_it_selects_only_ended_sessions_for_an_end_time_window(sim, timeline):
    _, b, _ = timeline

    ended = report(sim, end_time=str(START), duration="0").xml()
    later = report(sim, end_time=str(START + 151), duration="0").xml()

    assert lsids_of(ended) == [b]
    assert lsids_of(later) == []


def test_it_selects_by_start_date_in_days(sim, timeline):
    root = report(sim, start_date="2024-12-03", duration="1").xml()

    assert lsids_of(root) == list(timeline)


def test_it_lists_session_summaries_for_a_window(sim, timeline):
    a, b, c = timeline

    reply = api(
        sim,
        "/api/reporting",
        {"generate_report": "SupportSessionListing", "start_time": str(START)},
    )

    root = reply.xml()
    summaries = find(root, "session_summary")
    assert local(root) == "session_summary_list"
    assert [s.get("lsid") for s in summaries] == [a, b, c]
    assert all(s.get("has_recording") == "0" for s in summaries)
    assert summaries[1].get("end_time") == str(START + 150)
    assert summaries[2].get("end_time") is None
    assert summaries[2].get("start_time") == str(START + 200)


def test_it_answers_an_unknown_report_with_an_error_root(sim):
    reply = api(sim, "/api/reporting", {"generate_report": "Nonsense"})

    assert reply.status == 200
    assert local(reply.xml()) == "error"


def test_it_answers_a_malformed_window_with_an_error_root(sim):
    reply = report(sim, start_time="yesterday")

    assert local(reply.xml()) == "error"
    assert "start_time" in reply.xml().text


def text(element, name):
    return find(element, name)[0].text
