"""Run the outbox dispatcher: publish stored webhooks to the broker as they arrive."""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from sessions.dispatch import dispatch_pending
from sessions.inbox import read_inbox


class Command(BaseCommand):
    help = (
        "Publish stored outbound events to the broker (use with "
        "RECEIVER_DISPATCH=outbox). Runs until stopped."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=0.2)
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            close_old_connections()
            read = read_inbox(options["batch"])
            sent = max(read, dispatch_pending(options["batch"]))
            if options["once"]:
                self.stdout.write(f"{sent} queued")
                return
            # A full batch means more are waiting: go again at once.
            if sent < options["batch"]:
                time.sleep(options["interval"])
