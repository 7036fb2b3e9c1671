"""The BeyondTrust client: OAuth, the command API and the reporting API."""

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from django.conf import settings
from lxml import etree

from appliances import http, tokens
from appliances.choices import ReplyKind
from appliances.models import Appliance
from appliances.replies import Verdict, classify
from appliances.urls_guard import ApplianceUrlError
from appliances.xml import XmlParseError, XmlRefused, child, local_name, parse_bytes

logger = logging.getLogger(__name__)

# An appliance <error> document is far smaller than this; larger replies are data.
ERROR_REPLY_MAX_BYTES = 64 * 1024

# Tests replace this to count waits instead of sleeping.
sleep: Callable[[float], None] = time.sleep


class ApplianceError(Exception):
    """A call to the appliance failed; `str()` names the cause for an operator."""

    kind: ReplyKind = ReplyKind.ERROR

    def __init__(self, appliance: Appliance, message: str) -> None:
        super().__init__(f"Appliance {appliance.name}: {message}")
        self.appliance = appliance
        self.detail = message


class ApplianceUnreachable(ApplianceError):
    pass


class ApplianceAuthFailed(ApplianceError):
    kind = ReplyKind.AUTH_FAILED


class AppliancePermissionDenied(ApplianceError):
    kind = ReplyKind.PERMISSION


class ApplianceNoData(ApplianceError):
    kind = ReplyKind.NO_DATA


class ApplianceRateLimited(ApplianceError):
    kind = ReplyKind.RATE_LIMITED

    def __init__(self, appliance: Appliance, message: str, retry_after: float) -> None:
        super().__init__(appliance, message)
        self.retry_after = retry_after


class ApplianceBadReply(ApplianceError):
    """The reply could not be read: not XML, a DOCTYPE, or too large."""


_ERRORS: dict[ReplyKind, type[ApplianceError]] = {
    ReplyKind.AUTH_FAILED: ApplianceAuthFailed,
    ReplyKind.PERMISSION: AppliancePermissionDenied,
    ReplyKind.NO_DATA: ApplianceNoData,
    ReplyKind.ERROR: ApplianceError,
}


def raise_for_verdict(appliance: Appliance, verdict: Verdict) -> None:
    """Raise the error that matches a non-OK verdict."""
    if verdict.kind == ReplyKind.OK:
        return
    raise _ERRORS.get(verdict.kind, ApplianceError)(appliance, verdict.message)


@dataclass
class StreamedReply:
    """A reporting reply kept in a temporary file for the streaming parser."""

    status: int
    file: IO[bytes]
    size: int


def retry_after_seconds(headers: dict[str, str], attempt: int) -> float:
    """Return how long a 429 asks us to wait, or our own growing backoff."""
    value = headers.get("Retry-After", "").strip()
    # isdigit() alone accepts "²", which float() refuses: the import would crash.
    if value.isascii() and value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is not None:
        reference = _http_date(headers.get("Date", ""))
        if reference is not None:
            return max((when - reference).total_seconds(), 0.0)
        return max(when.timestamp() - time.time(), 0.0)
    # Missing or unreadable (a proxy's "soon", "2.5"): our own growing backoff.
    return float(2**attempt)


def _http_date(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class ApplianceClient:
    """Calls one appliance's APIs with the shared token, 401 renewal and 429 waits."""

    def __init__(self, appliance: Appliance, *, interactive: bool = False) -> None:
        self.appliance = appliance
        self.interactive = interactive

    def command(self, action: str, **params: str) -> etree._Element:
        """Call `/api/command` and return the reply's root element."""
        reply = self._authorised("GET", "/api/command", {"action": action, **params})
        return self._parse_small(reply)

    def report_to_file(self, report: str, **params: str) -> StreamedReply:
        """Download a `/api/reporting` reply into a temporary file, capped in size."""
        reply = self._authorised(
            "GET", "/api/reporting", {"generate_report": report, **params}, to_file=True
        )
        assert reply.file is not None
        if reply.status >= 400:
            body = reply.file.read(65536)
            reply.file.close()
            self._raise_for_small(reply.status, body, reply.headers)
        return StreamedReply(status=reply.status, file=reply.file, size=reply.size)

    def report(self, report: str, **params: str) -> etree._Element:
        """Call `/api/reporting` for a small report held in memory."""
        reply = self._authorised(
            "GET", "/api/reporting", {"generate_report": report, **params}
        )
        return self._parse_small(reply)

    def check_health_page(self) -> int:
        """Return the status of the unauthenticated `/check_health` page."""
        reply = self._send("GET", "/check_health", {})
        return reply.status

    def _authorised(
        self, method: str, path: str, params: dict[str, str], to_file: bool = False
    ) -> http.Reply:
        token = tokens.get_token(self.appliance)
        reply = self._with_rate_limit(method, path, params, token, to_file)
        if not self._is_auth_failure(reply):
            return reply

        # The token may have been evicted (30 per account) or revoked: renew once
        # and retry once; a second refusal is final.
        _close(reply)
        tokens.invalidate(self.appliance, token)
        token = tokens.get_token(self.appliance)
        return self._with_rate_limit(method, path, params, token, to_file)

    def _with_rate_limit(
        self, method: str, path: str, params: dict[str, str], token: str, to_file: bool
    ) -> http.Reply:
        config = settings.INTEGRATION
        attempts = config["MAX_429_RETRIES"]
        waited = 0.0
        for attempt in range(attempts + 1):
            reply = self._send(method, path, params, token=token, to_file=to_file)
            if reply.status != 429:
                return reply

            _close(reply)
            wait = retry_after_seconds(reply.headers, attempt + 1)
            # A person is waiting on an interactive call: the whole call, not
            # each wait, stays within MAX_INLINE_WAIT.
            budget = wait + waited if self.interactive else wait
            if attempt == attempts or budget > config["MAX_INLINE_WAIT"]:
                raise ApplianceRateLimited(
                    self.appliance,
                    f"the appliance is rate limiting (HTTP 429); it asks to wait "
                    f"{wait:.0f} s. Try again later.",
                    retry_after=wait,
                )
            logger.info(
                "Appliance %s rate limited the call; waiting %.1f s",
                self.appliance.name,
                wait,
            )
            sleep(wait)
            waited += wait
        raise AssertionError("unreachable")

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        token: str = "",
        to_file: bool = False,
    ) -> http.Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            return http.send(
                method,
                self.appliance.base_url + path,
                params=params,
                headers=headers,
                to_file=to_file,
            )
        except (http.TransportError, ApplianceUrlError) as exc:
            raise ApplianceUnreachable(self.appliance, str(exc)) from exc
        except http.ReplyTooLarge as exc:
            raise ApplianceBadReply(self.appliance, str(exc)) from exc

    def _is_auth_failure(self, reply: http.Reply) -> bool:
        if reply.status == 401:
            return True
        # An <error> document is small; a larger reply is data, and the words
        # "authentication failed" inside data (a chat line) must not decide.
        if reply.size > ERROR_REPLY_MAX_BYTES:
            return False
        limit = ERROR_REPLY_MAX_BYTES
        body = reply.body if reply.file is None else _peek(reply.file, limit)
        try:
            root = parse_bytes(body)
        except (XmlParseError, XmlRefused):
            return False
        if reply.file is None:
            reply.root = root
        return verdict_for_root(reply.status, root).kind == ReplyKind.AUTH_FAILED

    def _parse_small(self, reply: http.Reply) -> etree._Element:
        if reply.root is not None:
            raise_for_verdict(
                self.appliance, verdict_for_root(reply.status, reply.root)
            )
            root: etree._Element = reply.root
            return root
        return self._raise_for_small(reply.status, reply.body, reply.headers)

    def _raise_for_small(
        self, status: int, body: bytes, headers: dict[str, str]
    ) -> etree._Element:
        try:
            root = parse_bytes(body)
        except XmlRefused as exc:
            raise ApplianceBadReply(self.appliance, str(exc)) from exc
        except XmlParseError as exc:
            if status >= 400:
                raise_for_verdict(self.appliance, classify(status, "", error_text=""))
            raise ApplianceBadReply(
                self.appliance, f"the reply is not valid XML: {exc}"
            ) from exc
        raise_for_verdict(self.appliance, verdict_for_root(status, root))
        return root


REPORT_LIST_ROOTS = {"session_list"}


def verdict_for_root(status: int, root: etree._Element) -> Verdict:
    """Classify a parsed reply by status, `<error>` root or child, then code."""
    name = local_name(root.tag)
    error = root if name == "error" else child(root, "error")
    if error is None:
        # A report list without a session means "nothing matches", like <error>;
        # command lists (reps, teams) may be empty and still be an answer.
        empty = name in REPORT_LIST_ROOTS and child(root, "session") is None
        return classify(status, name, empty_list=empty)
    return classify(
        status,
        name,
        error_code=error.get("code", ""),
        error_text=error.text or "",
        has_error=True,
    )


def _peek(file: IO[bytes], size: int) -> bytes:
    position = file.tell()
    data = file.read(size)
    file.seek(position)
    return data


def _close(reply: http.Reply) -> None:
    if reply.file is not None:
        reply.file.close()


def describe_permissions(root: Any) -> dict[str, str]:
    """Return `get_api_info`'s permissions as a name → value mapping."""
    permissions = child(root, "permissions")
    if permissions is None:
        return {}
    return {
        item.get("name", ""): (item.text or "").strip()
        for item in permissions
        if local_name(item.tag) == "permission"
    }
