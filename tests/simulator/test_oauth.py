"""The token endpoint: Basic client credentials, 30 live tokens, one-hour lifetime."""

from tests.simulator.conftest import api, basic, call, control, mint


def test_it_mints_a_bearer_token_for_the_right_client_credentials(sim):
    reply = mint(sim)

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 32


def test_it_mints_a_different_token_each_time(sim):
    first = mint(sim).json()["access_token"]
    second = mint(sim).json()["access_token"]

    assert first != second


def test_it_refuses_a_wrong_secret_as_invalid_client(sim):
    reply = mint(sim, basic("demo-client", "wrong"))

    assert reply.status == 401
    assert reply.json() == {"error": "invalid_client"}


def test_it_refuses_a_request_without_basic_credentials(sim):
    reply = call(sim.url, "POST", "/oauth2/token", "grant_type=client_credentials")

    assert reply.status == 401
    assert reply.json() == {"error": "invalid_client"}


def test_it_refuses_a_grant_other_than_client_credentials(sim):
    reply = call(
        sim.url,
        "POST",
        "/oauth2/token",
        "grant_type=password",
        {"Authorization": basic()},
    )

    assert reply.status == 400
    assert reply.json() == {"error": "unsupported_grant_type"}


def test_it_accepts_the_configured_client_instead_of_the_demo_one(start_simulator):
    sim = start_simulator(client_id="snow", client_secret="s3cret:with:colons")

    assert mint(sim, basic("snow", "s3cret:with:colons")).status == 200
    assert mint(sim).status == 401


def test_it_evicts_the_oldest_of_31_tokens(sim):
    tokens = [mint(sim).json()["access_token"] for _ in range(31)]

    oldest = api(sim, "/api/command", {"action": "get_api_info"}, auth(tokens[0]))
    second = api(sim, "/api/command", {"action": "get_api_info"}, auth(tokens[1]))
    newest = api(sim, "/api/command", {"action": "get_api_info"}, auth(tokens[30]))
    assert (oldest.status, second.status, newest.status) == (401, 200, 200)
    assert sim.state.tokens.live_count("demo-client") == 30


def test_it_expires_a_token_an_hour_after_minting(sim):
    token = mint(sim).json()["access_token"]

    sim.state.clock.advance(3599)
    assert (
        api(sim, "/api/command", {"action": "check_health"}, auth(token)).status == 200
    )

    sim.state.clock.advance(1)
    assert (
        api(sim, "/api/command", {"action": "check_health"}, auth(token)).status == 401
    )


def test_it_lets_expired_tokens_make_room_for_new_ones(sim):
    for _ in range(30):
        mint(sim)
    sim.state.clock.advance(3600)

    fresh = mint(sim).json()["access_token"]

    assert sim.state.tokens.live_count("demo-client") == 1
    assert (
        api(sim, "/api/command", {"action": "check_health"}, auth(fresh)).status == 200
    )


def test_it_counts_every_token_call_including_failures(sim):
    mint(sim)
    mint(sim)
    mint(sim, basic("demo-client", "wrong"))

    calls = control(sim, "GET", "calls").json()

    assert calls["token_calls"] == 3
    statuses = [c["status"] for c in calls["calls"] if c["path"] == "/oauth2/token"]
    assert statuses == [200, 200, 401]


def test_it_moves_the_clock_through_the_control_api(sim):
    token = mint(sim).json()["access_token"]

    control(sim, "POST", "clock", {"advance": 3600})

    assert (
        api(sim, "/api/command", {"action": "check_health"}, auth(token)).status == 401
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
