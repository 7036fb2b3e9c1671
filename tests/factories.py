"""factory_boy factories for the records tests build most often."""

from typing import Any

import factory
from factory.django import DjangoModelFactory

from appliances.models import Appliance
from itsm.choices import IncidentState
from itsm.models import ConfigurationItem, Incident, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Olu"
    last_name = "Adebayo"


class ConfigurationItemFactory(DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    name = factory.Sequence(lambda n: f"LT-FIN-{n:04d}")
    host_name = factory.LazyAttribute(lambda ci: f"{ci.name.lower()}.example.com")


class IncidentFactory(DjangoModelFactory):
    class Meta:
        model = Incident

    short_description = factory.LazyAttribute(
        lambda incident: f"Ticket {incident.number}"
    )
    state = IncidentState.IN_PROGRESS
    caller = factory.SubFactory(UserFactory)


class ApplianceFactory(DjangoModelFactory):
    class Meta:
        model = Appliance
        django_get_or_create = ("name",)

    name = "Default"
    hostname = "support.example.com"
    appliance_guid = "5b0e2d7c-91a4-4f63-8e2b-c4d1a7f09e36"

    @classmethod
    def _create(
        cls, model_class: type[Appliance], *args: Any, **kwargs: Any
    ) -> Appliance:
        secret = kwargs.pop("client_secret", "")
        token = kwargs.pop("outbound_event_token", "")
        appliance = model_class(**kwargs)
        appliance.client_secret = secret
        appliance.outbound_event_token = token
        appliance.save()
        return appliance
