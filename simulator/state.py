"""In-memory appliance state: configuration, clock, tokens, people and sessions."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.model import (
    SNOW_ATTRIBUTES,
    SYSTEM,
    OutboundEvent,
    Participant,
    Rep,
    ReportQuery,
    ReportView,
    SessionEvent,
    SupportSession,
    Team,
    default_reps,
    default_teams,
    new_lsid,
    report_view,
)

TOKEN_LIFETIME = 3600
MAX_LIVE_TOKENS = 30
OUTBOUND_VERSION = "3"
DEFAULT_APPLIANCE_ID = "5b0e2d7c-91a4-4f63-8e2b-c4d1a7f09e36"


class Clock:
    """Wall-clock time that tests can move forward, or freeze at a given moment."""

    def __init__(self, start: float | None = None, *, frozen: bool = False) -> None:
        self._frozen = frozen
        self._start = time.time() if start is None else start
        self._offset = 0.0 if frozen else self._start - time.time()
        self._lock = threading.Lock()

    def now(self) -> float:
        """Return the current simulated UNIX time in seconds."""
        with self._lock:
            base = self._start if self._frozen else time.time()
            return base + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by the given number of seconds."""
        with self._lock:
            self._offset += seconds


@dataclass
class SimulatorConfig:
    """Everything the simulator can be told at start-up."""

    host: str = "127.0.0.1"
    port: int = 0
    namespace_style: str = "beyondtrust"
    client_id: str = "demo-client"
    client_secret: str = "demo-secret"
    appliance_id: str = DEFAULT_APPLIANCE_ID
    recipients: list[str] = field(default_factory=list)
    retry_interval: float = 5.0
    retry_duration: float = 3600.0
    report_lag: float = 0.0
    hostname_for_urls: str = "support.example.com"
    delivery_timeout: float = 5.0
    access_log: bool = False
    clock: Clock = field(default_factory=Clock)


class UnknownSessionError(LookupError):
    """No session has the requested lsid."""


class SessionEndedError(Exception):
    """The session has ended and takes no more events."""


class TokenStore:
    """OAuth tokens per client: at most 30 live ones, each valid for an hour."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_client: dict[str, deque[tuple[str, float]]] = {}

    def mint(self, client_id: str) -> str:
        """Issue a new token, evicting the client's oldest when 30 are live."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            ring = self._by_client.setdefault(client_id, deque())
            self._purge_expired(ring)
            while len(ring) >= MAX_LIVE_TOKENS:
                ring.popleft()
            ring.append((token, self._clock.now()))
        return token

    def is_live(self, token: str) -> bool:
        """Return whether the token was issued, not evicted, and not expired."""
        now = self._clock.now()
        with self._lock:
            return any(
                issued == token and now < minted + TOKEN_LIFETIME
                for ring in self._by_client.values()
                for issued, minted in ring
            )

    def live_count(self, client_id: str) -> int:
        """Return how many tokens of the client are still usable."""
        with self._lock:
            ring = self._by_client.get(client_id, deque())
            self._purge_expired(ring)
            return len(ring)

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._by_client.clear()

    def _purge_expired(self, ring: deque[tuple[str, float]]) -> None:
        now = self._clock.now()
        while ring and now >= ring[0][1] + TOKEN_LIFETIME:
            ring.popleft()


class SimulatorState:
    """The appliance's mutable state, shared by the HTTP handler threads."""

    def __init__(
        self, config: SimulatorConfig, publish: Callable[[OutboundEvent], None]
    ) -> None:
        self.config = config
        self.clock = config.clock
        self.tokens = TokenStore(self.clock)
        self.teams = default_teams()
        self.reps = default_reps()
        self.token_calls = 0
        self._publish = publish
        self._lock = threading.RLock()
        self._sessions: dict[str, SupportSession] = {}
        self._calls: list[dict[str, Any]] = []

    def now(self) -> int:
        """Return the current simulated time in whole seconds."""
        return int(self.clock.now())

    def reset(self) -> None:
        """Forget sessions, tokens, recorded calls and ad-hoc representatives."""
        with self._lock:
            self._sessions.clear()
            self._calls.clear()
            self.tokens.clear()
            self.token_calls = 0
            self.reps = default_reps()

    def record_call(self, entry: dict[str, Any]) -> None:
        """Append one API call to the call log, stamped with the current time."""
        with self._lock:
            self._calls.append({"time": self.clock.now(), **entry})
            if entry.get("path") == "/oauth2/token":
                self.token_calls += 1

    def calls(self) -> list[dict[str, Any]]:
        """Return a copy of the call log."""
        with self._lock:
            return list(self._calls)

    def sessions(self) -> list[SupportSession]:
        """Return every session, oldest first."""
        with self._lock:
            return sorted(self._sessions.values(), key=lambda s: s.start_time)

    def get(self, lsid: str) -> SupportSession:
        """Return the session with this lsid or raise UnknownSessionError."""
        with self._lock:
            session = self._sessions.get(lsid)
        if session is None:
            raise UnknownSessionError(f"no session with lsid {lsid!r}")

        return session

    def report(self, query: ReportQuery) -> list[ReportView]:
        """Return the selected sessions as a report fetched now would show them."""
        now = self.clock.now()
        lag = self.config.report_lag
        with self._lock:
            views = [report_view(s, now, lag) for s in self.sessions()]
        return [view for view in views if query.matches(view)]

    def rep_by_username(self, username: str) -> Rep:
        """Return the representative with this username, creating one if needed."""
        with self._lock:
            for rep in self.reps:
                if rep.username == username:
                    return rep

            rep = Rep(max(r.id for r in self.reps) + 1, username, username, username, 3)
            self.reps.append(rep)
            return rep

    def create_session(
        self,
        external_key: str,
        rep_username: str,
        customer_name: str,
        custom: dict[str, str],
        info: dict[str, str],
    ) -> SupportSession:
        """Start a session: the customer joins, then the rep, who becomes owner."""
        now = self.now()
        rep = self.rep_by_username(rep_username)
        session = SupportSession(
            lsid=new_lsid(),
            external_key=external_key,
            start_time=now,
            custom={**dict.fromkeys(SNOW_ATTRIBUTES, ""), **custom},
            customer=_customer(customer_name, info, now),
            rep=_representative(rep, now),
            team=self._team(rep.team_id),
        )
        session.events = _opening_events(session, now)
        session.opening_events = len(session.events)
        with self._lock:
            self._sessions[session.lsid] = session
        self._announce_start(session)
        return session

    def add_chat(self, lsid: str, text: str, sender: str) -> SupportSession:
        """Append a chat line written by the rep or the customer."""
        session = self.get(lsid)
        author = session.customer if sender == "customer" else session.rep
        return self._append(session, "Chat Message", performed_by=author, body=text)

    def add_note(self, lsid: str, text: str) -> SupportSession:
        """Append a session note written by the rep."""
        session = self.get(lsid)
        return self._append(
            session, "Session Note Added", performed_by=session.rep, body=text
        )

    def add_file(self, lsid: str, filename: str, filesize: int) -> SupportSession:
        """Append a file the rep uploaded to the customer's machine."""
        session = self.get(lsid)
        return self._append(
            session,
            "File Upload",
            performed_by=session.rep,
            filename=filename,
            filesize=filesize,
        )

    def add_system_information(self, lsid: str) -> SupportSession:
        """Append a system information retrieval of the customer's machine."""
        session = self.get(lsid)
        return self._append(
            session,
            "System Information Retrieved",
            performed_by=session.rep,
            system_information=_inventory(session.customer),
        )

    def end_session(self, lsid: str) -> SupportSession:
        """End the session and announce it to the recipients."""
        session = self.get(lsid)
        with self._lock:
            self._append(session, "Session End")
            session.end_time = session.events[-1].timestamp
        self._publish(self._end_event(session))
        return session

    def resend_end(self, lsid: str) -> SupportSession:
        """Deliver the end event of an ended session again, byte for byte.

        The appliance does this when it did not see the receiver's 200.
        """
        session = self.get(lsid)
        if session.end_time is None:
            raise SessionEndedError(f"session {lsid} has not ended yet")
        self._publish(self._end_event(session))
        return session

    def _end_event(self, session: SupportSession) -> OutboundEvent:
        stamp = {"timestamp": str(session.end_time)}
        return self._outbound("support_conference_end", session, stamp)

    def _append(
        self, session: SupportSession, event_type: str, **details: Any
    ) -> SupportSession:
        with self._lock:
            if session.end_time is not None:
                raise SessionEndedError(f"session {session.lsid} has already ended")

            session.events.append(SessionEvent(self.now(), event_type, **details))
        return session

    def _team(self, team_id: int) -> Team:
        return next((t for t in self.teams if t.id == team_id), self.teams[0])

    def _announce_start(self, session: SupportSession) -> None:
        self._publish(self._outbound("support_conference_begin", session))
        for member in (session.customer, session.rep):
            member_fields = {
                "type": member.kind,
                "username": member.username,
                "display_name": member.display_name,
            }
            self._publish(
                self._outbound(
                    "support_conference_member_added", session, member_fields
                )
            )

    def _outbound(
        self,
        name: str,
        session: SupportSession,
        extra: dict[str, str] | None = None,
    ) -> OutboundEvent:
        fields = {
            "event": name,
            "version": OUTBOUND_VERSION,
            "timestamp": str(self.now()),
            "appliance_id": self.config.appliance_id,
            "lsid": session.lsid,
            "external_key": session.external_key,
            **(extra or {}),
        }
        return OutboundEvent(name, session.lsid, fields)


def _customer(name: str, info: dict[str, str], now: int) -> Participant:
    parts = name.lower().split()
    username = (
        (parts[0][0] + parts[-1]) if len(parts) > 1 else (name.lower() or "guest")
    )
    return Participant(
        gsnumber=2,
        kind="customer",
        username=username,
        display_name=name,
        private_display_name=name,
        public_ip="203.0.113.7:61606",
        private_ip="10.20.30.40",
        hostname=f"LT-{username.upper()[:8]}",
        os="Windows 11 Enterprise x64",
        joined_at=now,
        info={"name": name, **info},
    )


def _representative(rep: Rep, now: int) -> Participant:
    return Participant(
        gsnumber=1,
        kind="representative",
        username=rep.username,
        display_name=rep.public_display_name,
        private_display_name=rep.private_display_name,
        public_ip="198.51.100.4:50123",
        private_ip="10.1.1.4",
        hostname=f"REP-{rep.username.upper()[:8]}",
        os="Windows 10 Enterprise x64",
        joined_at=now,
        user_id=rep.id,
    )


def _inventory(customer: Participant) -> dict[str, list[dict[str, str]]]:
    return {
        "System": [
            {
                "Computer Name": customer.hostname,
                "Operating System": customer.os,
                "User": customer.username,
            }
        ],
        "Network Adapters": [
            {"Name": "Ethernet", "IP Address": customer.private_ip},
            {"Name": "Wi-Fi", "IP Address": "Unknown"},
        ],
    }


def _opening_events(session: SupportSession, now: int) -> list[SessionEvent]:
    rep = session.rep
    return [
        SessionEvent(now, "Session Start"),
        SessionEvent(now, "Conference Member Added", destination=session.customer),
        SessionEvent(now, "Conference Member Added", destination=rep),
        SessionEvent(
            now,
            "Conference Owner Changed",
            performed_by=SYSTEM,
            destination=rep,
            data={"owner": rep.display_name},
        ),
    ]
