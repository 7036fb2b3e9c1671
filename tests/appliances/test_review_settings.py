"""Review: a malformed setting stops the process with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "name, value",
    [
        ("IMPORT_MAX_ATTEMPTS", "abc"),
        ("BROKER_VISIBILITY_TIMEOUT", "1h"),
        ("APPLIANCE_READ_TIMEOUT", "nan"),
        ("REPORT_MAX_BYTES", "1e999"),
        ("DATABASE_URL", "nonsense"),
        ("APPLIANCE_ALLOW_HTTP_LOOPBACK", "maybe"),
    ],
)
def test_it_names_the_malformed_variable(name, value, tmp_path):
    env = {
        key: item
        for key, item in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            name: value,
            "DJANGO_SETTINGS_MODULE": "integration.settings",
            "INTEGRATION_VAR_DIR": str(tmp_path),
            "INTEGRATION_ENV": "test",
            "FIELD_ENCRYPTION_KEYS": "oR3cMyGMX4e6rbKhYqtDPoM1QGMvLdFxnyHBB1BZfkE=",
        }
    )

    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last and name in last, last
