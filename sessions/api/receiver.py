"""The outbound event receiver the appliance posts to (C9)."""

import hmac
import ipaddress
import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.models import Appliance
from integration import clock
from sessions.inbox import Post, first, receive
from sessions.models import RejectedPost

logger = logging.getLogger(__name__)

TOKEN_FIELD = "outbound_event_token"
OK_BODY = b'{"status":"ok"}'


class Refused(Exception):
    def __init__(self, reason: str, appliance: Appliance | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.appliance = appliance


def peer_address(request: HttpRequest) -> str:
    """Return the real peer; a forwarded header counts only from a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.INTEGRATION["RECEIVER_TRUSTED_PROXIES"]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or not _in_networks(remote, trusted):
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, trusted):
            # A hop that is no address ("unknown", "addr:port") names no peer
            # we can check or store; the proxy itself is the peer then.
            return hop if _is_address(hop) else remote
    return remote


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _in_networks(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def read_body(request: HttpRequest) -> tuple[bytes, bool]:
    """Read the raw body ourselves, capped, before anything parses it."""
    cap = settings.INTEGRATION["RECEIVER_MAX_BODY_BYTES"]
    raw = request.read(cap + 1)
    return raw[:cap], len(raw) > cap


def identify(fields: list[tuple[str, str]], token: str, peer: str) -> Appliance:
    """Return the appliance that sent the post, or raise Refused."""
    guid = first(fields, "appliance_id").lower().replace("-", "")
    appliances = known_appliances()
    if not appliances:
        raise Refused("no appliance is configured")
    by_guid = [
        a
        for a in appliances
        if guid and a.appliance_guid.lower().replace("-", "") == guid
    ]
    by_token = [
        a
        for a in appliances
        if a.outbound_event_token_encrypted and _token_ok(a, token)
    ]
    candidates = by_guid or by_token
    if not candidates:
        # Without a token or a known GUID, only a single appliance can be meant;
        # with several, an unnamed post would be taken for whichever has no token.
        candidates = appliances if len(appliances) == 1 else []
    if len(candidates) != 1:
        reason = (
            "missing outbound_event_token"
            if not token
            else "wrong outbound_event_token"
        )
        raise Refused(reason)
    appliance = candidates[0]
    _verify(appliance, token, peer)
    return appliance


def _token_ok(appliance: Appliance, token: str) -> bool:
    expected = _tokens.get(appliance.pk, "")
    return bool(token) and hmac.compare_digest(expected.encode(), token.encode())


# Appliances and their decrypted hook tokens, kept briefly per process: every post
# needs them, and they change rarely. A save in this process clears them at once;
# other processes see a change within APPLIANCE_CACHE_SECONDS.
_cached: list[Appliance] = []
_tokens: dict[int, str] = {}
_cached_until = 0.0


def known_appliances() -> list[Appliance]:
    """Return every appliance, from the short per-process cache when fresh."""
    global _cached, _tokens, _cached_until
    now = time.monotonic()
    if now < _cached_until:
        return _cached
    appliances = list(Appliance.objects.all())
    _tokens = {a.pk: a.outbound_event_token for a in appliances}
    _cached = appliances
    _cached_until = now + settings.INTEGRATION["APPLIANCE_CACHE_SECONDS"]
    return appliances


def forget_appliances(**kwargs: Any) -> None:
    """Drop the cached appliances (connected to the appliance's save and delete)."""
    global _cached_until
    _cached_until = 0.0


def _verify(appliance: Appliance, token: str, peer: str) -> None:
    if appliance.outbound_event_token_encrypted and not _token_ok(appliance, token):
        reason = (
            "missing outbound_event_token"
            if not token
            else "wrong outbound_event_token"
        )
        raise Refused(reason, appliance)
    accepted = [
        a
        for a in appliance.accepted_ip_addresses.replace(";", ",").split(",")
        if a.strip()
    ]
    if accepted and not _in_networks(peer, accepted):
        raise Refused(f"address {peer} is not accepted", appliance)


class _JsonOnly(BaseContentNegotiation):
    """Always answer JSON: the appliance reads only the status code."""

    def select_parser(self, request: Any, parsers: Any) -> None:
        return None

    def select_renderer(
        self, request: Any, renderers: Any, format_suffix: Any = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class SessionEndReceiver(APIView):
    """Accept outbound events: authenticate, store raw, answer 200, import later.

    Every part of the request cycle this endpoint does not need (parsers, content
    negotiation, renderers) is off: the receiver must keep pace with bursts.
    """

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    parser_classes: list[Any] = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JsonOnly

    def post(self, request: Request) -> HttpResponse:
        django_request = request._request
        raw, truncated = read_body(django_request)
        peer = peer_address(django_request)
        post = Post(
            raw, truncated, django_request.META.get("CONTENT_TYPE", ""), peer or None
        )
        token = django_request.GET.get(TOKEN_FIELD, "") or first(
            post.fields, TOKEN_FIELD
        )
        try:
            appliance = identify(post.fields, token, peer)
        except Refused as refusal:
            return _refuse(django_request, refusal, peer, len(raw))

        try:
            receive(appliance, post)
        except DatabaseError:
            logger.exception(
                "Could not store an outbound event from %s", appliance.name
            )
            return Response(
                {"status": "error", "detail": "not stored; send again"}, status=503
            )
        return HttpResponse(OK_BODY, content_type="application/json")


def _refuse(request: HttpRequest, refusal: Refused, peer: str, size: int) -> Response:
    window = clock.now() - timedelta(minutes=1)
    recent = RejectedPost.objects.filter(
        peer_address=peer or None, received_at__gte=window
    )
    if recent.count() >= settings.INTEGRATION["REJECTED_POST_RATE_PER_MINUTE"]:
        return Response(
            {"status": "refused", "detail": "too many refused posts"}, status=429
        )

    RejectedPost.objects.create(
        peer_address=peer or None,
        path=request.path[:200],
        reason=refusal.reason[:200],
        body_size=size,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
    )
    log_step(
        LogLevel.WARNING,
        LogStep.WEBHOOK_REJECTED,
        f"Refused an outbound event post from {peer}: {refusal.reason}.",
        appliance=refusal.appliance,
    )
    return Response({"status": "refused", "detail": refusal.reason}, status=403)
