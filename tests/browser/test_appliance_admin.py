"""The appliance form's Test connection button, against the fake appliance, and
the Update Event Types button on the event type list."""

import re

import pytest
from playwright.sync_api import expect

from appliances.models import Appliance, EventType
from appliances.services import KNOWN_EVENT_TYPES
from simulator.xml import (
    API_VERSION,
    APPLIANCE_VERSION,
    api_information,
    document,
    health_check,
    namespace,
)
from tests.conftest import HOOK_TOKEN
from tests.fakes import Answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_GUID = "0d6f4a51-7c2e-4b9a-a3d8-2e61f0c8b7a4"
COMMAND_NS = namespace("beyondtrust", "command")


@pytest.fixture
def answering(fake, appliance):
    """The fake appliance answers check_health and get_api_info like a real one;
    the stored GUID is blank, for Test connection to fill."""
    fake.default(
        "command:check_health",
        Answer(body=document(health_check(NEW_GUID, "bt.example.com"), COMMAND_NS)),
    )
    fake.default(
        "command:get_api_info",
        Answer(body=document(api_information(1733239565), COMMAND_NS)),
    )
    Appliance.objects.filter(pk=appliance.pk).update(appliance_guid="")
    return appliance


def assert_no_secrets(page, *secrets):
    source = page.content()
    for secret in secrets:
        assert secret not in source


def test_it_tests_the_connection_and_fills_the_appliance_guid(
    admin_page, answering, fake
):
    page = admin_page
    page.goto(f"/admin/appliances/appliance/{answering.pk}/change/")
    expect(page.get_by_label("Appliance GUID")).to_have_value("")
    assert_no_secrets(page, fake.client_secret, HOOK_TOKEN)

    page.get_by_role("button", name="Test connection").click()

    expect(page).to_have_url(
        re.compile(rf"/admin/appliances/appliance/{answering.pk}/change/$")
    )
    success = page.locator(".messagelist .success")
    expect(success).to_have_text(
        f"Connected: appliance version {APPLIANCE_VERSION}, API {API_VERSION}."
    )
    expect(page.get_by_label("Appliance GUID")).to_have_value(NEW_GUID)
    expect(page.locator(".field-api_version .readonly")).to_have_text(API_VERSION)
    assert_no_secrets(page, fake.client_secret, HOOK_TOKEN)


def test_it_names_the_client_id_or_secret_when_the_secret_is_wrong(
    admin_page, answering, fake
):
    fake.client_secret = "rotated-on-the-appliance"
    page = admin_page
    page.goto(f"/admin/appliances/appliance/{answering.pk}/change/")

    page.get_by_role("button", name="Test connection").click()

    error = page.locator(".messagelist .error")
    expect(error).to_contain_text("bad OAuth client ID or secret")
    expect(page.locator(".messagelist .success")).to_have_count(0)
    expect(page.get_by_label("Appliance GUID")).to_have_value("")
    assert_no_secrets(page, "test-secret", fake.client_secret, HOOK_TOKEN)


def test_it_draws_the_post_buttons_like_the_admins_object_tool_links(
    admin_page, appliance
):
    page = admin_page
    page.goto(f"/admin/appliances/appliance/{appliance.pk}/change/")
    button = page.get_by_role("button", name="Test connection")
    history = page.locator(".object-tools").get_by_role("link", name="History")

    def style(locator, name):
        return locator.evaluate(f"e => getComputedStyle(e).{name}")

    for name in (
        "backgroundColor",
        "color",
        "textTransform",
        "borderRadius",
        "fontSize",
    ):
        assert style(button, name) == style(history, name), name


def test_it_inserts_the_event_types_once(admin_page):
    page = admin_page
    expected = len(KNOWN_EVENT_TYPES) - EventType.objects.count()
    assert expected > 0
    page.goto("/admin/appliances/eventtype/")

    page.get_by_role("button", name="Update Event Types").click()
    expect(page.locator(".messagelist .success")).to_have_text(f"{expected} inserted")
    expect(page.locator("#result_list tbody tr")).to_have_count(len(KNOWN_EVENT_TYPES))

    page.get_by_role("button", name="Update Event Types").click()
    expect(page.locator(".messagelist .success")).to_have_text("0 inserted")
    expect(page.locator("#result_list tbody tr")).to_have_count(len(KNOWN_EVENT_TYPES))
