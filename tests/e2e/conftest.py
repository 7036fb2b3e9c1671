"""Real processes for end-to-end tests: simulator, web (gunicorn), Celery worker.

Each runs from this checkout with its own file database and broker file in a
temporary folder, on free loopback ports, and is stopped by its process id.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOK_TOKEN = "demo-hook-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    tmp: Path
    env: dict[str, str]
    web_port: int
    sim_port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def simulator(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout

    def start(self, name: str, *args: str) -> None:
        log = (self.tmp / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        )

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.tmp / "db.sqlite3", timeout=30)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with self.db() as connection:
            return connection.execute(sql, params).fetchall()

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up in {seconds} s")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "integration.settings",
        "INTEGRATION_ENV": "development",
        "INTEGRATION_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        "APPLIANCE_ALLOW_HTTP_LOOPBACK": "true",
        "FIELD_ENCRYPTION_KEYS": "oR3cMyGMX4e6rbKhYqtDPoM1QGMvLdFxnyHBB1BZfkE=",
        "SWEEP_INTERVAL_SECONDS": "1",
        "IMPORT_RETRY_BASE_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    stack = Stack(tmp_path, env, free_port(), free_port())
    stack.manage("migrate", "--noinput", "-v0")
    stack.manage("createcachetable")
    stack.manage("load_demo", "--simulator-url", stack.simulator)
    receiver = (
        f"{stack.web}/api/x_bmgr_support_ent/outbound_event/session_end"
        f"?outbound_event_token={HOOK_TOKEN}"
    )
    stack.start(
        "simulator",
        sys.executable,
        "-m",
        "simulator",
        "serve",
        "--port",
        str(stack.sim_port),
        "--recipient",
        receiver,
        "--retry-interval",
        "1",
    )
    stack.start(
        "web",
        sys.executable,
        "-m",
        "gunicorn",
        "integration.wsgi",
        "-b",
        f"127.0.0.1:{stack.web_port}",
        "-w",
        "2",
    )
    stack.start(
        "worker",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "integration",
        "worker",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    )
    stack.start(
        "scheduler",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "integration",
        "beat",
        "--loglevel=INFO",
    )
    try:
        wait_for(f"{stack.web}/healthz")
        wait_for(f"{stack.simulator}/check_health")
        yield stack
    finally:
        for process in stack.processes:
            process.terminate()
        for process in stack.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
