"""Run the scheduled pull now: list ended sessions and queue the new ones."""

from argparse import ArgumentParser
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from appliances.models import Appliance
from integration import clock
from sessions.pull import pull_appliance


def parse_since(raw: str) -> datetime:
    """Return `raw` (ISO-8601 date or date and time) as an aware datetime; naive
    times are UTC."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(
            f"--since {raw!r} is not an ISO-8601 date or time; use for example "
            "2024-12-03 or 2024-12-03T15:00:00Z."
        ) from None
    moment = (
        moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    )
    if moment > clock.now():
        raise CommandError(f"--since {raw!r} is in the future; nothing can have ended.")
    return moment


class Command(BaseCommand):
    help = (
        "Pull the sessions that ended since each appliance's watermark (or --since) "
        "and queue the import of those not imported yet."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--appliance", help="Pull only this appliance (default: every enabled one)."
        )
        parser.add_argument(
            "--since",
            help="Pull sessions that ended at or after this ISO-8601 time (UTC "
            "unless it names a zone) instead of the watermark.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = parse_since(options["since"]) if options["since"] else None
        appliances = self._appliances(options["appliance"])
        failed = []
        for appliance in appliances:
            result = pull_appliance(appliance, since=since)
            self.stdout.write(result.summary())
            if not result.ok:
                failed.append(appliance.name)
        if failed:
            raise CommandError(f"The pull failed for: {', '.join(failed)}.")

    def _appliances(self, name: str | None) -> QuerySet[Appliance]:
        if name is None:
            enabled = Appliance.objects.filter(integration_enabled=True)
            if not enabled.exists():
                raise CommandError("No appliance has the integration enabled.")
            return enabled

        named = Appliance.objects.filter(name=name)
        if not named.exists():
            raise CommandError(f"No appliance named {name!r}; create it in the admin.")
        return named
