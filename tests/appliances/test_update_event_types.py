"""Update Event Types inserts the known event types once; run again, it says
"0 inserted" (C2)."""

from django.test import Client

from appliances.models import EventType
from appliances.services import KNOWN_EVENT_TYPES

URL = "/admin/appliances/appliance/update-event-types/"


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_it_inserts_the_missing_event_types_then_nothing(admin_user):
    EventType.objects.create(name="Chat Message")
    admin = Client()
    admin.force_login(admin_user)

    first = admin.post(URL, follow=True)
    second = admin.post(URL, follow=True)

    assert _messages(first) == [f"{len(KNOWN_EVENT_TYPES) - 1} inserted"]
    assert _messages(second) == ["0 inserted"]
    assert EventType.objects.count() == len(KNOWN_EVENT_TYPES)


def test_it_refuses_update_event_types_to_a_technician_and_to_a_get(
    technician, admin_user
):
    tech = Client()
    tech.force_login(technician)
    admin = Client()
    admin.force_login(admin_user)

    assert tech.post(URL).status_code == 403
    assert admin.get(URL).status_code == 405
    assert EventType.objects.count() == 0
