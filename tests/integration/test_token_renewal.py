"""Eight worker processes need the API token at the same moment: one renews it."""

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from appliances.models import ApplianceToken

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 8


def read_line(process: subprocess.Popen, seconds: float = 60) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    assert ready, "a token process did not answer"
    return process.stdout.readline().decode().strip()


def test_the_token_is_renewed_once_for_processes_asking_at_once(
    appliance, fake, servers
):
    def slow_mint(call):
        # The renewal takes a while, so the others find it claimed and wait.
        answer = fake._mint(call)
        answer.delay = 1.0
        return answer

    fake.default("token", slow_mint)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "integration.settings_integration",
        "DATABASE_URL": servers.database_url(connection.settings_dict["NAME"]),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.token_race", str(appliance.pk)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    try:
        assert [read_line(p) for p in processes] == ["ready"] * PROCESSES
        for process in processes:
            process.stdin.write(b"go\n")
            process.stdin.flush()
        tokens = [read_line(p) for p in processes]
        assert [p.wait(timeout=60) for p in processes] == [0] * PROCESSES
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert len(fake.token_calls()) == 1
    assert tokens == [fake.minted[0]] * PROCESSES
    assert ApplianceToken.objects.get(appliance=appliance).renewals == 1
