"""The integration tier: PostgreSQL and Redis started by tests/integration/servers.py.

Tests that run in this process use pytest-django's test database on that
PostgreSQL server. Tests with real processes (gunicorn, Celery workers, the
scheduler) get a `stack`: a fresh real database copied from a migrated template,
Redis databases of their own, and every process stopped by its id at the end.
"""

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration import servers as harness
from tests.integration.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GUID = "5b0e2d7c-91a4-4f63-8e2b-c4d1a7f09e36"
HOOK_TOKEN = "hook-token-integration"
RECEIVER = "/api/x_bmgr_support_ent/outbound_event/session_end"
KEYS = "oR3cMyGMX4e6rbKhYqtDPoM1QGMvLdFxnyHBB1BZfkE="
TEMPLATE = f"procs_template_{os.getpid()}"
ADMIN = ("ivy.admin", "integration-pw-1")


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip the server tests, with the reason, when the servers were not started."""
    if harness.Servers.from_environ() is not None:
        return
    reason = os.environ.get(harness.SKIP_KEY) or (
        "PostgreSQL and Redis are not running for this tier; run "
        "`make test-integration` (python -m tests.integration.servers run -- "
        "pytest -m integration --ds integration.settings_integration)."
    )
    for item in items:
        if item.path.is_relative_to(HERE) and "soak" not in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"integration tier: {reason}"))


@pytest.fixture(scope="session")
def servers() -> harness.Servers:
    found = harness.Servers.from_environ()
    if found is None:
        pytest.skip("PostgreSQL and Redis are not running for this tier")
    return found


@pytest.fixture(scope="session")
def process_template(
    servers: harness.Servers, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A real database, migrated once by `manage.py migrate`, to copy per stack."""
    harness.create_database(servers, TEMPLATE)
    folder = tmp_path_factory.mktemp("template")
    env = base_env(servers, TEMPLATE, folder)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return TEMPLATE


def wait_for(url: str, seconds: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not come up in {seconds} s") from None
            time.sleep(0.2)


def base_env(servers: harness.Servers, database: str, folder: Path) -> dict[str, str]:
    """The environment of a product process in a stack (settings as deployed)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", harness.ENV_KEY}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "integration.settings",
            "INTEGRATION_ENV": "development",
            "DJANGO_DEBUG": "false",
            "INTEGRATION_VAR_DIR": str(folder),
            "DATABASE_URL": servers.database_url(database),
            "REDIS_URL": servers.redis_url(3),
            "CELERY_BROKER_URL": servers.redis_url(2),
            "APPLIANCE_ALLOW_HTTP_LOOPBACK": "true",
            "FIELD_ENCRYPTION_KEYS": KEYS,
            "SWEEP_INTERVAL_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
            "LOG_JSON": "false",
        }
    )
    return env


@dataclass
class Stack:
    """Real product processes on one fresh PostgreSQL database and Redis."""

    servers: harness.Servers
    database: str
    folder: Path
    env: dict[str, str]
    web_port: int = 0
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def receiver(self) -> str:
        return f"{self.web}{RECEIVER}?outbound_event_token={HOOK_TOKEN}"

    @property
    def broker_url(self) -> str:
        return self.env["CELERY_BROKER_URL"]

    def seed(self, appliance_url: str, incidents: list[str]) -> None:
        spec = {
            "appliance": {
                "url": appliance_url,
                "client_id": "test-client",
                "client_secret": "test-secret",
                "guid": GUID,
                "hook_token": HOOK_TOKEN,
            },
            "incidents": incidents,
            "admin": list(ADMIN),
        }
        subprocess.run(
            [sys.executable, "-m", "tests.integration.seed"],
            input=json.dumps(spec).encode(),
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, name: str, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes[name] = process
        return process

    def start_web(self, workers: int = 2, threads: int = 4) -> None:
        self.web_port = free_port()
        self.start(
            "web",
            sys.executable,
            "-m",
            "gunicorn",
            "integration.wsgi",
            "-b",
            f"127.0.0.1:{self.web_port}",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "120",
        )
        wait_for(f"{self.web}/healthz", 60)

    def start_worker(self, name: str, *options: str) -> subprocess.Popen[bytes]:
        process = self.start(
            name,
            sys.executable,
            "-m",
            "celery",
            "-A",
            "integration",
            "worker",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--hostname={name}@integration",
            *options,
        )
        self.wait_log(name, "ready.", 60)
        return process

    def start_beat(self) -> None:
        self.start(
            "beat",
            sys.executable,
            "-m",
            "celery",
            "-A",
            "integration",
            "beat",
            "--loglevel=INFO",
            f"--schedule={self.folder / 'beat-schedule'}",
        )

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "".join(
            f"\n===== {path.name} (last 40 lines)\n"
            + "\n".join(path.read_text(errors="replace").splitlines()[-40:])
            for path in sorted(self.folder.glob("*.log"))
        )

    def wait_log(
        self, name: str, text: str, seconds: float = 60, count: int = 1
    ) -> None:
        deadline = time.monotonic() + seconds
        while self.log(name).count(text) < count:
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                raise AssertionError(
                    f"{name} exited with {process.returncode}:{self.logs()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{name} did not log {text!r} in {seconds} s:{self.logs()}"
                )
            time.sleep(0.1)

    def run_task(self, name: str, *args: Any, seconds: float = 60) -> str:
        """Publish task `name` to the stack's broker; return the result a worker
        logged for it once it succeeded."""
        return self.task_result(self.send_task(name, *args), seconds)

    def send_task(self, name: str, *args: Any) -> str:
        """Publish task `name` to the stack's broker; return its id."""
        from celery import Celery
        from kombu import Connection

        # Celery prefers CELERY_BROKER_URL from the environment (this process's
        # own broker) over any configured URL; hand it the connection instead.
        celery = Celery("probe")
        try:
            with Connection(self.broker_url) as connection:
                return str(
                    celery.send_task(name, args=list(args), connection=connection).id
                )
        finally:
            celery.close()

    def task_result(self, task_id: str, seconds: float = 60) -> str:
        marker = f"[{task_id}] succeeded in "
        found: list[str] = []

        def logged() -> bool:
            found[:] = [line for line in self.all_lines() if marker in line]
            return bool(found)

        self.wait_until(logged, f"task {task_id} to succeed", seconds)
        return found[0].split(marker, 1)[1].split(": ", 1)[1].strip()

    def all_lines(self) -> list[str]:
        return [
            line
            for path in sorted(self.folder.glob("*.log"))
            for line in path.read_text(errors="replace").splitlines()
        ]

    def sessions(self) -> dict[str, tuple[int, int, int]]:
        """lsid -> (events, customers, representatives) of every support session."""
        rows = self.query(
            "SELECT s.lsid, s.event_count,"
            " (SELECT count(*) FROM support_sessions_sessioncustomer c"
            "  WHERE c.session_id = s.id),"
            " (SELECT count(*) FROM support_sessions_sessionrep r"
            "  WHERE r.session_id = s.id)"
            " FROM support_sessions_supportsession s"
        )
        assert len(rows) == len({row[0] for row in rows}), "two sessions for one lsid"
        return {
            lsid: (events, customers, reps) for lsid, events, customers, reps in rows
        }

    def work_notes(self) -> dict[str, int]:
        """Record number -> work notes in its journal, for every task record."""
        return dict(
            self.query(
                "SELECT t.number, count(j.id) FROM itsm_task t"
                " LEFT JOIN itsm_journalentry j"
                " ON j.element_id = t.sys_id AND j.element = 'work_notes'"
                " GROUP BY t.number"
            )
        )

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(
            self.servers.psql_dsn(self.database), autocommit=True
        ) as db:
            return db.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def wait_until(
        self, check: Callable[[], bool], what: str, seconds: float = 180
    ) -> None:
        deadline = time.monotonic() + seconds
        while not check():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise AssertionError(
                        f"{name} exited while waiting for {what}:{self.logs()}"
                    )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"gave up waiting for {what} after {seconds} s:{self.logs()}"
                )
            time.sleep(0.2)

    def error_lines(self) -> list[str]:
        """Log lines of the stack's processes with an ERROR or an IntegrityError."""
        found = []
        for path in sorted(self.folder.glob("*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if re.search(r"\bERROR\b|\bCRITICAL\b|IntegrityError|Traceback", line):
                    found.append(f"{path.name}: {line}")
        return found


_numbers = itertools.count(1)


@pytest.fixture
def stack(
    servers: harness.Servers, process_template: str, tmp_path: Path
) -> Iterator[Callable[..., Stack]]:
    """Make a stack on a fresh copy of the migrated database; stop it afterwards."""
    import redis

    made: list[Stack] = []

    def make(**extra_env: str) -> Stack:
        database = f"stack_{os.getpid()}_{next(_numbers)}"
        harness.create_database(servers, database, template=process_template)
        folder = tmp_path / database
        folder.mkdir()
        for db in (2, 3):
            redis.Redis.from_url(servers.redis_url(db)).flushdb()
        env = {**base_env(servers, database, folder), **extra_env}
        built = Stack(servers, database, folder, env)
        made.append(built)
        return built

    try:
        yield make
    finally:
        for built in made:
            built.stop_all()
