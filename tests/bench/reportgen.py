"""Write large SupportSession reports for benchmarks, streamed to a file."""

from pathlib import Path

NS = "https://www.beyondtrust.com/namespaces/API/reporting"
HEAD = """<?xml version="1.0" encoding="UTF-8"?>

<session_list xmlns="{ns}">
 <session lsid="{lsid}">
  <session_type>support</session_type>
  <lseq>{events}</lseq>
  <start_time timestamp="1733239565">2024-12-03T15:26:05+00:00</start_time>
  <end_time timestamp="1733240467">2024-12-03T15:41:07+00:00</end_time>
  <duration>00:15:02</duration>
  <public_site id="1">Default</public_site>
  <external_key>{key}</external_key>
  <custom_attributes></custom_attributes>
  <file_transfer_count>0</file_transfer_count>
  <primary_customer gsnumber="3">Olu Adebayo</primary_customer>
  <primary_rep gsnumber="2" id="14">Marta Kowalczyk</primary_rep>
  <customer_list><customer gsnumber="3"><username>oadebayo</username><info><name>Olu Adebayo</name></info></customer></customer_list>
  <rep_list><representative gsnumber="2" id="14"><username>mkowalczyk</username><display_name>Marta Kowalczyk</display_name></representative></rep_list>
  <session_details>
"""
EVENT = (
    '   <event timestamp="{ts}" event_type="{kind}"><performed_by type="{who}" '
    'gsnumber="{gs}">{name}</performed_by><body>{body}</body></event>\n'
)
TAIL = "  </session_details>\n </session>\n</session_list>\n"
KINDS = (
    "Chat Message",
    "Session Foreground Window Changed",
    "Session Mouse Left Clicked",
)


def write_report(
    path: Path,
    events: int,
    lsid: str = "b" * 32,
    key: str = "INC0010001",
    body_size: int = 60,
) -> int:
    """Write a finished report with `events` events; return its size in bytes."""
    filler = ("Checking the VPN client logs now, one moment please. " * 40)[:body_size]
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD.format(ns=NS, lsid=lsid, events=events, key=key))
        for n in range(events):
            rep = n % 2 == 0
            out.write(
                EVENT.format(
                    ts=1733239565 + n // 250,
                    kind=KINDS[n % 3],
                    who="representative" if rep else "customer",
                    gs=2 if rep else 3,
                    name="Marta Kowalczyk" if rep else "Olu Adebayo",
                    body=f"{n} {filler}",
                )
            )
        out.write(TAIL)
    return path.stat().st_size
