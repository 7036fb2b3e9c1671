"""The command API: its actions, namespaces, authentication and parameter forms."""

import pytest

from tests.simulator.conftest import api, bearer, call, find, local

NAMESPACES = {
    "beyondtrust": (
        "https://www.beyondtrust.com/namespaces/API/command",
        "https://www.beyondtrust.com/namespaces/API/reporting",
    ),
    "bomgar": (
        "http://www.bomgar.com/namespaces/API/command",
        "http://www.bomgar.com/namespaces/API/reporting",
    ),
    "pra": (
        "https://www.beyondtrust.com/namespaces/API/command",
        "http://www.beyondtrust.com/sra/namespaces/API/reporting",
    ),
}


def test_it_answers_get_api_info_with_version_and_permissions(sim):
    reply = api(sim, "/api/command", {"action": "get_api_info"})

    root = reply.xml()
    assert local(root) == "api_information"
    assert find(root, "api_version")[0].text == "1.23.0"
    assert find(root, "timestamp")[0].text == "1733239565"
    permissions = {p.get("name"): p.text for p in find(root, "permissions/permission")}
    assert permissions["perm_command"] == "full_access"
    assert permissions["perm_reporting_support"] == "1"


def test_it_sends_xml_with_the_declaration_and_a_blank_line(sim):
    reply = api(sim, "/api/command", {"action": "get_api_info"})

    assert reply.headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert reply.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n\n<')


def test_it_answers_check_health_with_the_appliance_id_and_hostname(start_simulator):
    sim = start_simulator(appliance_id="abc-123", hostname_for_urls="bt.example.com")

    root = api(sim, "/api/command", {"action": "check_health"}).xml()

    appliance = find(root, "appliance")[0]
    assert (local(root), appliance.get("id"), appliance.text) == (
        "health_check",
        "abc-123",
        "bt.example.com",
    )
    assert find(root, "success")[0].text == "1"
    assert find(root, "failover_role")[0].text == "none"


def test_it_lists_two_teams_with_three_issues(sim):
    root = api(sim, "/api/command", {"action": "get_support_teams"}).xml()

    teams = find(root, "support_team")
    issues = find(root, "support_team/issues/issue")
    assert [find(t, "name")[0].text for t in teams] == [
        "Service Desk L2",
        "Network Operations",
    ]
    assert [find(i, "code_name")[0].text for i in issues] == ["vpn", "printing", "wifi"]
    assert all(i.get("id") and find(i, "description")[0].text for i in issues)


def test_it_lists_the_logged_in_reps(sim):
    root = api(sim, "/api/command", {"action": "get_logged_in_reps"}).xml()

    reps = find(root, "rep")
    assert local(root) == "logged_in_reps"
    assert [r.get("id") for r in reps] == ["5", "7"]
    assert find(reps[0], "public_display_name")[0].text == "Alex Rep"
    assert find(reps[0], "type")[0].text == "Normal"
    assert find(reps[0], "showing_on_rep_list")[0].text == "1"


def test_it_answers_an_unknown_action_with_an_error_root(sim):
    reply = api(sim, "/api/command", {"action": "make_coffee"})

    assert reply.status == 200
    assert local(reply.xml()) == "error"
    assert "make_coffee" in reply.xml().text


@pytest.mark.parametrize("style", sorted(NAMESPACES))
def test_it_uses_the_namespace_of_the_chosen_style(start_simulator, style):
    sim = start_simulator(namespace_style=style)
    command_ns, reporting_ns = NAMESPACES[style]

    command = api(sim, "/api/command", {"action": "get_api_info"}).xml()
    report = api(sim, "/api/reporting", {"generate_report": "SupportSession"}).xml()

    assert command.tag == f"{{{command_ns}}}api_information"
    assert report.tag == f"{{{reporting_ns}}}session_list"


@pytest.mark.parametrize("style", sorted(NAMESPACES))
def test_it_refuses_a_missing_token_with_a_namespaced_401(start_simulator, style):
    sim = start_simulator(namespace_style=style)

    reply = call(sim.url, "GET", "/api/reporting?generate_report=SupportSession")

    assert reply.status == 401
    root = reply.xml()
    assert root.tag == f"{{{NAMESPACES[style][1]}}}error"
    assert root.get("code") == "authentication_failed"
    assert root.text == "The API account could not be authenticated for this request."


def test_it_refuses_an_unknown_bearer_token(sim):
    reply = api(
        sim, "/api/command", {"action": "get_api_info"}, {"Authorization": "Bearer x"}
    )

    assert reply.status == 401
    assert reply.xml().get("code") == "authentication_failed"


def test_it_handles_a_form_encoded_post_like_a_get(sim):
    reply = call(
        sim.url,
        "POST",
        "/api/command",
        "action=get_support_teams",
        {**bearer(sim), "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert reply.status == 200
    assert local(reply.xml()) == "support_teams"


def test_it_refuses_a_multipart_post(sim):
    body = "--b\r\nContent-Disposition: form-data; name=action\r\n\r\nx\r\n--b--\r\n"
    reply = call(
        sim.url,
        "POST",
        "/api/command",
        body,
        {**bearer(sim), "Content-Type": "multipart/form-data; boundary=b"},
    )

    assert reply.status == 400
    assert local(reply.xml()) == "error"


def test_it_answers_the_unauthenticated_health_url_with_ok(sim):
    reply = call(sim.url, "GET", "/check_health")

    assert (reply.status, reply.body) == (200, b"OK")


def test_it_records_each_api_call_with_its_token(sim):
    headers = bearer(sim)
    api(sim, "/api/command", {"action": "check_health"}, headers)

    calls = sim.state.calls()

    assert calls[-1]["path"] == "/api/command"
    assert calls[-1]["action"] == "check_health"
    assert calls[-1]["token"] == headers["Authorization"].split()[1]
    assert calls[-1]["authenticated"] is True


def test_it_refuses_methods_other_than_get_and_post(sim):
    reply = call(sim.url, "PUT", "/api/command?action=get_api_info", b"", bearer(sim))

    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, POST"
