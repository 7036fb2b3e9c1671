"""A scriptable fake appliance on loopback, for tests that need exact answers.

It answers the token, command and reporting endpoints from queues of scripted
replies (falling back to defaults), and records every request with the connection
it arrived on, so tests can count calls, tokens and connections.
"""

import base64
import itertools
import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

XML_HEADERS = {"Content-Type": "text/xml; charset=UTF-8"}


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: dict(XML_HEADERS))
    delay: float = 0.0


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    connection: int

    @property
    def token(self) -> str:
        return self.headers.get("Authorization", "").removeprefix("Bearer ")


Responder = Callable[[Call], Answer]


class FakeAppliance:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.connections = 0
        self.scripts: dict[str, deque[Answer | Responder]] = defaultdict(deque)
        self.defaults: dict[str, Answer | Responder] = {}
        self.minted: list[str] = []
        self.client_id = "test-client"
        self.client_secret = "test-secret"
        self.refuse_tokens = False
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeAppliance":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- scripting ----------------------------------------------------------
    def script(self, key: str, *answers: Answer | Responder) -> None:
        """Queue answers for `key`: "token", "command:<action>", "report:<lsid>"."""
        self.scripts[key].extend(answers)

    def default(self, key: str, answer: Answer | Responder) -> None:
        self.defaults[key] = answer

    def report(self, lsid: str, body: bytes, status: int = 200) -> None:
        self.default(f"report:{lsid}", Answer(status, body))

    # --- what happened ------------------------------------------------------
    def calls_to(self, key: str) -> list[Call]:
        return [call for call in self.calls if _key(call) == key]

    def token_calls(self) -> list[Call]:
        return self.calls_to("token")

    def report_calls(self, lsid: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.path == "/api/reporting"
            and (lsid is None or c.params.get("lsid") == lsid)
        ]

    # --- serving ------------------------------------------------------------
    def _answer(self, call: Call) -> Answer:
        key = _key(call)
        with self._lock:
            queue = self.scripts.get(key)
            scripted = queue.popleft() if queue else None
        answer = scripted or self.defaults.get(key)
        if answer is None and key == "token":
            return self._mint(call)
        if answer is None and call.path in {"/api/reporting", "/api/command"}:
            if not self._token_valid(call):
                return Answer(401, _auth_error())
            return Answer(200, _no_data())
        if answer is None:
            return Answer(404, b"not found", {"Content-Type": "text/plain"})
        return answer(call) if callable(answer) else answer

    def _token_valid(self, call: Call) -> bool:
        return call.token in self.minted[-30:]

    def _mint(self, call: Call) -> Answer:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode())
        if (
            self.refuse_tokens
            or call.headers.get("Authorization") != f"Basic {expected.decode()}"
        ):
            return Answer(
                401, b'{"error":"invalid_client"}', {"Content-Type": "application/json"}
            )
        token = f"tok-{next(self._counter):04d}"
        self.minted.append(token)
        body = json.dumps(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        )
        return Answer(200, body.encode(), {"Content-Type": "application/json"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with fake._lock:
                    fake.connections += 1
                    self.connection_number = fake.connections
                self.served = 0

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._serve(self.rfile.read(length).decode())

            def _serve(self, body: str) -> None:
                self.served += 1
                if self.served > 1:
                    # A reused connection: close without answering, as the
                    # appliance does.
                    self.close_connection = True
                    return
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                params.update(parse_qsl(body, keep_blank_values=True))
                call = Call(
                    self.command,
                    parts.path,
                    params,
                    dict(self.headers),
                    self.connection_number,
                )
                with fake._lock:
                    fake.calls.append(call)
                answer = fake._answer(call)
                if answer.delay:
                    threading.Event().wait(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer.body)
                self.close_connection = True

        return Handler


def _key(call: Call) -> str:
    if call.path == "/oauth2/token":
        return "token"
    if call.path == "/api/command":
        return f"command:{call.params.get('action', '')}"
    if call.path == "/api/reporting":
        report = call.params.get("generate_report", "")
        if report == "SupportSession" and "lsid" in call.params:
            return f"report:{call.params['lsid']}"
        return f"report:{report}"
    return call.path


def _auth_error() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n\n<error code="authentication_failed">'
        b"The API account could not be authenticated for this request.</error>"
    )


def _no_data() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n\n'
        b"<error>No report data matches the requested criteria.</error>"
    )
