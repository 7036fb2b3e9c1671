"""Encryption of secrets at rest with a rotatable key list (MultiFernet)."""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty; run `make demo` once or set it in the "
            "environment."
        )
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(value: str) -> str:
    """Return `value` encrypted with the newest key."""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    """Return the plain text of `value`; empty stays empty."""
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEYS no longer "
            "holds the key it was encrypted with. Add the old key back to the list "
            "or enter the secret again."
        ) from exc


def mask(value: str) -> str:
    """Return a display form that never shows more than the last two characters."""
    if not value:
        return ""
    return "•" * 8 + (value[-2:] if len(value) > 8 else "")
