"""A technician (itil role, staff) works incidents but gets none of the
administrator's integration pages: no appliances, no outbound event actions."""

import io

import pytest
from playwright.sync_api import expect

from sessions.services import import_saved_report
from tests.reports import ReportSpec, build_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_a_technician_work_an_incident_but_not_administer_the_integration(
    technician_page, make_incident
):
    incident = make_incident("INC0010001")
    page = technician_page

    page.goto(f"/admin/itsm/incident/{incident.pk}/change/")
    expect(page.locator("#content h1")).to_have_text("Change incident")
    expect(page.get_by_label("Work notes")).to_be_editable()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Test connection")).to_have_count(0)

    page.goto("/admin/")
    nav = page.locator("#content-main")
    expect(nav.get_by_role("link", name="Incidents")).to_be_visible()
    expect(nav.get_by_role("link", name="Appliances")).to_have_count(0)
    expect(nav.get_by_role("link", name="Outbound events")).to_have_count(0)

    for path in (
        "/admin/support_sessions/outboundevent/",
        "/admin/appliances/appliance/",
    ):
        response = page.goto(path)
        assert response is not None
        assert response.status == 403, path


def test_it_shows_a_technician_the_sessions_without_links_they_cannot_open(
    technician_page, appliance, make_incident
):
    incident = make_incident("INC0010001")
    lsid = "aceac5fc578f75fbbfa6bfac69eed523"
    import_saved_report(
        appliance, io.BytesIO(build_report(ReportSpec(lsid, "INC0010001")))
    )
    page = technician_page

    page.goto(f"/admin/itsm/incident/{incident.pk}/change/")
    related = page.locator('fieldset[data-related="support-sessions"]')
    expect(related.locator("tbody tr")).to_contain_text(lsid)
    # Whatever the role may open, the list never links to a "403 Forbidden".
    for link in related.get_by_role("link").all():
        href = link.get_attribute("href")
        assert page.request.get(href).status == 200, href
