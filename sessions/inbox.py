"""Store what an appliance posted, raw and first, and decide what it is.

The appliance holds back every later event until one is answered 200, so once a
post is authenticated it is stored and answered 200 whatever it holds; only a
failure to store it gets a 5xx (so the appliance sends it again).
"""

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.models import Appliance
from integration import clock
from sessions import dispatch
from sessions.choices import EventName, Outcome
from sessions.models import InboxPost, OutboundEvent

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

    @cached_property
    def fields(self) -> list[tuple[str, str]]:
        """Every form field of the body, parsed once for all who read it."""
        return parse_form(self.raw)


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


def receive(appliance: Appliance, post: Post) -> None:
    """Store an authenticated post the way RECEIVER_DISPATCH asks."""
    if _outbox():
        land(appliance, post)
    else:
        store_post(appliance, post)


def land(appliance: Appliance, post: Post) -> None:
    """Write the post to the narrow inbox table, in one short statement.

    Reading it (parsing, classifying, deduplicating) is the dispatcher's job.
    """
    values: list[Any] = [
        appliance.pk,
        post.raw,
        post.truncated,
        post.content_type[:200],
        post.peer,
        connection.ops.adapt_datetimefield_value(clock.now()),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_land_sql(connection.vendor), values)


@lru_cache(maxsize=4)
def _land_sql(vendor: str) -> str:
    table = connection.ops.quote_name(InboxPost._meta.db_table)
    return (
        f"INSERT INTO {table} (appliance_id, raw_body, body_truncated, content_type, "  # noqa: S608
        "peer_address, received_at) VALUES (%s, %s, %s, %s, %s, %s)"
    )


def read_inbox(limit: int = 500) -> int:
    """Turn landed posts into outbound events, oldest first; return how many.

    Each post becomes its event and leaves the inbox in one transaction, under
    a row lock other dispatchers skip, so a post is read exactly once.
    """
    with transaction.atomic():
        posts = list(
            InboxPost.objects.select_for_update(skip_locked=True)
            .select_related("appliance")
            .order_by("id")[:limit]
        )
        for landed in posts:
            post = Post(
                bytes(landed.raw_body),
                landed.body_truncated,
                landed.content_type,
                landed.peer_address,
            )
            store_post(
                landed.appliance, post, received_at=landed.received_at, publish=False
            )
        InboxPost.objects.filter(id__in=[landed.pk for landed in posts]).delete()
    return len(posts)


def store_post(
    appliance: Appliance,
    post: Post,
    received_at: datetime | None = None,
    publish: bool = True,
) -> OutboundEvent:
    """Store the post (or count a repeated delivery) and queue it after commit."""
    fields = post.fields
    outcome, code, reason = classify_post(fields, post.truncated)
    if not appliance.integration_enabled and outcome == Outcome.PENDING_ENQUEUE:
        outcome, code, reason = (
            Outcome.IGNORED,
            "integration_disabled",
            "The integration is disabled for this appliance.",
        )
    event = _new_event(appliance, post, fields, outcome, code, reason)
    if received_at is not None:
        event.received_at = received_at
    with transaction.atomic():
        inserted = insert_once(event)
        if inserted and publish and outcome == Outcome.PENDING_ENQUEUE:
            dispatch.publish_after_commit(event.pk)
    if not inserted:
        stored = _count_repeat(event)
        _log(stored, repeated=True)
        return stored
    _log(event, repeated=False)
    return event


_COLUMNS = [f for f in OutboundEvent._meta.concrete_fields if not f.primary_key]


@lru_cache(maxsize=4)
def _insert_sql(vendor: str) -> str:
    table = connection.ops.quote_name(OutboundEvent._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in _COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    return (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608 - model names
        "ON CONFLICT (identity) DO NOTHING RETURNING id"
    )


@lru_cache(maxsize=4)
def _converters(vendor: str) -> list[tuple[str, Callable[[Any], Any] | None]]:
    """Return each column's attribute and the conversion its value needs, if any.

    Most columns pass through; only these differ from what the driver takes.
    """
    converters: list[tuple[str, Callable[[Any], Any] | None]] = []
    for field in _COLUMNS:
        convert: Callable[[Any], Any] | None = None
        if isinstance(field, models.JSONField):
            convert = json.dumps
        elif isinstance(field, models.DateTimeField):
            convert = connection.ops.adapt_datetimefield_value
        converters.append((field.attname, convert))
    return converters


def insert_once(event: OutboundEvent) -> bool:
    """Insert the event unless one with its identity exists; say which happened.

    The unique identity decides inside the database, not a read before the
    write, so two deliveries racing each other cannot both insert. One plain
    statement: the receiver's cost is mostly this insert.
    """
    values = [
        convert(getattr(event, attname)) if convert else getattr(event, attname)
        for attname, convert in _converters(connection.vendor)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor), values)
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk = row[0]
    event._state.adding = False
    return True


def _new_event(
    appliance: Appliance,
    post: Post,
    fields: list[tuple[str, str]],
    outcome: Outcome,
    code: str,
    reason: str,
) -> OutboundEvent:
    now = clock.now()
    lsid = first(fields, "lsid").lower()[:64]
    timestamp = first(fields, "timestamp")
    event_name = first(fields, "event")[:100]
    usable = outcome in (Outcome.PENDING_ENQUEUE, Outcome.UNHANDLED, Outcome.IGNORED)
    identity = (
        f"{appliance.pk}:{event_name}:{lsid}:{timestamp}{_variant(event_name, post)}"[
            :200
        ]
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
        last_delivery_at=now,
        received_at=now,
    )


def _outbox() -> bool:
    return bool(settings.INTEGRATION["RECEIVER_DISPATCH"] == "outbox")


def _variant(event_name: str, post: Post) -> str:
    """Tell apart different posts that share event, lsid and second.

    An end or survey event is one per session and second, so its identity is
    exactly that; two members joining in the same second are two posts.
    """
    if event_name in (EventName.END, *SURVEYS):
        return ""
    return ":" + hashlib.sha256(post.raw).hexdigest()[:16]


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
