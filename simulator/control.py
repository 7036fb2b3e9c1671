"""The JSON control API under /_sim/ that tests and the CLI use to drive sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.delivery import Dispatcher, RecipientError
from simulator.state import SessionEndedError, SimulatorState, UnknownSessionError

Reply = tuple[int, dict[str, Any]]
DEFAULT_FILE = "C:\\Users\\Public\\Downloads\\network-reset.cmd"
CUSTOMER_DEFAULTS = {
    "company": "Example Corp",
    "company_code": "EXC",
    "issue": "",
    "details": "",
}


class ControlError(Exception):
    """A control request that cannot be carried out, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Control:
    """Route control requests to the state and the dispatcher."""

    state: SimulatorState
    dispatcher: Dispatcher

    def handle(self, method: str, path: str, payload: dict[str, Any]) -> Reply:
        """Carry out one control request and return (status, JSON body)."""
        parts = [part for part in path.split("/") if part][1:]
        try:
            return self._route(method, parts, payload)
        except UnknownSessionError as exc:
            return 404, {"error": str(exc)}
        except SessionEndedError as exc:
            return 409, {"error": str(exc)}
        except (RecipientError, ControlError) as exc:
            return getattr(exc, "status", 400), {"error": str(exc)}

    def _route(self, method: str, parts: list[str], payload: dict[str, Any]) -> Reply:
        if parts[:1] == ["sessions"] and len(parts) > 1:
            return self._session_route(method, parts[1:], payload)

        handler = self._routes().get((method, "/".join(parts)))
        if handler is None:
            raise ControlError(
                404, f"no control endpoint {method} /_sim/{'/'.join(parts)}"
            )

        return handler(payload)

    def _routes(self) -> dict[tuple[str, str], Callable[[dict[str, Any]], Reply]]:
        return {
            ("GET", "sessions"): self._list_sessions,
            ("POST", "sessions"): self._create_session,
            ("GET", "deliveries"): self._deliveries,
            ("GET", "calls"): self._calls,
            ("GET", "recipients"): self._recipients,
            ("POST", "recipients"): self._add_recipient,
            ("GET", "faults"): self._faults,
            ("POST", "faults"): self._set_faults,
            ("POST", "reset"): self._reset,
            ("GET", "clock"): self._clock,
            ("POST", "clock"): self._advance_clock,
        }

    def _session_route(
        self, method: str, parts: list[str], payload: dict[str, Any]
    ) -> Reply:
        lsid = parts[0]
        if method == "GET" and len(parts) == 1:
            return 200, self.state.get(lsid).summary()

        actions = {
            "chat": self._chat,
            "note": self._note,
            "file": self._file,
            "sysinfo": self._sysinfo,
            "end": self._end,
            "resend-end": self._resend_end,
        }
        action = actions.get(parts[1]) if len(parts) == 2 else None
        if method != "POST" or action is None:
            raise ControlError(404, f"no control endpoint {method} for session {lsid}")

        return action(lsid, payload)

    def _list_sessions(self, payload: dict[str, Any]) -> Reply:
        return 200, {"sessions": [s.summary() for s in self.state.sessions()]}

    def _create_session(self, payload: dict[str, Any]) -> Reply:
        info = {
            key: text(payload, key, default)
            for key, default in CUSTOMER_DEFAULTS.items()
        }
        session = self.state.create_session(
            external_key=text(payload, "external_key", ""),
            rep_username=text(payload, "rep", "arep") or "arep",
            customer_name=text(payload, "customer", "Jane Doe") or "Jane Doe",
            custom=custom_values(payload),
            info=info,
        )
        return 201, session.summary()

    def _chat(self, lsid: str, payload: dict[str, Any]) -> Reply:
        sender = text(payload, "from", "rep")
        if sender not in ("rep", "customer"):
            raise ControlError(400, '\'from\' must be "rep" or "customer"')

        session = self.state.add_chat(lsid, required_text(payload, "text"), sender)
        return 200, session.summary()

    def _note(self, lsid: str, payload: dict[str, Any]) -> Reply:
        session = self.state.add_note(lsid, required_text(payload, "text"))
        return 200, session.summary()

    def _file(self, lsid: str, payload: dict[str, Any]) -> Reply:
        filename = text(payload, "filename", DEFAULT_FILE) or DEFAULT_FILE
        filesize = payload.get("filesize", 2048)
        if not isinstance(filesize, int) or isinstance(filesize, bool) or filesize < 0:
            raise ControlError(400, "'filesize' must be a non-negative integer")

        session = self.state.add_file(lsid, filename, filesize)
        return 200, session.summary()

    def _sysinfo(self, lsid: str, payload: dict[str, Any]) -> Reply:
        return 200, self.state.add_system_information(lsid).summary()

    def _end(self, lsid: str, payload: dict[str, Any]) -> Reply:
        return 200, self.state.end_session(lsid).summary()

    def _resend_end(self, lsid: str, payload: dict[str, Any]) -> Reply:
        return 200, self.state.resend_end(lsid).summary()

    def _deliveries(self, payload: dict[str, Any]) -> Reply:
        return 200, {
            "deliveries": self.dispatcher.log.entries(),
            "idle": self.dispatcher.is_idle(),
        }

    def _calls(self, payload: dict[str, Any]) -> Reply:
        return 200, {
            "token_calls": self.state.token_calls,
            "calls": self.state.calls(),
        }

    def _recipients(self, payload: dict[str, Any]) -> Reply:
        return 200, {"recipients": self.dispatcher.recipients()}

    def _add_recipient(self, payload: dict[str, Any]) -> Reply:
        recipients = self.dispatcher.add_recipient(required_text(payload, "url"))
        return 201, {"recipients": recipients}

    def _faults(self, payload: dict[str, Any]) -> Reply:
        return 200, self.dispatcher.faults()

    def _set_faults(self, payload: dict[str, Any]) -> Reply:
        count = payload.get("drop_next_events", 0)
        events = payload.get("events", [])
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ControlError(400, "'drop_next_events' must be a non-negative integer")

        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise ControlError(400, "'events' must be a list of event names")

        return 200, self.dispatcher.set_faults(count, events)

    def _reset(self, payload: dict[str, Any]) -> Reply:
        self.state.reset()
        self.dispatcher.reset()
        return 200, {"reset": True, "recipients": self.dispatcher.recipients()}

    def _clock(self, payload: dict[str, Any]) -> Reply:
        return 200, {"now": self.state.clock.now()}

    def _advance_clock(self, payload: dict[str, Any]) -> Reply:
        seconds = payload.get("advance", 0)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise ControlError(400, "'advance' must be a number of seconds")

        self.state.clock.advance(seconds)
        return 200, {"now": self.state.clock.now()}


def text(payload: dict[str, Any], key: str, default: str) -> str:
    """Return a string field of the payload, or the default when it is absent."""
    value = payload.get(key, default)
    if value is None:
        return default

    if not isinstance(value, str):
        raise ControlError(400, f"{key!r} must be a string")

    return value


def required_text(payload: dict[str, Any], key: str) -> str:
    """Return a string field that must be present and non-empty."""
    value = text(payload, key, "")
    if not value:
        raise ControlError(400, f"{key!r} is required")

    return value


def custom_values(payload: dict[str, Any]) -> dict[str, str]:
    """Return the custom session attributes: an object of code name to string."""
    custom = payload.get("custom") or {}
    if not isinstance(custom, dict):
        raise ControlError(400, "'custom' must be an object of code_name: value")

    if not all(isinstance(v, str) for v in custom.values()):
        raise ControlError(400, "every 'custom' value must be a string")

    return {str(code): value for code, value in custom.items()}
