"""Outbound events only ever go to loopback recipients."""

import pytest

from simulator.delivery import RecipientError, validate_recipient
from tests.simulator.conftest import control


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "https://localhost/hook",
        "http://[::1]:9000/api/x_bmgr_support_ent/outbound_event/session_end",
    ],
)
def test_it_accepts_a_loopback_recipient(url):
    assert validate_recipient(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://203.0.113.5/hook",
        "https://snow.example.com/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1.example.com/hook",
        "http://127.0.0.1@203.0.113.5/hook",
        "http://0.0.0.0:8000/hook",
    ],
)
def test_it_refuses_a_recipient_that_is_not_on_loopback(url):
    with pytest.raises(RecipientError, match="only loopback hosts"):
        validate_recipient(url)


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/hook", "127.0.0.1:8000/hook", "http://127.0.0.1:x/"]
)
def test_it_refuses_a_recipient_that_is_not_an_http_url(url):
    with pytest.raises(RecipientError):
        validate_recipient(url)


def test_it_refuses_a_non_loopback_recipient_through_the_control_api(sim):
    reply = control(sim, "POST", "recipients", {"url": "http://203.0.113.5/hook"})

    assert reply.status == 400
    assert "only loopback hosts" in reply.json()["error"]
    assert control(sim, "GET", "recipients").json()["recipients"] == []


def test_it_refuses_to_start_with_a_non_loopback_recipient(start_simulator):
    with pytest.raises(RecipientError):
        start_simulator(recipients=["https://snow.example.com/hook"])
