"""One import measurement, run in a fresh process so its peak memory is its own.

    python -m tests.bench.import_child MODE REPORT_FILE

MODE is `product` (the real import path), `naive` (whole document in memory, one
ORM save per event) or `floor` (the streaming parse and the fastest bulk write the
database offers, nothing else). Prints one JSON line: seconds, events, peak and
start resident memory in MB. The database comes from DATABASE_URL and must be
migrated, with an appliance `Default` and incident INC0010001.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration.settings")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_session(lsid: str) -> None:
    from sessions.models import SupportSession

    SupportSession.objects.filter(lsid=lsid).delete()


def run_product(path: Path) -> int:
    from appliances.models import Appliance
    from sessions.services import import_saved_report

    appliance = Appliance.objects.get(name="Default")
    with path.open("rb") as file:
        import_saved_report(appliance, file)
    from sessions.models import SupportSession

    return SupportSession.objects.get().event_count


def run_naive(path: Path) -> int:
    from django.db import transaction
    from lxml import etree

    from appliances.models import Appliance
    from sessions.models import SessionEvent, SupportSession
    from sessions.report import to_datetime

    root = etree.parse(str(path), etree.XMLParser(huge_tree=True)).getroot()
    appliance = Appliance.objects.get(name="Default")
    count = 0
    with transaction.atomic():
        for node in root.iter("{*}session"):
            session = SupportSession.objects.create(
                appliance=appliance, lsid=node.get("lsid") or ""
            )
            for seq, event in enumerate(node.iter("{*}event")):
                by = event.find("{*}performed_by")
                SessionEvent.objects.create(
                    session=session,
                    seq=seq,
                    event_type=event.get("event_type", ""),
                    timestamp=to_datetime(int(event.get("timestamp", "0"))),
                    performed_by=by.text if by is not None else "",
                    performed_by_type=by.get("type", "") if by is not None else "",
                    body=event.findtext("{*}body") or "",
                )
                count += 1
    return count


def run_floor(path: Path) -> int:
    from django.db import connection, transaction
    from lxml import etree

    from appliances.models import Appliance
    from sessions.bulk import COLUMNS, TABLE
    from sessions.models import SupportSession

    appliance = Appliance.objects.get(name="Default")
    session = SupportSession.objects.create(appliance=appliance, lsid="f" * 32)
    rows: list[tuple[Any, ...]] = []
    for seq, (_, event) in enumerate(
        etree.iterparse(str(path), tag="{*}event", huge_tree=True)
    ):
        by = event.find("{*}performed_by")
        rows.append(
            (
                session.pk,
                seq,
                event.get("event_type", ""),
                None,
                by.get("type", "") if by is not None else "",
                "",
                by.text if by is not None else "",
                "",
                "",
                "",
                event.findtext("{*}body") or "",
                False,
                "",
                None,
                "{}",
                True,
            )
        )
        event.clear()
        while event.getprevious() is not None:
            del event.getparent()[0]
    columns = ", ".join(COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            cursor.executemany(
                f"INSERT INTO {TABLE} ({columns}) VALUES ({marks})", rows
            )
    return len(rows)


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    import django

    django.setup()
    from sessions.models import SupportSession

    SupportSession.objects.all().delete()
    start = rss_mb()
    began = time.perf_counter()
    events = {"product": run_product, "naive": run_naive, "floor": run_floor}[mode](
        path
    )
    seconds = time.perf_counter() - began
    print(
        json.dumps(
            {
                "mode": mode,
                "seconds": seconds,
                "events": events,
                "peak_mb": peak_mb(),
                "start_mb": start,
            }
        )
    )


if __name__ == "__main__":
    main()
