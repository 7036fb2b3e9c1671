"""`serve` options and the SIM_* environment variables that give their defaults."""

import pytest

from simulator.__main__ import build_parser, config_from
from simulator.delivery import RecipientError
from simulator.state import DEFAULT_APPLIANCE_ID


def parse(*args):
    return config_from(build_parser().parse_args(["serve", *args]))


def test_it_defaults_to_loopback_port_8001_and_the_demo_client(monkeypatch):
    for name in ("SIM_CLIENT_ID", "SIM_CLIENT_SECRET", "SIM_APPLIANCE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SIM_RECIPIENTS", raising=False)

    config = parse()

    assert (config.host, config.port) == ("127.0.0.1", 8001)
    assert (config.client_id, config.client_secret) == ("demo-client", "demo-secret")
    assert config.appliance_id == DEFAULT_APPLIANCE_ID
    assert config.recipients == []
    assert (config.retry_interval, config.retry_duration) == (5.0, 3600.0)
    assert config.report_lag == 0.0
    assert config.namespace_style == "beyondtrust"


def test_it_takes_its_defaults_from_the_environment(monkeypatch):
    monkeypatch.setenv("SIM_CLIENT_ID", "env-client")
    monkeypatch.setenv("SIM_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("SIM_APPLIANCE_ID", "env-guid")
    monkeypatch.setenv("SIM_RECIPIENTS", "http://127.0.0.1:8000/a, http://[::1]:8000/b")

    config = parse()

    assert (config.client_id, config.client_secret) == ("env-client", "env-secret")
    assert config.appliance_id == "env-guid"
    assert config.recipients == ["http://127.0.0.1:8000/a", "http://[::1]:8000/b"]


def test_it_prefers_options_over_the_environment(monkeypatch):
    monkeypatch.setenv("SIM_CLIENT_ID", "env-client")
    monkeypatch.setenv("SIM_RECIPIENTS", "http://127.0.0.1:8000/a")

    config = parse(
        "--client-id=cli-client",
        "--recipient=http://localhost:9000/b",
        "--namespace-style=bomgar",
        "--report-lag=30",
    )

    assert config.client_id == "cli-client"
    assert config.recipients == ["http://localhost:9000/b"]
    assert config.namespace_style == "bomgar"
    assert config.report_lag == 30.0


def test_it_refuses_a_non_loopback_recipient_from_the_environment(monkeypatch):
    monkeypatch.setenv("SIM_RECIPIENTS", "https://snow.example.com/hook")

    with pytest.raises(RecipientError):
        parse()
