"""Survey-completed events are stored as their own rows, `unhandled`, and fetch
nothing (survey import is not part of this version)."""

import pytest

from sessions import services
from sessions.models import OutboundEvent
from tests.reports import end_event

LSID = "fccd1d3b4594d440df848aebfcc99237"


@pytest.mark.parametrize(
    "name",
    [
        "support_conference_customer_exit_survey_completed",
        "support_conference_rep_exit_survey_completed",
    ],
)
def test_it_stores_a_survey_event_as_unhandled_without_fetching(
    name, hook_appliance, post_event, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(end_event(LSID, "INC0010092", event=name))
    swept = services.sweep()

    assert response.status_code == 200
    event = OutboundEvent.objects.get()
    assert (event.event, event.outcome, event.reason_code) == (
        name,
        "unhandled",
        "survey",
    )
    assert (published, swept) == ([], 0)
