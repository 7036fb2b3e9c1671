"""Helpers for the scheduled pull's tests: listings and a pull that publishes."""

from datetime import datetime
from typing import Any

from appliances.models import Appliance
from sessions.pull import PullResult, pull_appliance
from tests.fakes import Answer, Call, FakeAppliance

LISTING = "report:SupportSessionListing"
NEW_LSID = "1f0c2b9e8d7a4c3b2a190817f6e5d4c3"
OLD_LSID = "aceac5fc578f75fbbfa6bfac69eed523"


def listing(*lsids: str, root: str = "session_summary_list") -> bytes:
    """Return a SupportSessionListing reply with extra attributes, as RS sends."""
    rows = "".join(
        f'<session_summary lsid="{lsid}" has_recording="0" start_time="1733239565" '
        f'end_time="1733240467" external_key="INC0000000"/>'
        for lsid in lsids
    )
    ns = "https://www.beyondtrust.com/namespaces/API/reporting"
    document = f'<{root} xmlns="{ns}">{rows}</{root}>'
    return f'<?xml version="1.0" encoding="UTF-8"?>\n\n{document}'.encode()


def answer_listing(fake: FakeAppliance, *lsids: str) -> None:
    fake.default(LISTING, Answer(200, listing(*lsids)))


def listing_calls(fake: FakeAppliance) -> list[Call]:
    return fake.calls_to(LISTING)


def pull(
    appliance: Appliance, capture: Any, since: datetime | None = None
) -> PullResult:
    """Run a pull and let its after-commit publishing happen."""
    with capture(execute=True):
        return pull_appliance(appliance, since=since)
