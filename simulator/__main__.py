"""Command line: `python -m simulator serve` and `python -m simulator session`."""

from __future__ import annotations

import argparse
import os
import sys

from simulator import cli
from simulator.delivery import RecipientError, validate_recipient
from simulator.server import serve
from simulator.state import DEFAULT_APPLIANCE_ID, SimulatorConfig
from simulator.xml import NAMESPACES


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with its two subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="A BeyondTrust Remote Support appliance simulator.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_serve_arguments(commands.add_parser("serve", help="run the simulator"))
    cli.add_arguments(
        commands.add_parser("session", help="play a session through a simulator")
    )
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of the `serve` command; the environment gives defaults."""
    env = os.environ
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--namespace-style", choices=sorted(NAMESPACES), default="beyondtrust"
    )
    parser.add_argument("--client-id", default=env.get("SIM_CLIENT_ID", "demo-client"))
    parser.add_argument(
        "--client-secret", default=env.get("SIM_CLIENT_SECRET", "demo-secret")
    )
    parser.add_argument(
        "--appliance-id", default=env.get("SIM_APPLIANCE_ID", DEFAULT_APPLIANCE_ID)
    )
    parser.add_argument(
        "--recipient",
        action="append",
        help="outbound event URL on loopback; repeatable (env SIM_RECIPIENTS)",
    )
    parser.add_argument("--retry-interval", type=float, default=5.0, metavar="SECONDS")
    parser.add_argument(
        "--retry-duration", type=float, default=3600.0, metavar="SECONDS"
    )
    parser.add_argument("--report-lag", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--hostname-for-urls", default="support.example.com")
    parser.add_argument(
        "--access-log", action="store_true", help="log each request to stderr"
    )


def config_from(options: argparse.Namespace) -> SimulatorConfig:
    """Return the configuration the `serve` options describe."""
    recipients = options.recipient
    if recipients is None:
        listed = os.environ.get("SIM_RECIPIENTS", "")
        recipients = [url.strip() for url in listed.split(",") if url.strip()]
    return SimulatorConfig(
        host=options.host,
        port=options.port,
        namespace_style=options.namespace_style,
        client_id=options.client_id,
        client_secret=options.client_secret,
        appliance_id=options.appliance_id,
        recipients=[validate_recipient(url) for url in recipients],
        retry_interval=options.retry_interval,
        retry_duration=options.retry_duration,
        report_lag=options.report_lag,
        hostname_for_urls=options.hostname_for_urls,
        access_log=options.access_log,
    )


def run_serve(options: argparse.Namespace) -> int:
    """Run the simulator in the foreground; return the exit status."""
    try:
        config = config_from(options)
    except RecipientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    try:
        serve(config)
    except OSError as exc:
        print(
            f"error: cannot listen on {options.host}:{options.port}: {exc}",
            file=sys.stderr,
        )
        return 1

    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand."""
    options = build_parser().parse_args(argv)
    if options.command == "serve":
        return run_serve(options)

    return cli.run(options)


if __name__ == "__main__":
    sys.exit(main())
