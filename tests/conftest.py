"""Fixtures shared by the unit tier: a fake appliance, the Default appliance,
records, personas, and a capturing publisher in place of the broker."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from appliances import client as appliance_client
from appliances import tokens
from appliances.models import Appliance
from itsm.choices import IncidentState, Role
from itsm.models import Incident, User
from sessions import dispatch, services
from tests.factories import IncidentFactory
from tests.fakes import FakeAppliance

GUID = "5b0e2d7c-91a4-4f63-8e2b-c4d1a7f09e36"
HOOK_TOKEN = "hook-token-6c1f"
RECEIVER = "/api/x_bmgr_support_ent/outbound_event/session_end"


@pytest.fixture
def fake() -> Iterator[FakeAppliance]:
    server = FakeAppliance().start()
    yield server
    server.stop()


@pytest.fixture
def appliance(db: Any, fake: FakeAppliance) -> Appliance:
    record = Appliance(
        name="Default",
        hostname=fake.url,
        client_id=fake.client_id,
        appliance_guid=GUID,
        log_session_notes=True,
        log_session_end=True,
    )
    record.client_secret = fake.client_secret
    record.outbound_event_token = HOOK_TOKEN
    record.save()
    return record


@pytest.fixture
def make_incident(db: Any) -> Callable[..., Incident]:
    def make(
        number: str, state: int = IncidentState.IN_PROGRESS, **fields: Any
    ) -> Incident:
        incident: Incident = IncidentFactory.create(
            number=number, state=state, **fields
        )
        return incident

    return make


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Capture what would go to the broker instead of sending it."""
    captured: list[tuple[int, bool]] = []
    monkeypatch.setattr(
        dispatch,
        "publisher",
        lambda event_id, force: captured.append((event_id, force)),
    )
    return captured


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the client's waits instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(appliance_client, "sleep", recorded.append)
    monkeypatch.setattr(tokens, "POLL_SECONDS", 0.01)
    return recorded


@pytest.fixture
def post_event(client: Client) -> Callable[..., Any]:
    def post(body: bytes, token: str | None = HOOK_TOKEN, **extra: Any) -> Any:
        url = RECEIVER + (f"?outbound_event_token={token}" if token is not None else "")
        return client.generic(
            "POST", url, body, content_type="application/x-www-form-urlencoded", **extra
        )

    return post


@pytest.fixture
def run_worker(
    published: list[tuple[int, bool]],
    django_capture_on_commit_callbacks: Any,
    waits: list[float],
) -> Callable[[], list[Any]]:
    """Run every captured import as the worker would, until nothing is queued."""

    def run() -> list[Any]:
        results = []
        while published:
            event_id, force = published.pop(0)
            with django_capture_on_commit_callbacks(execute=True):
                results.append(services.process_event(event_id, force=force))
        return results

    return run


@pytest.fixture
def admin_user(db: Any) -> User:
    return User.objects.create_superuser("alice.admin", "alice@example.com", "pw")


@pytest.fixture
def technician(db: Any) -> User:
    from django.contrib.auth.models import Group

    user = User.objects.create_user("tom.tech", "tom@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=Role.ITIL))
    return user


@pytest.fixture
def end_user(db: Any) -> User:
    return User.objects.create_user("erin.enduser", "erin@example.com", "pw")


@pytest.fixture
def hook_appliance(db: Any) -> Appliance:
    """The Default appliance for tests that never call it: no fake server to start
    or stop (stopping one waits for its poll interval)."""
    record = Appliance(
        name="Default",
        hostname="http://127.0.0.1:9",
        client_id="test-client",
        appliance_guid=GUID,
        log_session_notes=True,
        log_session_end=True,
    )
    record.client_secret = "test-secret"
    record.outbound_event_token = HOOK_TOKEN
    record.save()
    return record
