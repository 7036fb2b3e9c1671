"""Render the appliance's XML replies: a tiny element tree and its serialiser."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

from simulator.model import Rep, Team

NAMESPACES = {
    "beyondtrust": {
        "command": "https://www.beyondtrust.com/namespaces/API/command",
        "reporting": "https://www.beyondtrust.com/namespaces/API/reporting",
    },
    "bomgar": {
        "command": "http://www.bomgar.com/namespaces/API/command",
        "reporting": "http://www.bomgar.com/namespaces/API/reporting",
    },
    "pra": {
        "command": "https://www.beyondtrust.com/namespaces/API/command",
        "reporting": "http://www.beyondtrust.com/sra/namespaces/API/reporting",
    },
}
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n\n'
CONTENT_TYPE = "text/xml; charset=UTF-8"

# XML 1.0 cannot carry these code points at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Node:
    """An XML element: a tag, ordered attributes, optional text and children."""

    def __init__(self, tag: str, text: str | None = None, **attrs: object) -> None:
        self.tag = tag
        self.text = text
        self.attrs = {name: str(value) for name, value in attrs.items()}
        self.children: list[Node] = []

    def add(self, tag: str, text: str | None = None, **attrs: object) -> Node:
        """Append a new child element and return it."""
        child = Node(tag, text, **attrs)
        self.children.append(child)
        return child

    def lines(self, depth: int = 0) -> list[str]:
        """Return the element serialised, one line per element, indented by depth."""
        pad = " " * depth
        opening = self.tag + "".join(
            f' {name}="{escape_attribute(value)}"' for name, value in self.attrs.items()
        )
        if self.children:
            inner = [line for child in self.children for line in child.lines(depth + 1)]
            return [f"{pad}<{opening}>", *inner, f"{pad}</{self.tag}>"]

        if self.text is None:
            return [f"{pad}<{opening}/>"]

        return [f"{pad}<{opening}>{escape_text(self.text)}</{self.tag}>"]


def namespace(style: str, api: str) -> str:
    """Return the namespace URI of the command or reporting API for a style."""
    return NAMESPACES[style][api]


def document(root: Node, xmlns: str) -> bytes:
    """Return the UTF-8 bytes of a complete reply with root in the namespace."""
    root.attrs = {"xmlns": xmlns, **root.attrs}
    return (DECLARATION + "\n".join(root.lines()) + "\n").encode("utf-8")


def error(message: str, code: str | None = None) -> Node:
    """Return an <error> element, with a code attribute when one is given."""
    return Node("error", message) if code is None else Node("error", message, code=code)


def is_xml_safe(text: str) -> bool:
    """Return whether every character of text can appear in an XML 1.0 document."""
    return _NOT_XML.search(text) is None


def escape_text(text: str) -> str:
    """Escape text content; characters XML cannot carry become U+FFFD."""
    text = _NOT_XML.sub("\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A raw carriage return would be normalised away by the reader's parser.
    return text.replace("\r", "&#13;")


def escape_attribute(value: str) -> str:
    """Escape an attribute value so that whitespace survives normalisation."""
    escaped = escape_text(value).replace('"', "&quot;")
    return escaped.replace("\n", "&#10;").replace("\t", "&#9;")


def add_body(parent: Node, text: str) -> None:
    """Add a <body>, or an <encoded_body> in base64 when XML cannot carry the text."""
    if is_xml_safe(text):
        parent.add("body", text)
        return

    raw = text.encode("utf-8", errors="surrogatepass")
    parent.add("encoded_body", base64.b64encode(raw).decode("ascii"))


def iso_time(timestamp: int) -> str:
    """Return a UNIX time as ISO 8601 in UTC with an explicit offset."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def hms(seconds: int) -> str:
    """Return a number of seconds as HH:MM:SS."""
    minutes, secs = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


API_VERSION = "1.23.0"
APPLIANCE_VERSION = "24.3.1 (41120-5d1e0c3a7f9b2e4d6c8a0f1e3b5d7c9a2e4f6b8d)"
PERMISSIONS = {
    "perm_command": "full_access",
    "perm_reporting_support": "1",
    "perm_reporting_presentation": "0",
    "perm_reporting_license": "0",
    "perm_reporting_archive": "0",
    "perm_real_time_state": "0",
    "perm_ecm": "0",
    "perm_backup": "0",
    "perm_scim": "0",
    "perm_configuration": "0",
}


def api_information(now: int) -> Node:
    """Return the get_api_info reply: version, time and the account's permissions."""
    root = Node("api_information")
    root.add("api_version", API_VERSION)
    root.add("timestamp", str(now))
    permissions = root.add("permissions")
    for name, value in PERMISSIONS.items():
        permissions.add("permission", value, name=name)
    return root


def health_check(appliance_id: str, hostname: str) -> Node:
    """Return the check_health reply of a healthy stand-alone appliance."""
    root = Node("health_check")
    root.add("appliance", hostname, id=appliance_id)
    root.add("version", APPLIANCE_VERSION)
    root.add("success", "1")
    root.add("failover_role", "none")
    return root


def support_teams(teams: list[Team]) -> Node:
    """Return the get_support_teams reply with each team's issues."""
    root = Node("support_teams")
    for team in teams:
        node = root.add("support_team", id=team.id)
        node.add("name", team.name)
        node.add("code_name", team.code_name)
        issues = node.add("issues")
        for issue in team.issues:
            entry = issues.add("issue", id=issue.id)
            entry.add("code_name", issue.code_name)
            entry.add("description", issue.description)
    return root


def logged_in_reps(reps: list[Rep], session_counts: dict[str, int]) -> Node:
    """Return the get_logged_in_reps reply; every known rep is logged in."""
    root = Node("logged_in_reps")
    for rep in reps:
        node = root.add("rep", id=rep.id)
        node.add("display_name", rep.public_display_name)
        node.add("public_display_name", rep.public_display_name)
        node.add("private_display_name", rep.private_display_name)
        node.add("type", "Normal")
        node.add("presentation_count", "0")
        node.add("support_session_count", str(session_counts.get(rep.username, 0)))
        node.add("showing_on_rep_list", "1")
    return root
