"""Build SupportSession reports for tests, varying what each test needs."""

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NAMESPACES = {
    "beyondtrust": "https://www.beyondtrust.com/namespaces/API/reporting",
    "bomgar": "http://www.bomgar.com/namespaces/API/reporting",
    "pra": "http://www.beyondtrust.com/sra/namespaces/API/reporting",
}
START = 1733239565
END = 1733240467


@dataclass
class ReportSpec:
    lsid: str
    external_key: str = ""
    end: bool = True
    chats: list[tuple[str, str]] = field(
        default_factory=lambda: [
            ("rep", "Hello, how can I help?"),
            ("customer", "My VPN keeps dropping."),
            ("rep", "Reinstalling the client now."),
        ]
    )
    notes: list[str] = field(default_factory=lambda: ["Reinstalled the VPN client."])
    custom: dict[str, str] = field(default_factory=dict)
    namespace: str = "beyondtrust"
    extra_events: list[str] = field(default_factory=list)
    customer_gsnumber: str = "3"


def build_report(spec: ReportSpec) -> bytes:
    """Return the report's bytes, UTF-8, with the appliance's prolog."""
    return _document([spec], NAMESPACES[spec.namespace]).encode("utf-8")


def build_multi(specs: list[ReportSpec]) -> bytes:
    return _document(specs, NAMESPACES[specs[0].namespace]).encode("utf-8")


def _document(specs: list[ReportSpec], ns: str) -> str:
    sessions = "".join(_session(spec) for spec in specs)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n\n<session_list xmlns="{ns}">\n{sessions}</session_list>\n'


def _session(spec: ReportSpec) -> str:
    end = (
        f'  <end_time timestamp="{END}">2024-12-03T15:41:07+00:00</end_time>\n'
        if spec.end
        else ""
    )
    custom = "".join(
        f"   <custom_attribute code_name={quoteattr(k)} display_name={quoteattr(k)}>{escape(v)}</custom_attribute>\n"
        for k, v in spec.custom.items()
    )
    events = _events(spec)
    gs = spec.customer_gsnumber
    return (
        f' <session lsid="{spec.lsid}">\n'
        "  <session_type>support</session_type>\n"
        f"  <lseq>{len(events)}</lseq>\n"
        f'  <start_time timestamp="{START}">2024-12-03T15:26:05+00:00</start_time>\n'
        f"{end}"
        f"  <duration>{'00:15:02' if spec.end else ''}</duration>\n"
        '  <public_site id="1">Default</public_site>\n'
        f"  <external_key>{escape(spec.external_key)}</external_key>\n"
        f"  <custom_attributes>\n{custom}  </custom_attributes>\n"
        "  <file_transfer_count>1</file_transfer_count>\n"
        "  <file_move_count>0</file_move_count>\n"
        "  <file_delete_count>0</file_delete_count>\n"
        f'  <primary_customer gsnumber="{gs}">Olu Adebayo</primary_customer>\n'
        '  <primary_rep gsnumber="2" id="14">Marta Kowalczyk</primary_rep>\n'
        "  <customer_list>\n"
        f'   <customer gsnumber="{gs}"><username>oadebayo</username><public_ip>203.0.113.41:61606</public_ip>'
        "<private_ip>203.0.113.141</private_ip><hostname>LT-FIN-0142</hostname><os>Windows 11 Pro</os>"
        "<info><name>Olu Adebayo</name><company>Kestrel Example Ltd</company><company_code>KESTREL</company_code>"
        "<issue>VPN</issue><details>VPN drops</details></info></customer>\n"
        "  </customer_list>\n"
        "  <rep_list>\n"
        '   <representative gsnumber="2" id="14"><username>mkowalczyk</username>'
        "<display_name>Marta Kowalczyk</display_name><public_display_name>Marta K.</public_display_name>"
        "<private_display_name>Marta Kowalczyk (L2)</private_display_name><session_owner>1</session_owner>"
        "<seconds_involved>880</seconds_involved></representative>\n"
        "  </rep_list>\n"
        '  <team_list><team id="3"><name>Service Desk L2</name></team></team_list>\n'
        f"  <session_details>\n{''.join(events)}  </session_details>\n"
        " </session>\n"
    )


def _events(spec: ReportSpec) -> list[str]:
    gs = spec.customer_gsnumber
    t = START
    events = [
        f'   <event timestamp="{t}" event_type="Session Start"></event>\n',
        f'   <event timestamp="{t + 1}" event_type="Conference Member Added"><performed_by type="system" gsnumber="0">BeyondTrust</performed_by><destination type="customer" gsnumber="{gs}">Olu Adebayo</destination></event>\n',
        f'   <event timestamp="{t + 38}" event_type="Conference Member Added"><performed_by type="system" gsnumber="0">BeyondTrust</performed_by><destination type="representative" gsnumber="2">Marta Kowalczyk</destination></event>\n',
    ]
    if not spec.end:
        return events
    for n, (who, text) in enumerate(spec.chats):
        actor = (
            '<performed_by type="representative" gsnumber="2">Marta Kowalczyk</performed_by>'
            if who == "rep"
            else f'<performed_by type="customer" gsnumber="{gs}">Olu Adebayo</performed_by>'
        )
        events.append(
            f'   <event timestamp="{t + 60 + n * 10}" event_type="Chat Message">{actor}<body>{escape(text)}</body></event>\n'
        )
    events.append(
        f'   <event timestamp="{t + 400}" event_type="File Upload"><performed_by type="representative" gsnumber="2">Marta Kowalczyk</performed_by><filename>C:\\temp\\vpn.msi</filename><filesize>512</filesize></event>\n'
    )
    for n, text in enumerate(spec.notes):
        events.append(
            f'   <event timestamp="{t + 800 + n}" event_type="Session Note Added"><performed_by type="representative" gsnumber="2">Marta Kowalczyk</performed_by><body>{escape(text)}</body></event>\n'
        )
    events.extend(spec.extra_events)
    events.append(f'   <event timestamp="{END}" event_type="Session End"></event>\n')
    return events


def end_event(
    lsid: str,
    external_key: str = "",
    timestamp: int = END,
    event: str = "support_conference_end",
) -> bytes:
    body = (
        f"event={event}&version=3&timestamp={timestamp}"
        f"&appliance_id=5b0e2d7c-91a4-4f63-8e2b-c4d1a7f09e36&lsid={lsid}&external_key={external_key}"
    )
    return body.encode()
