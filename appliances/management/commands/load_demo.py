"""Load the demo data: users, the Default appliance on the simulator, CIs, incidents."""

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from appliances.models import Appliance, ApplianceIssue, RepUsername
from appliances.services import update_event_types
from itsm.choices import CiClass, IncidentState, Role
from itsm.models import ConfigurationItem, Incident, Location, User, UserGroup

DEMO_GUID = "5b0e2d7c-91a4-4f63-8e2b-c4d1a7f09e36"
DEMO_HOOK_TOKEN = "demo-hook-token"


class Command(BaseCommand):
    help = "Load demo data; running it again changes nothing that exists."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--simulator-url", default="http://127.0.0.1:8001")
        parser.add_argument("--admin-password", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        admin = self._users(options["admin_password"])
        self._appliance(options["simulator_url"])
        self._records(admin)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _users(self, password: str) -> User:
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = User.objects.create_superuser(
                "admin",
                "admin@example.com",
                password,
                first_name="Ada",
                last_name="Admin",
            )
        technician, created = User.objects.get_or_create(
            username="tech",
            defaults={
                "first_name": "Marta",
                "last_name": "Kowalczyk",
                "is_staff": True,
            },
        )
        if created:
            technician.set_password("tech")
            technician.save()
        technician.groups.add(Group.objects.get(name=Role.ITIL))
        RepUsername.objects.get_or_create(
            user=technician, defaults={"username": "arep"}
        )
        caller, created = User.objects.get_or_create(
            username="olu",
            defaults={
                "first_name": "Olu",
                "last_name": "Adebayo",
                "company": "Kestrel Example Ltd",
            },
        )
        if created:
            caller.set_password("olu")
            caller.save()
        return admin

    def _appliance(self, simulator_url: str) -> None:
        appliance, created = Appliance.objects.get_or_create(
            name="Default",
            defaults={
                "hostname": simulator_url,
                "client_id": "demo-client",
                "appliance_guid": DEMO_GUID,
                "self_service_enabled": True,
            },
        )
        if created:
            appliance.client_secret = "demo-secret"
            appliance.outbound_event_token = DEMO_HOOK_TOKEN
            appliance.save()
        for code, description in (
            ("vpn", "VPN"),
            ("printing", "Printing"),
            ("wifi", "Wi-Fi"),
        ):
            ApplianceIssue.objects.get_or_create(
                appliance=appliance,
                code_name=code,
                defaults={"description": description},
            )
        update_event_types()

    def _records(self, admin: User) -> None:
        location, _ = Location.objects.get_or_create(
            name="Lagos Office", defaults={"city": "Lagos"}
        )
        desk, _ = UserGroup.objects.get_or_create(name="Service Desk L2")
        laptop, _ = ConfigurationItem.objects.get_or_create(
            name="LT-FIN-0142",
            defaults={
                "host_name": "lt-fin-0142.example.com",
                "sys_class_name": CiClass.COMPUTER,
                "os": "Windows 11 Pro",
                "location": location,
            },
        )
        ConfigurationItem.objects.get_or_create(
            name="SRV-PRINT-01",
            defaults={
                "host_name": "srv-print-01.example.com",
                "sys_class_name": CiClass.WINDOWS_SERVER,
            },
        )
        caller = User.objects.get(username="olu")
        demo = (
            ("INC0010001", "VPN drops every few minutes", IncidentState.NEW),
            ("INC0010002", "Label printer offline", IncidentState.IN_PROGRESS),
            ("INC0010003", "Password reset done", IncidentState.CLOSED),
        )
        for number, text, state in demo:
            if Incident.objects.filter(number=number).exists():
                continue
            Incident.objects.create(
                number=number,
                short_description=text,
                state=state,
                caller=caller,
                cmdb_ci=laptop,
                assignment_group=desk,
                opened_by=admin,
            )
