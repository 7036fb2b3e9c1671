"""Support Sessions show as a related list on the incident and CI forms, and a
session's own form shows all its related lists (C13)."""

import pytest
from django.test import Client

from itsm.models import ConfigurationItem
from sessions.models import SupportSession
from tests.reports import ReportSpec, build_report, end_event

LSID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
SESSION_PAGE = "/admin/support_sessions/supportsession/"


@pytest.fixture
def imported(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    incident = make_incident("INC0010401")
    ci = ConfigurationItem.objects.create(name="LT-FIN-0142")
    spec = ReportSpec(
        LSID,
        custom={
            "snow_task_id": incident.sys_id,
            "snow_cmdb_ci_id": ci.sys_id,
            "ticket_category": "Network",
        },
    )
    fake.report(LSID, build_report(spec))
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID))
    run_worker()
    return incident, ci, SupportSession.objects.get()


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("which", ["itsm/incident", "itsm/configurationitem"])
def test_it_lists_the_support_session_on_the_record_form(which, imported, admin):
    record = imported[0] if which == "itsm/incident" else imported[1]
    session = imported[2]

    page = admin.get(f"/admin/{which}/{record.pk}/change/").content.decode()

    assert "Support Sessions (1)" in page
    assert f'<a href="{SESSION_PAGE}{session.pk}/change/">{LSID}</a>' in page
    assert "Marta Kowalczyk" in page


def test_it_shows_an_empty_list_on_a_record_without_sessions(
    imported, admin, make_incident
):
    other = make_incident("INC0010402")

    page = admin.get(f"/admin/itsm/incident/{other.pk}/change/").content.decode()

    assert "Support Sessions (0)" in page
    assert LSID not in page


def test_it_shows_every_related_list_on_the_support_session_form(imported, admin):
    session = imported[2]

    response = admin.get(f"/admin/support_sessions/supportsession/{session.pk}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "mkowalczyk",  # representative
        "Marta Kowalczyk (L2)",
        "Olu Adebayo",  # customer
        "Kestrel Example Ltd",
        "ticket_category",  # custom attribute
        "Network",
        "My VPN keeps dropping.",  # events
        "Session Note Added",
        "Service Desk L2",  # team
        "INC0010401",  # linked record
    ):
        assert text in page, text
