"""The embedded broker (SQLAlchemy on SQLite, as in `make demo`) under a burst of
thousands of tasks, with a real worker process: none lost, none doubled, and the
worker still alive and consuming afterwards. No server is needed."""

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from celery import Celery
from kombu import Connection

pytestmark = [pytest.mark.integration, pytest.mark.soak]

ROOT = Path(__file__).resolve().parents[2]
TASKS = 5000
TASK = "tests.integration.burst_tasks.record"
SERVER_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SETTINGS_MODULE",
    "INTEGRATION_SERVERS",
}


def completed(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def wait_for(
    check, what: str, worker: subprocess.Popen, log: Path, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if worker.poll() is not None:
            raise AssertionError(
                f"the worker exited ({worker.returncode}) before {what}:\n"
                + log.read_text(errors="replace")[-4000:]
            )
        if time.monotonic() > deadline:
            raise AssertionError(
                f"gave up waiting for {what} after {seconds} s:\n"
                + log.read_text(errors="replace")[-4000:]
            )
        time.sleep(0.5)


def test_a_burst_of_tasks_on_the_embedded_broker_loses_none(tmp_path):
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    done = tmp_path / "done.txt"
    log = tmp_path / "worker.log"
    env = {
        key: value for key, value in os.environ.items() if key not in SERVER_VARIABLES
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "integration.settings",
            "INTEGRATION_ENV": "development",
            "INTEGRATION_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CELERY_BROKER_URL": broker,
            "FIELD_ENCRYPTION_KEYS": "oR3cMyGMX4e6rbKhYqtDPoM1QGMvLdFxnyHBB1BZfkE=",
            "PYTHONUNBUFFERED": "1",
        }
    )
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "integration",
                "worker",
                "-I",
                "tests.integration.burst_tasks",
                "--concurrency=4",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    celery = Celery("burst", set_as_current=False)
    celery.conf.task_serializer = "json"
    try:
        # The burst: every task published as fast as one producer can.
        with Connection(broker) as connection, connection.Producer() as producer:
            for number in range(TASKS):
                celery.send_task(TASK, args=[str(done), number], producer=producer)
        wait_for(
            lambda: len(completed(done)) >= TASKS, f"{TASKS} tasks", worker, log, 240
        )

        # Still consuming after the burst: one more task goes through.
        with Connection(broker) as connection, connection.Producer() as producer:
            celery.send_task(TASK, args=[str(done), TASKS], producer=producer)
        wait_for(
            lambda: str(TASKS) in completed(done),
            "the task after the burst",
            worker,
            log,
            60,
        )
        assert worker.poll() is None
    finally:
        celery.close()
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    counts = Counter(int(line) for line in completed(done))
    assert sorted(counts) == list(range(TASKS + 1)), "tasks were lost"
    assert [number for number, seen in counts.items() if seen > 1] == [], (
        "tasks ran twice"
    )
    assert worker.returncode == 0, log.read_text(errors="replace")[-4000:]
