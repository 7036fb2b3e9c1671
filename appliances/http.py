"""One HTTP request to an appliance: its own connection, bounded, never redirected.

The appliance expects each API call on a connection of its own, so every request
sends `Connection: close` through a fresh session, and the HTTP layer never retries
by itself (a retry here would hide a second request from the appliance's count).
"""

import socket
import tempfile
from dataclasses import dataclass
from typing import IO, Any

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from appliances.urls_guard import ApplianceUrlError, check_peer_address

USER_AGENT = "bt-servicenow-integration/0.1"
CHUNK = 256 * 1024


class TransportError(Exception):
    """The appliance could not be reached or did not answer; the message says why."""


class ReplyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The reply is larger than the download cap of {limit:,} bytes "
            "(REPORT_MAX_BYTES); it was not read to the end."
        )
        self.limit = limit


def _guard(sock: socket.socket, scheme: str) -> None:
    try:
        peer = sock.getpeername()[0]
        check_peer_address(peer, scheme)
    except ApplianceUrlError:
        sock.close()
        raise


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _guard(sock, "http")
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _guard(sock, "https")
        return sock


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    file: IO[bytes] | None = None
    size: int = 0
    # The parsed document of an in-memory body, kept so it is parsed once.
    root: Any = None


def _session() -> requests.Session:
    session = requests.Session()
    adapter = _GuardedAdapter(
        max_retries=urllib3.Retry(total=0, redirect=False, read=False)
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False
    return session


def send(
    method: str,
    url: str,
    *,
    params: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    to_file: bool = False,
    max_bytes: int | None = None,
    proxies: dict[str, str] | None = None,
) -> Reply:
    """Send one request on its own connection and return the whole reply.

    With `to_file`, the body streams into a temporary file capped at `max_bytes`.
    """
    config = settings.INTEGRATION
    all_headers = {"Connection": "close", "User-Agent": USER_AGENT, **(headers or {})}
    limit = max_bytes or config["REPORT_MAX_BYTES"]
    with _session() as session:
        try:
            response = session.request(
                method,
                url,
                params=params,
                data=data,
                headers=all_headers,
                auth=auth,
                timeout=(config["CONNECT_TIMEOUT"], config["READ_TIMEOUT"]),
                allow_redirects=False,
                stream=True,
                proxies=proxies,
            )
        except requests.exceptions.RequestException as exc:
            raise TransportError(describe_failure(exc, url)) from exc
        except ApplianceUrlError as exc:
            raise TransportError(str(exc)) from exc
        with response:
            return _read(response, url, to_file, limit)


def _read(response: requests.Response, url: str, to_file: bool, limit: int) -> Reply:
    reply = Reply(status=response.status_code, headers=dict(response.headers))
    # The temporary file is handed to the caller open; it closes it after parsing.
    sink: Any = (
        tempfile.TemporaryFile(prefix="bt-reply-")  # noqa: SIM115
        if to_file
        else _MemorySink()
    )
    try:
        for chunk in response.iter_content(CHUNK):
            reply.size += len(chunk)
            if reply.size > limit:
                sink.close()
                raise ReplyTooLarge(limit)
            sink.write(chunk)
    except requests.exceptions.RequestException as exc:
        sink.close()
        raise TransportError(describe_failure(exc, url)) from exc
    if to_file:
        sink.seek(0)
        reply.file = sink
    else:
        reply.body = sink.getvalue()  # type: ignore[attr-defined]
    return reply


class _MemorySink:
    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(data)
        return len(data)

    def getvalue(self) -> bytes:
        return b"".join(self._parts)

    def close(self) -> None:
        self._parts.clear()


def describe_failure(exc: BaseException, url: str) -> str:
    """Name the cause of a failed call in an operator's words."""
    host = url.split("/")[2] if "://" in url else url
    text = str(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"The appliance at {host} did not accept a connection in time."
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"The appliance at {host} did not answer in time."
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS with {host} failed: the certificate is not trusted or invalid."
    if (
        "Name or service not known" in text
        or "NameResolutionError" in text
        or ("getaddrinfo" in text)
    ):
        return f"Unknown host: {host} cannot be resolved. Check the host name."
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return f"Connection refused by {host}: nothing listens there, or a firewall."
    for cause in _causes(exc):
        if isinstance(cause, ApplianceUrlError):
            return str(cause)
    return f"The appliance at {host} could not be reached: {type(exc).__name__}."


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
        if current is not None and current.args:
            for arg in current.args:
                if isinstance(arg, BaseException):
                    seen.append(arg)
    return seen
