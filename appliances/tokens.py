"""One OAuth token per appliance, shared by every worker through the database.

An API account holds at most 30 live tokens and minting a 31st silently revokes
the oldest, so workers must not each fetch their own. The token is kept encrypted
with its expiry; a worker that finds it missing or close to expiry claims the
renewal with a conditional update (exactly one wins), and the others wait for the
winner's token instead of minting their own.
"""

import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from appliances import http
from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.crypto import decrypt, encrypt
from appliances.models import Appliance, ApplianceToken
from appliances.urls_guard import ApplianceUrlError
from integration import clock

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 30
POLL_SECONDS = 0.1


class TokenError(Exception):
    """The appliance refused to issue a token, or could not be reached for one."""

    def __init__(self, appliance: Appliance, message: str, refused: bool) -> None:
        super().__init__(f"Appliance {appliance.name}: {message}")
        self.appliance = appliance
        self.refused = refused


def get_token(appliance: Appliance) -> str:
    """Return a token with more than the renewal margin left, renewing if needed."""
    deadline = time.monotonic() + settings.INTEGRATION["TOKEN_RENEW_WAIT"]
    row = _token_row(appliance)
    while True:
        token = _usable(row)
        if token:
            return token
        if _claim_renewal(row):
            return _renew(appliance, row)
        if time.monotonic() > deadline:
            raise TokenError(
                appliance,
                "another worker is renewing the API token and has not finished; "
                "the call will be retried.",
                refused=False,
            )
        time.sleep(POLL_SECONDS)
        row.refresh_from_db()


def invalidate(appliance: Appliance, token: str) -> None:
    """Drop `token` if it is still the cached one (a newer token is kept)."""
    row = _token_row(appliance)
    if row.token_encrypted and decrypt(row.token_encrypted) == token:
        ApplianceToken.objects.filter(
            pk=row.pk, token_encrypted=row.token_encrypted
        ).update(token_encrypted="", expires_at=None)
        log_step(
            LogLevel.INFO,
            LogStep.TOKEN,
            "The appliance refused the cached API token; it was dropped.",
            appliance=appliance,
        )


def _token_row(appliance: Appliance) -> ApplianceToken:
    row = ApplianceToken.objects.filter(appliance=appliance).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return ApplianceToken.objects.create(appliance=appliance)
    except IntegrityError:
        return ApplianceToken.objects.get(appliance=appliance)


def _usable(row: ApplianceToken) -> str:
    if not row.token_encrypted or row.expires_at is None:
        return ""
    margin = timedelta(seconds=settings.INTEGRATION["TOKEN_RENEW_MARGIN"])
    if row.expires_at - margin <= clock.now():
        return ""
    return decrypt(row.token_encrypted)


def _claim_renewal(row: ApplianceToken) -> bool:
    now = clock.now()
    margin = timedelta(seconds=settings.INTEGRATION["TOKEN_RENEW_MARGIN"])
    # `row` may be stale: another worker may have renewed since we read it. Claim
    # only while the stored token still needs renewal, or we would mint a second.
    needs_renewal = (
        Q(token_encrypted="")
        | Q(expires_at__isnull=True)
        | Q(expires_at__lte=now + margin)
    )
    free = Q(renewing_until__isnull=True) | Q(renewing_until__lt=now)
    claimed = ApplianceToken.objects.filter(free, needs_renewal, pk=row.pk).update(
        renewing_until=now + timedelta(seconds=CLAIM_SECONDS)
    )
    return claimed == 1


def _renew(appliance: Appliance, row: ApplianceToken) -> str:
    try:
        token, lifetime = _mint(appliance)
    except TokenError:
        ApplianceToken.objects.filter(pk=row.pk).update(renewing_until=None)
        raise

    now = clock.now()
    ApplianceToken.objects.filter(pk=row.pk).update(
        token_encrypted=encrypt(token),
        expires_at=now + timedelta(seconds=lifetime),
        renewing_until=None,
        renewed_at=now,
        renewals=row.renewals + 1,
    )
    log_step(
        LogLevel.INFO,
        LogStep.TOKEN,
        f"API token renewed; valid for {lifetime} s.",
        appliance=appliance,
    )
    return token


def _mint(appliance: Appliance) -> tuple[str, int]:
    try:
        reply = http.send(
            "POST",
            appliance.base_url + "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(appliance.client_id, appliance.client_secret),
        )
    except (http.TransportError, http.ReplyTooLarge, ApplianceUrlError) as exc:
        raise TokenError(appliance, str(exc), refused=False) from exc

    if reply.status in (400, 401, 403):
        _log_refusal(appliance, reply)
        raise TokenError(
            appliance,
            "the API credentials were refused (bad OAuth client ID or secret, or the "
            "API account is disabled). Check them on the appliance record.",
            refused=True,
        )
    return _read_token(appliance, reply)


def _read_token(appliance: Appliance, reply: http.Reply) -> tuple[str, int]:
    try:
        payload = json.loads(reply.body)
        token = str(payload["access_token"])
        lifetime = int(payload.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError(
            appliance,
            f"the token endpoint answered HTTP {reply.status} without a token; is "
            "the host name that of a BeyondTrust appliance?",
            refused=False,
        ) from exc
    if str(payload.get("token_type", "bearer")).lower() != "bearer":
        raise TokenError(
            appliance, "the token endpoint gave a non-Bearer token.", False
        )
    return token, lifetime


def _log_refusal(appliance: Appliance, reply: http.Reply) -> None:
    try:
        error = str(json.loads(reply.body).get("error", ""))
    except (ValueError, AttributeError):
        error = ""
    log_step(
        LogLevel.ERROR,
        LogStep.TOKEN,
        f"The appliance refused the API credentials (HTTP {reply.status}"
        f"{', ' + error if error else ''}).",
        appliance=appliance,
    )
