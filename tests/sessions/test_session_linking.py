"""A session is linked to the records its custom fields name, else to the record its
external key names; unlinked sessions are stored only when the appliance says so;
a closed ticket is linked but gets no notes and keeps its state (C10, C15)."""

import pytest

from appliances.models import ApplicationLog
from itsm.choices import IncidentState
from itsm.models import Call, ConfigurationItem, Interaction, JournalEntry, Problem
from sessions.models import OutboundEvent, SupportSession
from tests.reports import ReportSpec, build_report, end_event

LSID = "6e2f0a9b1c3d4e5f60718293a4b5c6d7"


@pytest.fixture
def import_session(
    appliance, fake, post_event, run_worker, django_capture_on_commit_callbacks
):
    def run(external_key: str = "", **custom: str) -> OutboundEvent:
        fake.report(LSID, build_report(ReportSpec(LSID, external_key, custom=custom)))
        with django_capture_on_commit_callbacks(execute=True):
            post_event(end_event(LSID, external_key))
        run_worker()
        return OutboundEvent.objects.get()

    return run


def _notes(record) -> int:
    return JournalEntry.objects.filter(
        element_id=record.sys_id, element="work_notes"
    ).count()


@pytest.mark.parametrize("spell", [str, str.upper, lambda s: f"  {s} "])
def test_it_links_by_the_task_custom_field_before_the_external_key(
    spell, make_incident, import_session
):
    target = make_incident("INC0010201")
    other = make_incident("INC0010202")

    event = import_session("INC0010202", snow_task_id=spell(target.sys_id))

    session = SupportSession.objects.get()
    assert (session.task_id, session.link_source) == (target.pk, "custom_field")
    assert (_notes(target), _notes(other)) == (3, 0)
    assert event.outcome == "processed"


def test_it_links_call_interaction_and_ci_by_their_custom_fields(
    db, make_incident, import_session
):
    incident = make_incident("INC0010203")
    call = Call.objects.create(short_description="Caller on the phone")
    interaction = Interaction.objects.create(short_description="Chat")
    ci = ConfigurationItem.objects.create(name="LT-FIN-0142")

    import_session(
        snow_task_id=incident.sys_id,
        snow_call_id=call.sys_id,
        snow_interaction_id=interaction.sys_id,
        snow_cmdb_ci_id=ci.sys_id,
    )

    session = SupportSession.objects.get()
    assert (
        session.task_id,
        session.call_id,
        session.interaction_id,
        session.configuration_item_id,
    ) == (
        incident.pk,
        call.pk,
        interaction.pk,
        ci.pk,
    )
    assert (_notes(incident), _notes(call), _notes(interaction)) == (3, 3, 3)


def test_it_falls_back_to_the_external_key_when_the_custom_field_names_no_record(
    make_incident, import_session
):
    incident = make_incident("INC0010204")

    import_session("INC0010204", snow_task_id="0" * 32)

    session = SupportSession.objects.get()
    assert (session.task_id, session.link_source) == (incident.pk, "external_key")
    assert "0" * 32 in session.link_note


@pytest.mark.parametrize(
    "key", ["INC0010205", "inc0010205", "  INC0010205  ", " inc0010205\t"]
)
def test_it_links_by_a_record_number_in_the_external_key_whatever_its_spacing_or_case(
    key, make_incident, import_session
):
    incident = make_incident("INC0010205")

    import_session(key)

    assert SupportSession.objects.get().task_id == incident.pk
    assert _notes(incident) == 3


@pytest.mark.parametrize("kind", ["problem", "call", "interaction"])
def test_it_links_other_record_kinds_by_number_or_sys_id(kind, db, import_session):
    record = {
        "problem": lambda: Problem.objects.create(
            short_description="Recurring VPN drops"
        ),
        "call": lambda: Call.objects.create(short_description="Phone"),
        "interaction": lambda: Interaction.objects.create(short_description="Chat"),
    }[kind]()

    import_session(record.number.lower())
    by_number = SupportSession.objects.get()
    SupportSession.objects.all().delete()
    OutboundEvent.objects.all().delete()
    import_session(record.sys_id.upper())
    by_sys_id = SupportSession.objects.get()

    field = {"problem": "task_id", "call": "call_id", "interaction": "interaction_id"}[
        kind
    ]
    assert getattr(by_number, field) == getattr(by_sys_id, field) == record.pk


@pytest.mark.parametrize("key", ["", "INC9999999", "not a ticket", "f" * 32])
def test_it_skips_a_session_that_names_no_record_unless_external_sessions_are_imported(
    key, appliance, import_session
):
    event = import_session(key)

    assert (event.outcome, event.reason_code) == ("skipped", "external")
    assert SupportSession.objects.count() == 0
    assert ApplicationLog.objects.filter(step="skip", lsid=LSID).exists()


def test_it_stores_an_external_session_when_the_appliance_imports_them(
    appliance, import_session
):
    appliance.import_external_sessions = True
    appliance.save()

    event = import_session("INC9999999")

    session = SupportSession.objects.get()
    assert event.outcome == "processed"
    assert (session.task_id, session.call_id, session.interaction_id) == (
        None,
        None,
        None,
    )
    assert session.event_count == 9
    assert JournalEntry.objects.count() == 0


@pytest.mark.parametrize(
    "state", [IncidentState.RESOLVED, IncidentState.CLOSED, IncidentState.CANCELED]
)
def test_it_links_a_closed_incident_but_writes_no_notes_and_keeps_its_state(
    state, make_incident, import_session
):
    incident = make_incident("INC0010206", state=state)

    event = import_session("INC0010206")

    incident.refresh_from_db()
    assert incident.state == state
    assert SupportSession.objects.get().task_id == incident.pk
    assert _notes(incident) == 0
    assert event.outcome == "processed"
    assert ApplicationLog.objects.filter(
        step="skip", record="INC0010206", message__contains="closed"
    ).exists()
