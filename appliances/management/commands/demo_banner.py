"""Print what `make demo` started and what to do next."""

from typing import Any

from django.core.management.base import BaseCommand

BANNER = """
BeyondTrust Remote Support <-> ServiceNow integration: demo
-----------------------------------------------------------
Admin:        http://127.0.0.1:8000/admin/
Sign in:      admin / admin   (technician: tech / tech)
Simulator:    http://127.0.0.1:8001 (fake appliance; posts webhooks to the web server)

Next, in a second terminal, play a session against incident INC0010001:

    .venv/bin/python -m simulator session --external-key INC0010001 --end

Within seconds INC0010001 shows the Support Session in its related list and a
transcript work note:
    http://127.0.0.1:8000/admin/itsm/incident/?q=INC0010001

Stop everything with Ctrl-C.
"""


class Command(BaseCommand):
    help = "Print the demo's addresses, sign-in and next steps."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(BANNER)
