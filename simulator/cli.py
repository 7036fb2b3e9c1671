"""The `session` command: play a support session through a running simulator."""

from __future__ import annotations

import argparse
import http.client
import json
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from simulator.delivery import LOOPBACK_HOSTS

DEFAULT_URL = "http://127.0.0.1:8001"
DEFAULT_CHAT = (
    "Hi, this is the service desk. I am connected to your computer now.",
    "Thanks! The VPN keeps dropping every few minutes since this morning.",
    "I am sending a small script that resets the network adapter; please run it.",
    "Done. It has stayed connected for a while now, thank you!",
)
UPLOADED_FILE = "C:\\Users\\Public\\Downloads\\network-reset.cmd"
UPLOADED_SIZE = 2048


class UnreachableError(Exception):
    """The simulator did not answer at all."""


class ControlRequestError(Exception):
    """The simulator answered a control request with an error."""


class ControlClient:
    """A minimal JSON client for the simulator's /_sim/ control API."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._parts = urlsplit(self.base_url)
        self._timeout = timeout

    def post(self, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send JSON to a control path and return the decoded JSON answer."""
        connection = http.client.HTTPConnection(
            self._parts.hostname or "", self._parts.port, timeout=self._timeout
        )
        body = json.dumps(payload or {})
        headers = {"Content-Type": "application/json", "Connection": "close"}
        try:
            connection.request("POST", f"/_sim/{path}", body=body, headers=headers)
            response = connection.getresponse()
            status, raw = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise UnreachableError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            connection.close()

        return _decode(path, status, raw)


def _decode(path: str, status: int, raw: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {"error": raw.decode("utf-8", "replace")[:200]}

    if not 200 <= status < 300:
        raise ControlRequestError(f"POST /_sim/{path} failed ({status}): {answer}")

    return dict(answer)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of the `session` command."""
    parser.add_argument("--external-key", help="e.g. INC0010001")
    parser.add_argument("--rep", default="arep", help="rep username (default arep)")
    parser.add_argument("--customer", default="Jane Doe", help="customer name")
    parser.add_argument(
        "--chat", action="append", default=[], help="a chat line, rep first"
    )
    parser.add_argument("--note", action="append", default=[], help="a session note")
    parser.add_argument(
        "--custom",
        action="append",
        default=[],
        type=custom_pair,
        metavar="CODE=VALUE",
        help="a custom session attribute, e.g. snow_task_id=<sys_id>",
    )
    parser.add_argument("--end", action="store_true", help="end the session")
    parser.add_argument(
        "--resend-end",
        metavar="LSID",
        help="deliver an ended session's end event again (as an appliance that "
        "missed the 200 does), instead of playing a new session",
    )
    parser.add_argument("--url", default=DEFAULT_URL, help="the running simulator")


def custom_pair(raw: str) -> tuple[str, str]:
    """Parse CODE=VALUE into a pair, for argparse."""
    code, sep, value = raw.partition("=")
    if not sep or not code:
        raise argparse.ArgumentTypeError(f"expected CODE=VALUE, got {raw!r}")

    return code, value


def run(options: argparse.Namespace) -> int:
    """Play the session; print the lsid last; return the exit status."""
    host = urlsplit(options.url).hostname
    if host not in LOOPBACK_HOSTS:
        print(f"error: --url must point at loopback, not {host!r}", file=sys.stderr)
        return 2

    if not options.resend_end and not options.external_key:
        print("error: --external-key is required to play a session", file=sys.stderr)
        return 2

    client = ControlClient(options.url)
    try:
        lsid = resend(client, options) if options.resend_end else play(client, options)
    except UnreachableError as exc:
        print(
            f"simulator not reachable at {options.url}: {exc}; "
            "start it with: python -m simulator serve",
            file=sys.stderr,
        )
        return 1
    except ControlRequestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    print(lsid)
    return 0


def resend(client: ControlClient, options: argparse.Namespace) -> str:
    """Ask the simulator to deliver the session's end event again."""
    lsid = str(options.resend_end)
    client.post(f"sessions/{lsid}/resend-end", {})
    print(f"delivered the end event of {lsid} again")
    return lsid


def play(client: ControlClient, options: argparse.Namespace) -> str:
    """Drive one session through the control API and return its lsid."""
    created = client.post(
        "sessions",
        {
            "external_key": options.external_key,
            "rep": options.rep,
            "customer": options.customer,
            "custom": dict(options.custom),
        },
    )
    lsid = str(created["lsid"])
    print(f"started session {lsid} for {options.external_key}")
    converse(client, lsid, options.chat or DEFAULT_CHAT, options.note)
    client.post(
        f"sessions/{lsid}/file",
        {"filename": UPLOADED_FILE, "filesize": UPLOADED_SIZE},
    )
    client.post(f"sessions/{lsid}/sysinfo")
    if options.end:
        client.post(f"sessions/{lsid}/end")
        print(f"ended session {lsid}")
    return lsid


def converse(
    client: ControlClient, lsid: str, chat: Sequence[str], notes: Sequence[str]
) -> None:
    """Post the chat lines, alternating rep and customer from the rep, then notes."""
    for index, line in enumerate(chat):
        sender = "rep" if index % 2 == 0 else "customer"
        client.post(f"sessions/{lsid}/chat", {"text": line, "from": sender})
    for note in notes:
        client.post(f"sessions/{lsid}/note", {"text": note})
