"""Seed a process test's database through the ORM (secrets encrypted the product's way).

Run with the stack's environment: `python -m tests.integration.seed < spec.json`,
where the spec names the appliance, the incidents and an admin login.
"""

import json
import sys


def main() -> None:
    import django

    django.setup()

    from appliances.models import Appliance
    from itsm.choices import IncidentState
    from itsm.models import Incident, User

    spec = json.load(sys.stdin)
    appliance = Appliance(
        name="Default",
        hostname=spec["appliance"]["url"],
        client_id=spec["appliance"]["client_id"],
        appliance_guid=spec["appliance"]["guid"],
        log_session_notes=True,
        log_session_end=True,
    )
    appliance.client_secret = spec["appliance"]["client_secret"]
    appliance.outbound_event_token = spec["appliance"]["hook_token"]
    appliance.save()
    for number in spec.get("incidents", []):
        Incident.objects.create(
            number=number,
            state=IncidentState.IN_PROGRESS,
            short_description=f"Ticket {number}",
        )
    if spec.get("admin"):
        username, password = spec["admin"]
        User.objects.create_superuser(username, f"{username}@example.com", password)
    print(json.dumps({"appliance": appliance.pk}))


if __name__ == "__main__":
    main()
