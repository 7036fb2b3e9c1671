"""Settings for the integration tier: the test defaults, on the PostgreSQL and
Redis that `python -m tests.integration.servers run -- ...` started.

The launcher puts the servers' addresses in DATABASE_URL, REDIS_URL and
CELERY_BROKER_URL before Django loads, so the production code paths (PostgreSQL
backend, Redis cache, Redis broker with its transport options) are the ones
under test. Without the launcher the tier's tests skip themselves.
"""

import os

os.environ.setdefault("INTEGRATION_ENV", "test")

from integration.settings_test import *  # noqa: F403
from integration.settings_test import DATABASES

# Threads in the tests open their own connections; keep none between requests.
DATABASES["default"]["CONN_MAX_AGE"] = 0
