"""Settings for the unit tier: the production settings with test defaults."""

import os

os.environ.setdefault("INTEGRATION_ENV", "test")
os.environ.setdefault("APPLIANCE_ALLOW_HTTP_LOOPBACK", "true")
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEYS", "oR3cMyGMX4e6rbKhYqtDPoM1QGMvLdFxnyHBB1BZfkE="
)
os.environ.setdefault("APPLIANCE_READ_TIMEOUT", "5")
os.environ.setdefault("APPLIANCE_CONNECT_TIMEOUT", "2")
# Each test has its own appliances; a per-process cache would outlive them.
os.environ.setdefault("RECEIVER_APPLIANCE_CACHE_SECONDS", "0")

from integration.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
