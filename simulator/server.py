"""The simulator's HTTP server: OAuth, command, reporting and control endpoints."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import signal
import socket
import socketserver
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, unquote

from simulator import api_replies, xml
from simulator.control import Control
from simulator.delivery import DeliverySettings, Dispatcher
from simulator.state import TOKEN_LIFETIME, SimulatorConfig, SimulatorState

MAX_BODY = 1024 * 1024
AUTH_FAILED = "The API account could not be authenticated for this request."
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=UTF-8"


class BodyTooLargeError(ValueError):
    """A request body above the size the simulator reads."""


class SimulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the simulator's state."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, config: SimulatorConfig, state: SimulatorState, dispatcher: Dispatcher
    ) -> None:
        self.config = config
        self.state = state
        self.dispatcher = dispatcher
        self.control = Control(state, dispatcher)
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), SimulatorHandler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup that HTTPServer.server_bind makes."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.config.host
        self.server_port = self.server_address[1]


class SimulatorHandler(BaseHTTPRequestHandler):
    """Answer one request per connection, as the appliance does."""

    protocol_version = "HTTP/1.1"
    server: SimulatorServer
    body: bytes = b""

    def do_GET(self) -> None:
        """Handle a GET request."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """Handle a POST request."""
        self._dispatch("POST")

    def do_PUT(self) -> None:
        """Refuse a PUT request."""
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        """Refuse a DELETE request."""
        self._dispatch("DELETE")

    def version_string(self) -> str:
        """Return the Server header the recorded appliance sends."""
        return "Apache"

    def log_message(self, format: str, *args: Any) -> None:
        """Write an access log line only when the configuration asks for one."""
        if self.server.config.access_log:
            super().log_message(format, *args)

    def _dispatch(self, method: str) -> None:
        self.close_connection = True
        try:
            # Read the whole body first: closing a socket with unread input makes
            # the kernel reset the connection, and the client may lose the answer.
            self.body = self._read_body()
        except BodyTooLargeError as exc:
            self._send(413, str(exc).encode(), TEXT_TYPE)
            return

        self._route(method)

    def _route(self, method: str) -> None:
        path, _, query = self.path.partition("?")
        if method not in ("GET", "POST"):
            self._send(405, b"Method Not Allowed", TEXT_TYPE, {"Allow": "GET, POST"})
        elif path.startswith("/_sim/"):
            self._control(method, path)
        elif path == "/oauth2/token":
            self._token(method)
        elif path in ("/api/command", "/api/reporting"):
            self._xml_api(method, path, query)
        elif path == "/check_health" and method == "GET":
            self._send(200, b"OK", TEXT_TYPE)
        else:
            self._send(404, b"Not Found", TEXT_TYPE)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode("utf-8")
        self._send(status, body, JSON_TYPE, {"Cache-Control": "no-store"})

    def _send_xml(self, status: int, root: xml.Node, api: str) -> None:
        xmlns = xml.namespace(self.server.config.namespace_style, api)
        self._send(status, xml.document(root, xmlns), xml.CONTENT_TYPE)

    def _read_body(self) -> bytes:
        raw = self.headers.get("Content-Length") or "0"
        length = int(raw) if raw.isdigit() else 0
        if length > MAX_BODY:
            raise BodyTooLargeError(f"a request body of {length} bytes is too large")

        return self.rfile.read(length)

    def _token(self, method: str) -> None:
        credentials = self._basic_credentials()
        fields = dict(parse_qsl(self.body.decode("utf-8", "replace")))
        status, payload = self._token_reply(method, credentials, fields)
        self.server.state.record_call(
            {
                "method": method,
                "path": "/oauth2/token",
                "client_id": credentials[0] if credentials else None,
                "status": status,
            }
        )
        self._send_json(status, payload)

    def _token_reply(
        self,
        method: str,
        credentials: tuple[str, str] | None,
        fields: dict[str, str],
    ) -> tuple[int, dict[str, Any]]:
        config = self.server.config
        if method != "POST":
            return 405, {"error": "invalid_request"}

        if credentials != (config.client_id, config.client_secret):
            return 401, {"error": "invalid_client"}

        if fields.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}

        token = self.server.state.tokens.mint(config.client_id)
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
        }

    def _basic_credentials(self) -> tuple[str, str] | None:
        """Return the (client id, secret) pair of a Basic header, if there is one."""
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None

        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None

        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)

    def _bearer(self) -> str | None:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None

        return token.strip() or None

    def _xml_api(self, method: str, path: str, query: str) -> None:
        api = path.rsplit("/", 1)[1]
        params = self._params(method, query)
        if params is None:
            message = "Multipart POST is not supported; send form-encoded parameters."
            self._send_xml(400, xml.error(message), api)
            return

        token = self._bearer()
        live = token is not None and self.server.state.tokens.is_live(token)
        self._record_api_call(method, path, params, token, live)
        if not live:
            self._send_xml(401, xml.error(AUTH_FAILED, "authentication_failed"), api)
            return

        answer = api_replies.command if api == "command" else api_replies.reporting
        self._send_xml(200, answer(self.server.state, params), api)

    def _params(self, method: str, query: str) -> dict[str, str] | None:
        """Return query and form parameters merged, or None for a multipart body."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        if method != "POST":
            return params

        content_type = self.headers.get("Content-Type", "").lower()
        if content_type.startswith("multipart/"):
            return None

        form = parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {**params, **dict(form)}

    def _record_api_call(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        token: str | None,
        live: bool,
    ) -> None:
        self.server.state.record_call(
            {
                "method": method,
                "path": path,
                "action": params.get("action"),
                "report": params.get("generate_report"),
                "lsid": params.get("lsid") or params.get("lsids"),
                "token": token,
                "authenticated": live,
                "params": params,
            }
        )

    def _control(self, method: str, path: str) -> None:
        if not _is_loopback(self.client_address[0]):
            self._send_json(403, {"error": "the control API answers loopback only"})
            return

        try:
            payload = json.loads(self.body or b"{}")
        except ValueError as exc:
            self._send_json(400, {"error": f"the body must be a JSON object: {exc}"})
            return

        if not isinstance(payload, dict):
            self._send_json(400, {"error": "the body must be a JSON object"})
            return

        self._send_json(*self.server.control.handle(method, path, payload))


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False

    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


@dataclass
class RunningSimulator:
    """A simulator serving from a background thread."""

    server: SimulatorServer
    thread: threading.Thread

    @property
    def state(self) -> SimulatorState:
        """Return the live state, for tests to inspect and move the clock."""
        return self.server.state

    @property
    def dispatcher(self) -> Dispatcher:
        """Return the outbound event dispatcher."""
        return self.server.dispatcher

    @property
    def port(self) -> int:
        """Return the port the server is bound to."""
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:8001."""
        host = self.server.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop serving, close the socket and stop the delivery threads."""
        self.server.shutdown()
        self.server.server_close()
        self.server.dispatcher.stop()
        self.thread.join(5)


def build_server(config: SimulatorConfig) -> SimulatorServer:
    """Wire state, dispatcher and server together and bind the socket."""
    settings = DeliverySettings(
        clock=config.clock,
        retry_interval=config.retry_interval,
        retry_duration=config.retry_duration,
        timeout=config.delivery_timeout,
    )
    dispatcher = Dispatcher(settings, config.recipients)
    state = SimulatorState(config, dispatcher.publish)
    try:
        return SimulatorServer(config, state, dispatcher)
    except OSError:
        dispatcher.stop()
        raise


def start_in_thread(config: SimulatorConfig) -> RunningSimulator:
    """Start a simulator on config.port (0 picks a free one) in a daemon thread."""
    server = build_server(config)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="simulator-http",
        daemon=True,
    )
    thread.start()
    return RunningSimulator(server, thread)


def serve(config: SimulatorConfig) -> None:
    """Run the simulator in the foreground until SIGINT or SIGTERM."""
    running = start_in_thread(config)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    recipients = ", ".join(running.dispatcher.recipients()) or "none"
    print(
        f"BeyondTrust simulator listening on {running.url} "
        f"(namespace {config.namespace_style}, appliance {config.appliance_id}, "
        f"recipients {recipients})",
        flush=True,
    )
    while not stopping.wait(0.5):
        pass
    running.stop()
    print("BeyondTrust simulator stopped", file=sys.stderr, flush=True)
