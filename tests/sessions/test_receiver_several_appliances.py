"""With several appliances, a post must name its sender by token or GUID."""

from appliances.models import Appliance
from sessions.models import OutboundEvent, RejectedPost
from tests.reports import end_event


def make_second(token: str = "") -> Appliance:
    second = Appliance(name="Branch", hostname="branch.example.com")
    second.outbound_event_token = token
    second.save()
    return second


def test_it_refuses_an_unnamed_post_when_another_appliance_has_no_token(
    hook_appliance, post_event
):
    make_second(token="")
    body = end_event("c" * 32, "INC0010001").replace(b"appliance_id=", b"appliance_x=")

    response = post_event(body, token="not-the-token")

    assert response.status_code == 403
    assert OutboundEvent.objects.count() == 0
    assert RejectedPost.objects.count() == 1


def test_it_takes_the_appliance_whose_token_the_post_carries(
    hook_appliance, post_event
):
    second = make_second(token="branch-token")
    body = end_event("d" * 32, "INC0010001").replace(b"appliance_id=", b"appliance_x=")

    response = post_event(body, token="branch-token")

    assert response.status_code == 200
    assert OutboundEvent.objects.get().appliance == second
