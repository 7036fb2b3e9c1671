"""The appliance form never shows the OAuth client secret or the outbound event
token back, not even after a failed save (C1, security)."""

import pytest
from django.test import Client

from appliances.models import Appliance

SECRET = "client-secret-Zq81xK"
TOKEN = "hook-token-Pw55mR"


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def stored(db) -> Appliance:
    record = Appliance(
        name="Default", hostname="support.example.com", client_id="api-client"
    )
    record.client_secret = SECRET
    record.outbound_event_token = TOKEN
    record.save()
    return record


def _form(**changes: str) -> dict[str, str]:
    data = {
        "name": "Default",
        "hostname": "support.example.com",
        "client_id": "api-client",
        "client_secret": "",
        "outbound_event_token": "",
        "integration_enabled": "on",
        "session_start_type": "click_to_chat",
        "issues-TOTAL_FORMS": "0",
        "issues-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_it_never_shows_the_stored_secret_or_token_on_the_change_page(stored, admin):
    page = admin.get(
        f"/admin/appliances/appliance/{stored.pk}/change/"
    ).content.decode()

    assert SECRET not in page
    assert TOKEN not in page
    assert "leave blank to keep" in page


def test_it_never_echoes_a_new_secret_or_token_when_the_form_is_invalid(stored, admin):
    response = admin.post(
        f"/admin/appliances/appliance/{stored.pk}/change/",
        _form(
            hostname="http://203.0.113.5",
            client_secret="new-secret-9f",
            outbound_event_token="new-token-3c",
        ),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "errornote" in page
    assert "new-secret-9f" not in page
    assert "new-token-3c" not in page
    assert SECRET not in page


def test_it_keeps_the_stored_secret_when_the_field_is_left_blank(stored, admin):
    response = admin.post(f"/admin/appliances/appliance/{stored.pk}/change/", _form())

    stored.refresh_from_db()
    assert response.status_code == 302
    assert (stored.client_secret, stored.outbound_event_token) == (SECRET, TOKEN)
