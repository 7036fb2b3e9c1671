"""Shared fixtures: an in-thread simulator, an HTTP helper and a webhook recipient."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from simulator.server import RunningSimulator, start_in_thread
from simulator.state import Clock, SimulatorConfig

START = 1_733_239_565  # 2024-12-03T15:26:05Z


@dataclass
class Reply:
    """A response as the test saw it."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body decoded as JSON."""
        return json.loads(self.body)

    def xml(self) -> ET.Element:
        """Return the body parsed as XML."""
        return ET.fromstring(self.body)


def call(
    base_url: str,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Send one request to the simulator on a fresh connection."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


def basic(client_id: str = "demo-client", secret: str = "demo-secret") -> str:
    """Return an HTTP Basic Authorization value."""
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def mint(sim: RunningSimulator, authorization: str | None = None) -> Reply:
    """Ask the simulator's token endpoint for a token."""
    return call(
        sim.url,
        "POST",
        "/oauth2/token",
        "grant_type=client_credentials",
        {
            "Authorization": authorization or basic(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def bearer(sim: RunningSimulator) -> dict[str, str]:
    """Return an Authorization header with a freshly minted token."""
    return {"Authorization": "Bearer " + mint(sim).json()["access_token"]}


def api(
    sim: RunningSimulator,
    path: str,
    params: dict[str, str],
    headers: dict[str, str] | None = None,
) -> Reply:
    """GET an XML API with query parameters and a fresh token."""
    return call(
        sim.url, "GET", f"{path}?{urlencode(params)}", None, headers or bearer(sim)
    )


def control(
    sim: RunningSimulator, method: str, path: str, payload: Any = None
) -> Reply:
    """Call the /_sim/ control API with a JSON body."""
    body = None if payload is None else json.dumps(payload)
    return call(sim.url, method, f"/_sim/{path}", body)


def local(element: ET.Element) -> str:
    """Return an element's tag without its namespace."""
    return element.tag.rsplit("}", 1)[-1]


def find(element: ET.Element, path: str) -> list[ET.Element]:
    """Return descendants along a slash path of local names."""
    found = [element]
    for step in path.split("/"):
        found = [child for parent in found for child in parent if local(child) == step]
    return found


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll until the predicate holds, failing the test after the timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def start_simulator() -> Iterator[Callable[..., RunningSimulator]]:
    """Start simulators on free loopback ports and stop them after the test."""
    running: list[RunningSimulator] = []

    def start(**overrides: Any) -> RunningSimulator:
        overrides.setdefault("clock", Clock(START, frozen=True))
        sim = start_in_thread(SimulatorConfig(port=0, **overrides))
        running.append(sim)
        return sim

    yield start
    for sim in running:
        sim.stop()


@pytest.fixture
def sim(start_simulator: Callable[..., RunningSimulator]) -> RunningSimulator:
    """Return a simulator with default settings and a frozen clock."""
    return start_simulator()


class Recipient:
    """A webhook receiver on 127.0.0.1 that answers with a chosen status."""

    def __init__(self, respond: Callable[[dict[str, str]], int]) -> None:
        self.respond = respond
        self.received: list[dict[str, str]] = []
        self.content_types: list[str] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """Return the receiver's URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/outbound"

    def events(self) -> list[str]:
        """Return the event names received so far, in order."""
        with self.lock:
            return [form["event"] for form in self.received]

    def stop(self) -> None:
        """Stop the receiver."""
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        recipient = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                with recipient.lock:
                    recipient.received.append(form)
                    recipient.content_types.append(self.headers["Content-Type"])
                status = recipient.respond(form)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def make_recipient() -> Iterator[Callable[..., Recipient]]:
    """Start webhook receivers and stop them after the test."""
    started: list[Recipient] = []

    def make(respond: Callable[[dict[str, str]], int] = lambda form: 200) -> Recipient:
        recipient = Recipient(respond)
        started.append(recipient)
        return recipient

    yield make
    for recipient in started:
        recipient.stop()
