"""Test connection, pressed on the appliance form against a fake appliance on
loopback: success stores what the appliance says; failures name their cause in
an operator's words."""

import socket

import pytest
from django.test import Client

from appliances.models import Appliance, ApplicationLog
from tests.fakes import Answer

NEW_GUID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
HEALTH = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<health_check xmlns="https://www.beyondtrust.com/namespaces/API/command">'
    b'<appliance id="' + NEW_GUID.encode() + b'">support.example.com</appliance>'
    b"<version>24.3.2 (build 1234)</version><success>1</success></health_check>"
)


def _api_info(reporting: str = "1") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<api_information xmlns="https://www.beyondtrust.com/namespaces/API/command">'
        b"<api_version>1.25.0</api_version><permissions>"
        b'<permission name="perm_command">full_access</permission>'
        b'<permission name="perm_reporting_support">'
        + reporting.encode()
        + b"</permission>"
        b"</permissions></api_information>"
    )


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _press(admin: Client, appliance: Appliance) -> list[str]:
    response = admin.post(
        f"/admin/appliances/appliance/{appliance.pk}/test-connection/", follow=True
    )
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_it_fills_the_guid_and_version_when_the_connection_works(
    appliance, fake, admin
):
    fake.default("command:check_health", Answer(200, HEALTH))
    fake.default("command:get_api_info", Answer(200, _api_info()))

    messages = _press(admin, appliance)

    appliance.refresh_from_db()
    assert messages == ["Connected: appliance version 24.3.2 (build 1234), API 1.25.0."]
    assert (
        appliance.appliance_guid,
        appliance.software_version,
        appliance.api_version,
    ) == (
        NEW_GUID,
        "24.3.2 (build 1234)",
        "1.25.0",
    )
    assert appliance.last_check_result == messages[0]


def test_it_names_a_missing_permission(appliance, fake, admin):
    fake.default("command:check_health", Answer(200, HEALTH))
    fake.default("command:get_api_info", Answer(200, _api_info(reporting="0")))

    messages = _press(admin, appliance)

    assert "Missing permission: Support session reports and recordings" in messages[0]


def test_it_blames_the_oauth_client_id_or_secret_when_the_token_is_refused(
    appliance, fake, admin
):
    appliance.client_secret = "wrong-secret"
    appliance.save()

    messages = _press(admin, appliance)

    assert len(messages) == 1
    assert "OAuth client ID or secret" in messages[0]
    assert "wrong-secret" not in messages[0]
    assert ApplicationLog.objects.filter(level="ERROR", step="connection_test").exists()


def test_it_says_connection_refused_when_nothing_listens(appliance, admin):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    appliance.hostname = f"http://127.0.0.1:{port}"
    appliance.save()

    messages = _press(admin, appliance)

    assert len(messages) == 1
    assert "Connection refused" in messages[0]


def test_it_refuses_a_doctype_in_get_api_info_and_stores_nothing_from_it(
    appliance, fake, admin
):
    fake.default("command:check_health", Answer(200, HEALTH))
    doctype = (
        b'<?xml version="1.0"?>\n<!DOCTYPE api_information [<!ENTITY v "9.9.9">]>\n'
        + _api_info().split(b"\n", 1)[1]
    )
    fake.default(
        "command:get_api_info", Answer(200, doctype.replace(b"1.25.0", b"&v;"))
    )

    messages = _press(admin, appliance)

    appliance.refresh_from_db()
    assert len(messages) == 1
    assert "DTD not allowed" in messages[0]
    assert appliance.api_version == ""
    assert appliance.appliance_guid == "5b0e2d7c-91a4-4f63-8e2b-c4d1a7f09e36"


def test_it_refuses_the_button_to_a_technician(appliance, fake, technician):
    tech = Client()
    tech.force_login(technician)

    response = tech.post(f"/admin/appliances/appliance/{appliance.pk}/test-connection/")

    assert response.status_code == 403
    assert fake.calls == []
