"""One pull measurement: `python -m tests.bench.pull_child HISTORY NEW`.

Seeds HISTORY sessions as already imported, serves a listing of HISTORY + NEW
sessions from a fake appliance on loopback, then times the pull and the import
of the NEW sessions through the normal path. Prints one JSON line.
"""

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration.settings")


def main() -> None:
    history, new = int(sys.argv[1]), int(sys.argv[2])
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from appliances.models import Appliance
    from itsm.models import Incident
    from sessions import dispatch, pull, services
    from sessions.models import OutboundEvent, PullState, SupportSession
    from tests.fakes import Answer, FakeAppliance
    from tests.reports import ReportSpec, build_report

    fake = FakeAppliance().start()
    OutboundEvent.objects.all().delete()
    SupportSession.objects.all().delete()
    PullState.objects.all().delete()
    Appliance.objects.all().delete()
    appliance = Appliance(name="Default", hostname=fake.url, client_id=fake.client_id)
    appliance.client_secret = fake.client_secret
    appliance.save()
    Incident.objects.get_or_create(number="INC0010001")
    old = [f"{n:032x}" for n in range(history)]
    fresh = [f"{n + 10**9:032x}" for n in range(new)]
    SupportSession.objects.bulk_create(
        SupportSession(appliance=appliance, lsid=lsid, report_complete=True)
        for lsid in old
    )
    listing = "".join(
        f'<session_summary lsid="{lsid}" has_recording="0"/>' for lsid in old + fresh
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n\n<session_summary_list '
        f'xmlns="https://www.beyondtrust.com/namespaces/API/reporting">{listing}</session_summary_list>'
    ).encode()
    fake.default("report:SupportSessionListing", Answer(200, body))
    for lsid in fresh:
        fake.report(lsid, build_report(ReportSpec(lsid, "INC0010001")))
    captured: list[int] = []
    dispatch.publisher = lambda event_id, force: captured.append(event_id)

    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        pull.pull_appliance(appliance)
        for event_id in captured:
            services.process_event(event_id)
    seconds = time.perf_counter() - began
    fake.stop()
    imported = SupportSession.objects.filter(
        lsid__in=fresh, report_complete=True
    ).count()
    print(
        json.dumps({"seconds": seconds, "imported": imported, "queries": len(queries)})
    )


if __name__ == "__main__":
    main()
