"""Render the reporting API's SupportSession and SupportSessionListing replies."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from simulator.model import (
    Participant,
    ReportQuery,
    ReportView,
    SessionEvent,
    chat_hash,
    custom_display_name,
)
from simulator.xml import Node, add_body, hms, iso_time

NO_DATA = "No report data matches the requested criteria."
FILE_TRANSFER_EVENTS = ("File Upload", "File Download")
DAY = 86400


def session_list(views: list[ReportView], hostname: str) -> Node:
    """Return a SupportSession report; an empty one nests an <error> in the list."""
    root = Node("session_list")
    if not views:
        root.add("error", NO_DATA)
    for view in views:
        root.children.append(session_node(view, hostname))
    return root


def session_summary_list(views: list[ReportView]) -> Node:
    """Return a SupportSessionListing report with start and end times as extras."""
    root = Node("session_summary_list")
    for view in views:
        summary = root.add(
            "session_summary",
            lsid=view.session.lsid,
            has_recording=0,
            start_time=view.session.start_time,
        )
        if view.end_time is not None:
            summary.attrs["end_time"] = str(view.end_time)
    return root


def session_node(view: ReportView, hostname: str) -> Node:
    """Return one <session> element as the report shows it at this moment."""
    session = view.session
    node = Node("session", lsid=session.lsid)
    node.add("session_type", "support")
    node.add("lseq", str(len(view.events)))
    node.add("start_time", iso_time(session.start_time), timestamp=session.start_time)
    if view.end_time is not None:
        node.add("end_time", iso_time(view.end_time), timestamp=view.end_time)
    node.add("duration", hms(view.duration))
    node.add("public_site", "Default", id=1)
    node.add("external_key", session.external_key)
    node.children.append(_custom_attributes(session.custom))
    if view.end_time is not None:
        _add_chat_urls(node, session.lsid, hostname)
    _add_file_counts(node, view.events)
    _add_people(node, view)
    node.children.append(_session_details(view.events))
    return node


def _custom_attributes(custom: dict[str, str]) -> Node:
    node = Node("custom_attributes")
    for code_name, value in custom.items():
        node.add(
            "custom_attribute",
            value,
            display_name=custom_display_name(code_name),
            code_name=code_name,
        )
    return node


def _add_chat_urls(node: Node, lsid: str, hostname: str) -> None:
    token = quote(f"l={lsid};h={chat_hash(lsid)};t=sd;m=chat", safe="")
    base = f"https://{hostname}/session_download?lsid={token}&dl_action=chat"
    node.add("session_chat_view_url", base + "&view=1")
    node.add("session_chat_download_url", base)


def _add_file_counts(node: Node, events: list[SessionEvent]) -> None:
    transfers = sum(event.event_type in FILE_TRANSFER_EVENTS for event in events)
    node.add("file_transfer_count", str(transfers))
    node.add("file_move_count", "0")
    node.add("file_delete_count", "0")


def _add_people(node: Node, view: ReportView) -> None:
    customer, rep = view.session.customer, view.session.rep
    node.add("primary_customer", customer.display_name, gsnumber=customer.gsnumber)
    node.add("primary_rep", rep.display_name, gsnumber=rep.gsnumber, id=rep.user_id)
    node.add("customer_list").children.append(_customer(customer))
    node.add("rep_list").children.append(_representative(rep, view))
    team = node.add("team_list").add("team", id=view.session.team.id)
    team.add("name", view.session.team.name)


def _customer(customer: Participant) -> Node:
    node = Node("customer", gsnumber=customer.gsnumber)
    _add_endpoint(node, customer)
    node.add("primary_cust", "1")
    info = node.add("info")
    for name in ("name", "company", "company_code", "issue", "details"):
        info.add(name, customer.info.get(name, ""))
    return node


def _representative(rep: Participant, view: ReportView) -> Node:
    node = Node("representative", gsnumber=rep.gsnumber, id=rep.user_id)
    node.add("username", rep.username)
    node.add("display_name", rep.display_name)
    node.add("public_display_name", rep.display_name)
    node.add("private_display_name", rep.private_display_name)
    _add_endpoint(node, rep, with_username=False)
    node.add("session_owner", "1")
    involved = (view.end_time or view.now) - rep.joined_at
    node.add("seconds_involved", str(max(involved, 0)))
    return node


def _add_endpoint(node: Node, person: Participant, with_username: bool = True) -> None:
    if with_username:
        node.add("username", person.username)
    node.add("public_ip", person.public_ip)
    node.add("private_ip", person.private_ip)
    node.add("hostname", person.hostname)
    node.add("os", person.os)


def _session_details(events: list[SessionEvent]) -> Node:
    node = Node("session_details")
    for event in events:
        node.children.append(_event(event))
    return node


def _event(event: SessionEvent) -> Node:
    node = Node("event", timestamp=event.timestamp, event_type=event.event_type)
    if event.performed_by is not None:
        _add_actor(node, "performed_by", event.performed_by)
    if event.destination is not None:
        _add_actor(node, "destination", event.destination)
    if event.body is not None:
        add_body(node, event.body)
    if event.filename is not None:
        node.add("filename", event.filename)
        node.add("filesize", str(event.filesize or 0))
    if event.data:
        data = node.add("data")
        for name, value in event.data.items():
            data.add("value", name=name, value=value)
    if event.system_information:
        node.children.append(_system_information(event.system_information))
    return node


def _add_actor(node: Node, tag: str, person: Participant) -> None:
    node.add(tag, person.display_name, type=person.kind, gsnumber=person.gsnumber)


def _system_information(categories: dict[str, list[dict[str, str]]]) -> Node:
    node = Node("system_information")
    for name, rows in categories.items():
        category = node.add("category", name=name)
        description = category.add("description")
        for field_name in rows[0] if rows else {}:
            description.add("field", field_name, name=field_name)
        data = category.add("data")
        for row in rows:
            row_node = data.add("row")
            for field_name, value in row.items():
                row_node.add("field", value, name=field_name)
    return node


class QueryError(ValueError):
    """A reporting parameter the simulator cannot use."""


def parse_query(params: dict[str, str]) -> ReportQuery:
    """Return the sessions a SupportSession or listing request selects."""
    if params.get("lsid"):
        return ReportQuery(lsids=[params["lsid"].strip().lower()])

    if "lsids" in params:
        lsids = [lsid.strip().lower() for lsid in params["lsids"].split(",")]
        return ReportQuery(lsids=[lsid for lsid in lsids if lsid])

    for name in ("start_time", "end_time"):
        if params.get(name):
            start = _number(params, name)
            duration = _number(params, "duration")
            return ReportQuery(None, start, duration, by_end_time=name == "end_time")

    for name in ("start_date", "end_date"):
        if params.get(name):
            start = _midnight(params[name], name)
            days = _number(params, "duration")
            return ReportQuery(None, start, days * DAY, by_end_time=name == "end_date")

    return ReportQuery()


def _number(params: dict[str, str], name: str) -> float:
    raw = params.get(name, "0") or "0"
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"Invalid value for parameter {name}: {raw!r}") from None

    if value < 0:
        raise QueryError(f"Invalid value for parameter {name}: {raw!r}")

    return value


def _midnight(raw: str, name: str) -> float:
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise QueryError(f"Invalid value for parameter {name}: {raw!r}") from None

    return day.timestamp()
