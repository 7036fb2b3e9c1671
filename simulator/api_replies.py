"""Answer the command and reporting APIs' actions with XML element trees."""

from __future__ import annotations

from simulator import report, xml
from simulator.state import SimulatorState

REPORTS = ("SupportSession", "SupportSessionListing")


def command(state: SimulatorState, params: dict[str, str]) -> xml.Node:
    """Return the reply to a command API action; unknown actions get an <error>."""
    config = state.config
    action = params.get("action", "")
    if action == "get_api_info":
        return xml.api_information(state.now())

    if action == "check_health":
        return xml.health_check(config.appliance_id, config.hostname_for_urls)

    if action == "get_support_teams":
        return xml.support_teams(state.teams)

    if action == "get_logged_in_reps":
        return xml.logged_in_reps(state.reps, open_sessions_per_rep(state))

    if not action:
        return xml.error("Missing required parameter: action")

    return xml.error(f"Invalid action: {action!r} is not a command this API knows.")


def open_sessions_per_rep(state: SimulatorState) -> dict[str, int]:
    """Return how many running sessions each rep (by username) owns."""
    counts: dict[str, int] = {}
    for session in state.sessions():
        if session.end_time is None:
            counts[session.rep.username] = counts.get(session.rep.username, 0) + 1
    return counts


def reporting(state: SimulatorState, params: dict[str, str]) -> xml.Node:
    """Return the reply to a reporting API request; unknown reports get an <error>."""
    name = params.get("generate_report", "")
    if name not in REPORTS:
        return xml.error(f"Invalid report type: {name!r} is not supported.")

    try:
        query = report.parse_query(params)
    except report.QueryError as exc:
        return xml.error(str(exc))

    views = state.report(query)
    if name == "SupportSessionListing":
        return report.session_summary_list(views)

    return report.session_list(views, state.config.hostname_for_urls)
