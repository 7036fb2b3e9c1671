"""Record links from the appliance (/nav_to.do?uri=task.do?sys_id=...) open the
record's admin page, through the login form when the user is not signed in."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_opens_the_incident_from_a_task_record_link(admin_page, make_incident):
    incident = make_incident("INC0010001")
    page = admin_page

    page.goto(f"/nav_to.do?uri=task.do?sys_id={incident.sys_id}")

    expect(page).to_have_url(
        re.compile(rf"/admin/itsm/incident/{incident.pk}/change/$")
    )
    expect(page.locator("#content")).to_contain_text("INC0010001")
    expect(page.locator(".field-sys_id .readonly")).to_have_text(incident.sys_id)


def test_it_signs_in_first_then_opens_the_linked_incident(
    page, admin_user, make_incident
):
    incident = make_incident("INC0010002")

    page.goto(f"/nav_to.do?uri=incident.do?sys_id={incident.sys_id}")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next="))
    page.get_by_label("Username").fill(admin_user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(
        re.compile(rf"/admin/itsm/incident/{incident.pk}/change/$")
    )
    expect(page.locator("#content")).to_contain_text("INC0010002")


def test_it_answers_not_found_for_an_unknown_sys_id(admin_page):
    response = admin_page.goto(f"/nav_to.do?uri=task.do?sys_id={'0' * 32}")
    assert response is not None
    assert response.status == 404
