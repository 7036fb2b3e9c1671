"""Review: posts from an authenticated appliance that must be stored and answered 200."""

import pytest

from sessions.models import OutboundEvent

LSID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "timestamp",
    ["\u00b2", "99999999999999999999", "-5", "1e9", "\u0661\u0662"],
    ids=["superscript-two", "twenty-digits", "negative", "exponent", "arabic-indic"],
)
def test_it_stores_an_end_event_with_an_absurd_timestamp_and_answers_200(
    timestamp, hook_appliance, post_event, published, django_capture_on_commit_callbacks
):
    body = f"event=support_conference_end&lsid={LSID}&timestamp={timestamp}".encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(body)

    assert response.status_code == 200
    event = OutboundEvent.objects.get()
    assert bytes(event.raw_body) == body
    assert event.timestamp is None or 0 <= event.timestamp < 2**63


def test_it_keeps_no_nul_character_in_text_columns(
    hook_appliance, post_event, published, django_capture_on_commit_callbacks
):
    # PostgreSQL refuses NUL in text and in jsonb ("unsupported Unicode escape
    # sequence"): storing it there fails, the receiver answers 503, and the
    # appliance holds back its whole feed behind this one post.
    body = (
        f"event=support_conference_end&lsid={LSID}&timestamp=1700000000"
        "&external_key=INC%000010001&version=1%00&custom%00key=v%00"
    ).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(body)

    assert response.status_code == 200
    event = OutboundEvent.objects.get()
    assert bytes(event.raw_body) == body
    stored = [
        event.event,
        event.lsid,
        event.external_key,
        event.version,
        event.identity or "",
    ]
    stored += [text for pair in event.fields for text in pair]
    assert not [text for text in stored if "\x00" in text]


@pytest.mark.parametrize(
    "forwarded", ["203.0.113.9:41234", "unknown", "[2001:db8::1]:443"]
)
def test_it_stores_only_an_ip_address_as_the_peer(
    forwarded,
    hook_appliance,
    post_event,
    published,
    settings,
    django_capture_on_commit_callbacks,
):
    # The peer column is `inet` on PostgreSQL: a proxy's "address:port" or
    # "unknown" would fail the insert, answer 503 and stall the feed.
    import ipaddress

    settings.INTEGRATION = {
        **settings.INTEGRATION,
        "RECEIVER_TRUSTED_PROXIES": ["127.0.0.1"],
    }
    body = f"event=support_conference_end&lsid={LSID}&timestamp=1700000000".encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(body, HTTP_X_FORWARDED_FOR=forwarded)

    assert response.status_code == 200
    peer = OutboundEvent.objects.get().peer_address
    assert peer is None or ipaddress.ip_address(peer)
