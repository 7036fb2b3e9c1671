"""The receiver accepts only the appliance: its token (query string or form field),
its accepted addresses (CIDR, real peer), refused posts recorded without their
content and rate limited; oversize posts stored truncated; storage failure 5xx (C9)."""

import copy
from typing import Any

import pytest
from django.db import OperationalError

from appliances.models import ApplicationLog
from sessions import inbox
from sessions.models import OutboundEvent, RejectedPost
from tests.conftest import HOOK_TOKEN, RECEIVER
from tests.reports import end_event

LSID = "aceac5fc578f75fbbfa6bfac69eed523"
SECRET_WORDS = "customer-password-hunter2"


def _integration(settings: Any, **changes: Any) -> None:
    config = copy.deepcopy(settings.INTEGRATION)
    config.update(changes)
    settings.INTEGRATION = config


def _body(**extra: str) -> bytes:
    tail = "".join(f"&{k}={v}" for k, v in extra.items())
    return end_event(LSID, "INC0010091") + tail.encode()


@pytest.mark.parametrize(
    "token", [None, "", "hook-token-6c1", "hook-token-6c1f0", "HOOK-TOKEN-6C1F"]
)
def test_it_refuses_a_post_without_the_right_token_and_keeps_no_content(
    token, hook_appliance, post_event, published
):
    body = _body(secret=SECRET_WORDS)

    response = post_event(body, token=token)

    assert response.status_code == 403
    assert OutboundEvent.objects.count() == 0
    refused = RejectedPost.objects.get()
    assert refused.body_size == len(body)
    assert refused.reason in {
        "missing outbound_event_token",
        "wrong outbound_event_token",
    }
    stored = " ".join(str(v) for v in RejectedPost.objects.values().get().values())
    logged = " ".join(ApplicationLog.objects.values_list("message", flat=True))
    for text in (SECRET_WORDS, LSID):
        assert text not in stored
        assert text not in logged
    if token:
        assert token not in stored + logged
    assert published == []


def test_it_accepts_the_token_as_a_form_field(hook_appliance, post_event, published):
    response = post_event(_body(outbound_event_token=HOOK_TOKEN), token=None)

    assert response.status_code == 200
    assert OutboundEvent.objects.get().lsid == LSID


def test_it_refuses_a_wrong_form_field_token_even_with_the_right_appliance_id(
    hook_appliance, post_event
):
    response = post_event(_body(outbound_event_token="guess"), token=None)

    assert response.status_code == 403
    assert RejectedPost.objects.get().reason == "wrong outbound_event_token"


@pytest.mark.parametrize(
    ("accepted", "peer", "status"),
    [
        ("203.0.113.0/24", "203.0.113.77", 200),
        ("203.0.113.0/24", "203.0.114.1", 403),
        ("198.51.100.9, 203.0.113.0/28", "203.0.113.15", 200),
        ("198.51.100.9; 203.0.113.0/28", "203.0.113.16", 403),
        ("198.51.100.9", "198.51.100.9", 200),
        ("2001:db8::/32", "2001:db8:1::5", 200),
        ("2001:db8::/32", "2001:db9::5", 403),
        ("not-an-address, 203.0.113.5", "203.0.113.5", 200),
    ],
)
def test_it_accepts_only_the_listed_addresses_and_networks(
    accepted, peer, status, hook_appliance, post_event
):
    hook_appliance.accepted_ip_addresses = accepted
    hook_appliance.save()

    response = post_event(_body(), REMOTE_ADDR=peer)

    assert response.status_code == status
    assert OutboundEvent.objects.count() == (1 if status == 200 else 0)
    if status == 403:
        assert RejectedPost.objects.get().reason == f"address {peer} is not accepted"


@pytest.mark.parametrize(
    ("remote", "forwarded", "status", "seen"),
    [
        ("198.51.100.7", "203.0.113.9", 200, "203.0.113.9"),
        ("198.51.100.7", "203.0.113.9, 198.51.100.8", 200, "203.0.113.9"),
        ("198.51.100.7", "203.0.113.9, 198.51.100.50", 403, "198.51.100.50"),
        ("198.51.100.99", "203.0.113.9", 403, "198.51.100.99"),
        ("203.0.113.9", "198.51.100.50", 200, "203.0.113.9"),
    ],
)
def test_it_honours_x_forwarded_for_only_from_a_trusted_proxy(
    remote, forwarded, status, seen, hook_appliance, post_event, settings
):
    _integration(settings, RECEIVER_TRUSTED_PROXIES=["198.51.100.7", "198.51.100.8/32"])
    hook_appliance.accepted_ip_addresses = "203.0.113.0/24"
    hook_appliance.save()

    response = post_event(_body(), REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert response.status_code == status
    if status == 200:
        assert OutboundEvent.objects.get().peer_address == seen
    else:
        assert RejectedPost.objects.get().peer_address == seen


def test_it_rate_limits_refused_posts_from_one_source(
    hook_appliance, post_event, settings
):
    _integration(settings, REJECTED_POST_RATE_PER_MINUTE=3)

    statuses = [
        post_event(_body(), token="wrong", REMOTE_ADDR="203.0.113.66").status_code
        for _ in range(6)
    ]
    other = post_event(_body(), token="wrong", REMOTE_ADDR="203.0.113.67").status_code

    assert statuses == [403, 403, 403, 429, 429, 429]
    assert other == 403
    assert RejectedPost.objects.filter(peer_address="203.0.113.66").count() == 3
    assert RejectedPost.objects.count() == 4


@pytest.mark.parametrize("size", [1025, 4096, 3 * 1024 * 1024])
def test_it_stores_an_oversize_post_truncated_and_answers_200(
    size, hook_appliance, post_event, published, settings
):
    _integration(settings, RECEIVER_MAX_BODY_BYTES=1024)
    body = _body(padding="x" * size)

    response = post_event(body)

    assert response.status_code == 200
    event = OutboundEvent.objects.get()
    assert bytes(event.raw_body) == body[:1024]
    assert event.body_truncated
    assert event.outcome_label == "rejected:too_large"
    assert published == []


def test_it_stores_a_post_of_exactly_the_cap_whole(
    hook_appliance, post_event, published, settings, django_capture_on_commit_callbacks
):
    body = _body()
    _integration(settings, RECEIVER_MAX_BODY_BYTES=len(body))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(body)

    assert response.status_code == 200
    event = OutboundEvent.objects.get()
    assert (event.body_truncated, event.outcome) == (False, "queued")


def test_it_answers_5xx_when_the_accepted_post_cannot_be_stored(
    hook_appliance, post_event, published, monkeypatch
):
    def fail(*args, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(inbox, "insert_once", fail)

    response = post_event(_body())

    assert 500 <= response.status_code < 600
    assert published == []
    assert RejectedPost.objects.count() == 0


def test_it_answers_403_when_no_appliance_is_configured(db, post_event):
    response = post_event(_body())

    assert response.status_code == 403
    assert RejectedPost.objects.get().reason == "no appliance is configured"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_it_does_not_store_anything_for_other_methods(method, hook_appliance, client):
    response = getattr(client, method)(f"{RECEIVER}?outbound_event_token={HOOK_TOKEN}")

    assert response.status_code == 405
    assert OutboundEvent.objects.count() == 0
