"""Store what an appliance posted, raw and first, and decide what it is.

The appliance holds back every later event until one is answered 200, so once a
post is authenticated it is stored and answered 200 whatever it holds; only a
failure to store it gets a 5xx (so the appliance sends it again).
"""

import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.models import Appliance
from integration import clock
from sessions import dispatch
from sessions.choices import EventName, Outcome
from sessions.models import OutboundEvent

logger = logging.getLogger(__name__)

LSID_RE = re.compile(r"^[0-9a-f]{32}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,18}$", re.ASCII)
SURVEYS = {EventName.CUSTOMER_SURVEY, EventName.REP_SURVEY}
KNOWN = {choice.value for choice in EventName}


@dataclass
class Post:
    raw: bytes
    truncated: bool
    content_type: str
    peer: str | None


def parse_form(raw: bytes) -> list[tuple[str, str]]:
    """Return every field of a form body, repeated keys kept, invalid UTF-8 replaced."""
    # parse_qsl on bytes insists on ASCII and would raise on a raw non-ASCII byte
    # (a 500 that stalls the appliance's feed); Latin-1 maps every byte to one
    # character and back, so the UTF-8 decoding below still sees the exact bytes.
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return [(_utf8(key), _utf8(value)) for key, value in pairs]


def _utf8(text: str) -> str:
    # PostgreSQL refuses NUL in text and jsonb: storing one would fail, answer
    # 503 and stall the feed. The raw body keeps the exact bytes.
    return text.encode("latin-1").decode("utf-8", "replace").replace("\x00", "\ufffd")


def _unix_seconds(text: str) -> int | None:
    """Return ASCII digits as an int that fits a bigint, else None.

    str.isdigit() accepts "²" (int() then raises) and any length (a 20-digit
    value overflows the column): either would answer 5xx and stall the feed.
    """
    return int(text) if TIMESTAMP_RE.match(text) else None


def first(fields: list[tuple[str, str]], name: str) -> str:
    return next((value for key, value in fields if key == name), "").strip()


def classify_post(
    fields: list[tuple[str, str]], truncated: bool
) -> tuple[Outcome, str, str]:
    """Return (outcome, reason code, reason) for a stored post before any import."""
    if truncated:
        return (
            Outcome.REJECTED,
            "too_large",
            "The post is larger than the receiver's cap.",
        )
    event = first(fields, "event")
    if not event:
        return Outcome.REJECTED, "missing_event", "The post has no event field."
    if event not in KNOWN:
        return (
            Outcome.IGNORED,
            "unknown_event",
            f"Event {event!r} is not one this product uses.",
        )
    if event in SURVEYS:
        return (
            Outcome.UNHANDLED,
            "survey",
            "Survey events are stored; survey import is not part of this version.",
        )
    if event != EventName.END:
        return Outcome.IGNORED, "not_end", f"{event} needs no import."
    lsid = first(fields, "lsid")
    if not lsid:
        return Outcome.REJECTED, "missing_lsid", "The end event has no lsid."
    if not LSID_RE.match(lsid.lower()):
        return (
            Outcome.REJECTED,
            "invalid_lsid",
            f"The lsid {lsid[:64]!r} is not 32 hex digits.",
        )
    return Outcome.PENDING_ENQUEUE, "", ""


def store_post(appliance: Appliance, post: Post) -> OutboundEvent:
    """Store the post (or count a repeated delivery) and queue it after commit."""
    fields = parse_form(post.raw)
    outcome, code, reason = classify_post(fields, post.truncated)
    if not appliance.integration_enabled and outcome == Outcome.PENDING_ENQUEUE:
        outcome, code, reason = (
            Outcome.IGNORED,
            "integration_disabled",
            "The integration is disabled for this appliance.",
        )
    event = _new_event(appliance, post, fields, outcome, code, reason)
    try:
        # The unique identity decides, not a read before the write: two
        # deliveries racing each other cannot both insert.
        with transaction.atomic():
            event.save()
            if outcome == Outcome.PENDING_ENQUEUE and not _outbox():
                dispatch.publish_after_commit(event.pk)
    except IntegrityError:
        if event.identity is None:
            raise
        stored = _count_repeat(event)
        _log(stored, repeated=True)
        return stored
    _log(event, repeated=False)
    return event


def _new_event(
    appliance: Appliance,
    post: Post,
    fields: list[tuple[str, str]],
    outcome: Outcome,
    code: str,
    reason: str,
) -> OutboundEvent:
    lsid = first(fields, "lsid").lower()[:64]
    timestamp = first(fields, "timestamp")
    event_name = first(fields, "event")[:100]
    usable = outcome in (Outcome.PENDING_ENQUEUE, Outcome.UNHANDLED, Outcome.IGNORED)
    identity = (
        f"{appliance.pk}:{event_name}:{lsid}:{timestamp}"[:200]
        if usable and event_name
        else None
    )
    return OutboundEvent(
        appliance=appliance,
        identity=identity,
        event=event_name,
        lsid=lsid,
        timestamp=_unix_seconds(timestamp),
        external_key=first(fields, "external_key")[:1024],
        version=first(fields, "version")[:20],
        raw_body=post.raw,
        body_truncated=post.truncated,
        fields=[[key, value] for key, value in fields],
        content_type=post.content_type[:200],
        peer_address=post.peer,
        outcome=outcome,
        reason_code=code,
        reason=reason,
        last_delivery_at=clock.now(),
    )


def _outbox() -> bool:
    return bool(settings.INTEGRATION["RECEIVER_DISPATCH"] == "outbox")


def _count_repeat(event: OutboundEvent) -> OutboundEvent:
    existing = OutboundEvent.objects.get(identity=event.identity)
    OutboundEvent.objects.filter(pk=existing.pk).update(
        delivery_count=F("delivery_count") + 1, last_delivery_at=clock.now()
    )
    return existing


def _log(event: OutboundEvent, repeated: bool) -> None:
    if repeated:
        message = f"Repeated delivery of {event.event} absorbed (one row kept)."
        level = LogLevel.INFO
    elif event.outcome in (Outcome.REJECTED, Outcome.IGNORED, Outcome.UNHANDLED):
        message = f"Webhook stored as {event.outcome_label}: {event.reason}"
        level = LogLevel.WARNING if event.outcome == Outcome.REJECTED else LogLevel.INFO
    else:
        # The stored event is this webhook's record in the admin; a second row
        # per post in the application log would halve the receiver's rate.
        logger.debug("Webhook %s stored for %s", event.event, event.lsid)
        return
    log_step(
        level, LogStep.WEBHOOK, message, appliance=event.appliance, lsid=event.lsid
    )
