"""The appliance's domain objects: teams, reps, sessions and their events."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

SNOW_ATTRIBUTES = {
    "snow_task_id": "ServiceNow Task ID",
    "snow_call_id": "ServiceNow Call ID",
    "snow_interaction_id": "ServiceNow Interaction ID",
    "snow_cmdb_ci_id": "ServiceNow Configuration Item ID",
}


def custom_display_name(code_name: str) -> str:
    """Return the display name of a custom session attribute."""
    fallback = code_name.replace("_", " ").title()
    return SNOW_ATTRIBUTES.get(code_name, fallback)


@dataclass
class Issue:
    """A support issue that routes a session to a team."""

    id: int
    code_name: str
    description: str


@dataclass
class Team:
    """A support team with its issues."""

    id: int
    name: str
    code_name: str
    issues: list[Issue]


@dataclass
class Rep:
    """A representative account on the appliance."""

    id: int
    username: str
    public_display_name: str
    private_display_name: str
    team_id: int


def default_teams() -> list[Team]:
    """Return the teams and issues a fresh appliance ships with."""
    return [
        Team(
            3,
            "Service Desk L2",
            "service_desk_l2",
            [
                Issue(11, "vpn", "VPN and remote access"),
                Issue(12, "printing", "Printers and scanning"),
            ],
        ),
        Team(5, "Network Operations", "netops", [Issue(21, "wifi", "Office Wi-Fi")]),
    ]


def default_reps() -> list[Rep]:
    """Return the representatives logged in on a fresh appliance."""
    return [
        Rep(5, "arep", "Alex Rep", "Alex R. (Service Desk)", 3),
        Rep(7, "dwhitfield", "Dana Whitfield", "Dana W. (Tier 2)", 5),
    ]


@dataclass
class Participant:
    """A customer or representative inside one session."""

    gsnumber: int
    kind: str
    username: str
    display_name: str
    private_display_name: str
    public_ip: str
    private_ip: str
    hostname: str
    os: str
    joined_at: int
    user_id: int | None = None
    info: dict[str, str] = field(default_factory=dict)


SYSTEM = Participant(0, "system", "", "BeyondTrust", "BeyondTrust", "", "", "", "", 0)


@dataclass
class SessionEvent:
    """One entry of a session's event log."""

    timestamp: int
    event_type: str
    performed_by: Participant | None = None
    destination: Participant | None = None
    body: str | None = None
    filename: str | None = None
    filesize: int | None = None
    data: dict[str, str] = field(default_factory=dict)
    system_information: dict[str, list[dict[str, str]]] = field(default_factory=dict)


@dataclass
class SupportSession:
    """A support session and everything that happened in it."""

    lsid: str
    external_key: str
    start_time: int
    custom: dict[str, str]
    customer: Participant
    rep: Participant
    team: Team
    events: list[SessionEvent] = field(default_factory=list)
    end_time: int | None = None
    opening_events: int = 0

    def summary(self) -> dict[str, Any]:
        """Return a JSON-ready description for the control API."""
        return {
            "lsid": self.lsid,
            "external_key": self.external_key,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "ended": self.end_time is not None,
            "rep": self.rep.username,
            "customer": self.customer.display_name,
            "custom": dict(self.custom),
            "event_count": len(self.events),
        }


@dataclass
class ReportView:
    """What a report shows of a session at a given moment."""

    session: SupportSession
    events: list[SessionEvent]
    end_time: int | None
    now: int

    @property
    def duration(self) -> int:
        """Return the seconds from start to end, or to now while running."""
        return (self.end_time or self.now) - self.session.start_time


def report_view(session: SupportSession, now: float, lag: float) -> ReportView:
    """Return the session as a report fetched at `now` shows it.

    Within `lag` seconds of the end, the appliance is still writing the report: the
    end time and the events of the final `lag` seconds are not in it yet.
    """
    moment = int(now)
    if session.end_time is None or now >= session.end_time + lag:
        return ReportView(session, list(session.events), session.end_time, moment)

    cutoff = session.end_time - lag
    written = [
        event
        for index, event in enumerate(session.events)
        if event.event_type != "Session End"
        and (index < session.opening_events or event.timestamp <= cutoff)
    ]
    return ReportView(session, written, None, moment)


@dataclass
class OutboundEvent:
    """An event the appliance posts to its HTTP recipients."""

    name: str
    lsid: str
    fields: dict[str, str]


def new_lsid() -> str:
    """Return a fresh 32-character lowercase hex session id."""
    return secrets.token_hex(16)


def chat_hash(lsid: str) -> str:
    """Return the 40-hex download hash that goes into a session's chat URLs."""
    return hashlib.sha1(lsid.encode(), usedforsecurity=False).hexdigest()


@dataclass
class ReportQuery:
    """Which sessions a report asks for: by lsid, or by a start or end window."""

    lsids: list[str] | None = None
    window_start: float | None = None
    duration: float = 0
    by_end_time: bool = False

    def matches(self, view: ReportView) -> bool:
        """Return whether the session, as the report shows it, is selected."""
        if self.lsids is not None:
            return view.session.lsid in self.lsids

        moment = view.end_time if self.by_end_time else view.session.start_time
        if moment is None:
            return False

        if self.window_start is None:
            return True

        if moment < self.window_start:
            return False

        return self.duration == 0 or moment < self.window_start + self.duration
