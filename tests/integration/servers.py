"""PostgreSQL and Redis for the integration tier, from the installed server binaries.

Both run in a temporary folder, on free loopback ports, with a random password,
and are stopped by `pg_ctl stop` and by process id. Django reads its settings
once, at startup, so the servers must be up before pytest starts:

    python -m tests.integration.servers run -- python -m pytest -m integration ...

starts both, puts their addresses in the environment (DATABASE_URL, REDIS_URL,
CELERY_BROKER_URL, and INTEGRATION_SERVERS for the tests' own use), runs the
command and stops both, whatever the command's outcome. When a binary is missing
the command still runs, with INTEGRATION_SKIP_REASON set, so the tier reports
itself skipped with the reason.
"""

import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

INSTALL_HINT = "apt-get install postgresql redis-server"
ENV_KEY = "INTEGRATION_SERVERS"
SKIP_KEY = "INTEGRATION_SKIP_REASON"
DATABASE = "integration"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_bin_dir() -> Path | None:
    """Return the newest installed PostgreSQL bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def missing() -> str:
    """Return why the servers cannot be started here, or "" when they can."""
    bin_dir = pg_bin_dir()
    for name in ("initdb", "pg_ctl", "postgres"):
        if bin_dir is None or not (bin_dir / name).exists():
            return f"PostgreSQL binary `{name}` not found; run `{INSTALL_HINT}`."
    if shutil.which("redis-server") is None:
        return f"`redis-server` not found; run `{INSTALL_HINT}`."
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root needs `runuser` to start PostgreSQL as `postgres`."
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return (
                f"running as root, and there is no `postgres` user; `{INSTALL_HINT}`."
            )
    return ""


@dataclass
class Servers:
    """Where the servers listen; serialised into INTEGRATION_SERVERS."""

    folder: str
    pg_bin: str
    pg_port: int
    pg_password: str
    redis_port: int
    redis_password: str
    redis_pid: int = 0

    def database_url(self, name: str = DATABASE) -> str:
        return f"postgres://postgres:{self.pg_password}@127.0.0.1:{self.pg_port}/{name}"

    def redis_url(self, db: int) -> str:
        return f"redis://:{self.redis_password}@127.0.0.1:{self.redis_port}/{db}"

    def psql_dsn(self, name: str = DATABASE) -> str:
        return (
            f"host=127.0.0.1 port={self.pg_port} user=postgres "
            f"password={self.pg_password} dbname={name} connect_timeout=10"
        )

    def environ(self) -> dict[str, str]:
        return {
            ENV_KEY: json.dumps(asdict(self)),
            "DATABASE_URL": self.database_url(),
            "REDIS_URL": self.redis_url(1),
            "CELERY_BROKER_URL": self.redis_url(0),
        }

    @classmethod
    def from_environ(cls) -> "Servers | None":
        raw = os.environ.get(ENV_KEY)
        return cls(**json.loads(raw)) if raw else None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def start(folder: Path) -> Servers:
    """Start PostgreSQL and Redis in `folder`; stop what started if either fails."""
    bin_dir = pg_bin_dir()
    assert bin_dir is not None
    servers = Servers(
        folder=str(folder),
        pg_bin=str(bin_dir),
        pg_port=free_port(),
        pg_password=secrets.token_hex(16),
        redis_port=free_port(),
        redis_password=secrets.token_hex(16),
    )
    try:
        _start_postgres(servers)
        _start_redis(servers)
    except BaseException:
        stop(servers)
        raise
    return servers


def _start_postgres(servers: Servers) -> None:
    folder = Path(servers.folder)
    data, sockets = folder / "pgdata", folder / "pgsock"
    sockets.mkdir()
    password_file = folder / "pgpass"
    password_file.write_text(servers.pg_password + "\n")
    if os.geteuid() == 0:
        import pwd

        user = pwd.getpwnam("postgres")
        for path in (folder, sockets, password_file):
            os.chown(path, user.pw_uid, user.pw_gid)
    bin_dir = Path(servers.pg_bin)
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = " ".join(
        [
            "-c listen_addresses=127.0.0.1",
            f"-c port={servers.pg_port}",
            f"-c unix_socket_directories={sockets}",
            "-c max_connections=300",
            # Throwaway data: no need to survive a power cut.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        ]
    )
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "postgres.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=90,
    )
    _create_database(servers, DATABASE)


def _create_database(servers: Servers, name: str) -> None:
    import psycopg

    with psycopg.connect(servers.psql_dsn("postgres"), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def _start_redis(servers: Servers) -> None:
    folder = Path(servers.folder)
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(servers.redis_port),
            "--bind",
            "127.0.0.1",
            "--protected-mode",
            "yes",
            "--requirepass",
            servers.redis_password,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--logfile",
            str(folder / "redis.log"),
            "--daemonize",
            "no",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    servers.redis_pid = process.pid
    import redis

    client = redis.Redis(
        host="127.0.0.1",
        port=servers.redis_port,
        password=servers.redis_password,
        socket_connect_timeout=1,
        socket_timeout=1,
    )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"redis-server exited with {process.returncode}; see redis.log"
            )
        try:
            if client.ping():
                return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop(servers: Servers) -> None:
    """Stop both servers (each only if it was started); never raise."""
    data = Path(servers.folder) / "pgdata"
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_postgres(
                [
                    str(Path(servers.pg_bin) / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ]
            ),
            capture_output=True,
            timeout=60,
            check=False,
        )
    if servers.redis_pid:
        _stop_pid(servers.redis_pid)
        servers.redis_pid = 0


def _stop_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def create_database(servers: Servers, name: str, template: str | None = None) -> None:
    """Create database `name`, optionally as a copy of `template`."""
    import psycopg

    clause = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(servers.psql_dsn("postgres"), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{clause}')


def run(command: list[str]) -> int:
    """Start the servers, run `command` with their addresses, stop them."""
    reason = missing()
    env = dict(os.environ)
    if reason:
        print(f"integration tier skipped: {reason}", file=sys.stderr)
        env[SKIP_KEY] = reason
        return subprocess.call(command, env=env)

    folder = Path(tempfile.mkdtemp(prefix="bt-integration-"))
    servers: Servers | None = None

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        servers = start(folder)
        env.update(servers.environ())
        child = subprocess.Popen(command, env=env)
        try:
            return child.wait()
        except BaseException:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            raise
    finally:
        if servers is not None:
            stop(servers)
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        print(
            "usage: python -m tests.integration.servers run -- COMMAND ...",
            file=sys.stderr,
        )
        return 2
    return run(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
