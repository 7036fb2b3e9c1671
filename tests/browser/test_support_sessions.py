"""An incident's Support Sessions related list, the session page it links to, and
the incident's activity stream with its work-note box, driven in Chromium."""

import io
import re

import pytest
from playwright.sync_api import expect

from sessions.models import SupportSession
from sessions.services import import_saved_report
from tests.reports import ReportSpec, build_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LSID = "aceac5fc578f75fbbfa6bfac69eed523"
NUMBER = "INC0010001"


@pytest.fixture
def incident(appliance, make_incident):
    """INC0010001 with an imported support session, as a saved report makes it."""
    record = make_incident(NUMBER)
    spec = ReportSpec(LSID, NUMBER, custom={"ticket_source": "self-service portal"})
    lines = import_saved_report(appliance, io.BytesIO(build_report(spec)))
    assert lines == [
        f"{LSID}: 9 events, linked to {NUMBER}, 3 notes written, 0 already written"
    ]
    return record


def inline_group(page, title):
    """The session form's inline (tabular) group headed `title`."""
    heading = page.get_by_role("heading", name=title, exact=True)
    return page.locator(".inline-group").filter(has=heading)


def activity(page):
    return page.locator("fieldset.activity-stream .journal-entry")


def test_it_lists_the_session_on_the_incident_and_opens_it(admin_page, incident):
    page = admin_page
    session = SupportSession.objects.get(lsid=LSID)

    page.goto(f"/admin/itsm/incident/{incident.pk}/change/")
    related = page.locator('fieldset[data-related="support-sessions"]')
    expect(related.get_by_role("heading")).to_have_text("Support Sessions (1)")
    expect(related.locator("thead th")).to_have_text(
        ["LSID", "Start", "End", "Representative", "Customer", "Events"]
    )
    row = related.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td")).to_have_text(
        [
            LSID,
            re.compile("2024"),
            re.compile("2024"),
            "Marta Kowalczyk",
            "Olu Adebayo",
            "9",
        ]
    )
    row.get_by_role("link", name=LSID).click()

    expect(page).to_have_url(
        re.compile(rf"/admin/support_sessions/supportsession/{session.pk}/change/$")
    )
    expect(page.locator("#content h2").first).to_contain_text(LSID)
    reps = inline_group(page, "Representatives")
    expect(reps).to_contain_text("mkowalczyk")
    expect(reps).to_contain_text("Marta Kowalczyk (L2)")
    customers = inline_group(page, "Customers")
    expect(customers).to_contain_text("oadebayo")
    expect(customers).to_contain_text("Kestrel Example Ltd")
    expect(customers).to_contain_text("LT-FIN-0142")
    attributes = inline_group(page, "Custom attributes")
    expect(attributes).to_contain_text("ticket_source")
    expect(attributes).to_contain_text("self-service portal")
    expect(inline_group(page, "Teams")).to_contain_text("Service Desk L2")
    events = page.locator("table.session-events")
    expect(events.locator("tr")).to_have_count(1 + 9)
    expect(events).to_contain_text("Hello, how can I help?")
    expect(events).to_contain_text("My VPN keeps dropping.")
    expect(events).to_contain_text("Reinstalled the VPN client.")
    expect(page.get_by_role("link", name="All 9 events")).to_be_visible()


def test_it_shows_the_transcript_and_adds_a_typed_work_note_to_the_stream(
    admin_page, incident
):
    page = admin_page
    page.goto(f"/admin/itsm/incident/{incident.pk}/change/")
    entries = activity(page)
    expect(entries).to_have_count(3)
    transcript = entries.filter(has_text="Chat transcript")
    expect(transcript).to_contain_text("Olu Adebayo: My VPN keeps dropping.")
    expect(transcript).to_contain_text("Work notes")

    note = "Called the customer back; VPN stable since the reinstall."
    page.get_by_label("Work notes").fill(note)
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.locator(".messagelist .success")).to_contain_text(
        "was changed successfully"
    )
    expect(page.get_by_label("Work notes")).to_have_value("")
    expect(entries).to_have_count(4)
    # Newest first: the typed note leads, by the signed-in user.
    expect(entries.first).to_contain_text(note)
    expect(entries.first).to_contain_text("alice.admin")
    expect(entries.filter(has_text="Chat transcript")).to_have_count(1)
    expect(entries.filter(has_text="Session note")).to_have_count(1)
    expect(entries.filter(has_text="Session end")).to_have_count(1)
