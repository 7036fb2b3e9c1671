"""Import a saved SupportSession report file as if it had been fetched."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from appliances.models import Appliance
from sessions.services import ReportFileError, import_saved_report


class Command(BaseCommand):
    help = "Import a saved SupportSession (or AccessSession) report file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="Path of the saved report (XML).")
        parser.add_argument(
            "--appliance", default="Default", help="Appliance the report came from."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        appliance = Appliance.objects.filter(name=options["appliance"]).first()
        if appliance is None:
            raise CommandError(
                f"No appliance named {options['appliance']!r}; create it in the admin "
                "or pass --appliance NAME."
            )
        try:
            with open(options["file"], "rb") as file:
                lines = import_saved_report(appliance, file)
        except OSError as exc:
            raise CommandError(
                f"Cannot read {options['file']}: {exc.strerror}."
            ) from exc
        except ReportFileError as exc:
            raise CommandError(str(exc)) from exc
        for line in lines:
            self.stdout.write(line)
