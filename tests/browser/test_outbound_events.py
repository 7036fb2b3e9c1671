"""The outbound event list's "Re-fetch report" action, run from the browser."""

import pytest
from playwright.sync_api import expect

from sessions.models import OutboundEvent
from tests.reports import end_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LSIDS = ("aceac5fc578f75fbbfa6bfac69eed523", "b7d01f9e2c4a48e6a3f5c1d8e9b07a62")


@pytest.fixture
def events(appliance, make_incident, post_event, published):
    """Two end events as the appliance posts them; their first imports are queued."""
    make_incident("INC0010001")
    for lsid in LSIDS:
        assert post_event(end_event(lsid, "INC0010001")).status_code == 200
    assert len(published) == len(LSIDS)
    published.clear()
    return list(OutboundEvent.objects.order_by("pk"))


def test_it_queues_a_forced_refetch_of_every_selected_event(
    admin_page, events, published
):
    page = admin_page
    page.goto("/admin/support_sessions/outboundevent/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(len(events))

    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_have_text(
        f"{len(events)} of {len(events)} selected"
    )
    page.get_by_label("Action:").select_option(label="Re-fetch report")
    page.get_by_role("button", name="Go").click()

    expect(page.locator(".messagelist .success")).to_have_text(f"{len(events)} queued")
    assert sorted(published) == sorted((event.pk, True) for event in events)
    assert set(OutboundEvent.objects.values_list("force_refetch", flat=True)) == {True}
