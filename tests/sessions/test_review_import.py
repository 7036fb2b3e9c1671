"""Review: crafted reports must end in a stored outcome, never a crash or a loop."""

import pytest
from django.db import DataError, models
from django.test import override_settings

from appliances.models import EventType
from sessions import importer, services
from sessions.models import (
    OutboundEvent,
    SessionCustomAttribute,
    SessionCustomer,
    SessionEvent,
    SessionRecording,
    SessionRep,
    SessionTeam,
    SupportSession,
)
from tests.reports import END, START, ReportSpec, build_report, end_event

LSID = "7d0c9f61a2b34e5f8a9b0c1d2e3f4a5b"
TICKET = "INC0010301"
HUGE = "99999999999999999999"


def _report(**replacements: str) -> bytes:
    text = build_report(ReportSpec(LSID, TICKET)).decode()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text.encode()


def _import(fake, post_event, run_worker, capture, body: bytes) -> OutboundEvent:
    fake.report(LSID, body)
    with capture(execute=True):
        assert post_event(end_event(LSID, TICKET)).status_code == 200
    run_worker()
    return OutboundEvent.objects.get()


@pytest.mark.parametrize(
    "replacements",
    [
        {
            f'<event timestamp="{START}" event_type="Session Start">': f'<event timestamp="{HUGE}" event_type="Session Start">'
        },
        {"<filesize>512</filesize>": "<filesize>\u00b2</filesize>"},
        {"<filesize>512</filesize>": f"<filesize>{HUGE}</filesize>"},
        {
            "<seconds_involved>880</seconds_involved>": "<seconds_involved>\u00b2</seconds_involved>"
        },
        {"<duration>00:15:02</duration>": "<duration>\u00b2:15:02</duration>"},
        {
            "<file_transfer_count>1</file_transfer_count>": "<file_transfer_count>\u00b2</file_transfer_count>"
        },
        {"<lseq>9</lseq>": f"<lseq>{HUGE}</lseq>"},
    ],
    ids=[
        "event-timestamp-20-digits",
        "filesize-superscript",
        "filesize-20-digits",
        "seconds-superscript",
        "duration-superscript",
        "count-superscript",
        "lseq-20-digits",
    ],
)
def test_it_imports_a_report_with_absurd_numbers(
    replacements,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    make_incident(TICKET)
    body = _report(**replacements)

    event = _import(
        fake, post_event, run_worker, django_capture_on_commit_callbacks, body
    )

    assert event.outcome == "processed", event.reason
    assert SupportSession.objects.get().event_count == 9


@pytest.mark.parametrize(
    "timestamp", [HUGE, "-99999999999"], ids=["20-digits", "negative"]
)
def test_it_treats_an_end_time_out_of_range_as_no_end_time(
    timestamp,
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    make_incident(TICKET)
    body = _report(
        **{f'<end_time timestamp="{END}">': f'<end_time timestamp="{timestamp}">'}
    )

    event = _import(
        fake, post_event, run_worker, django_capture_on_commit_callbacks, body
    )

    assert event.outcome == "retry_wait", event.reason


def _too_long(row: models.Model) -> list[str]:
    return [
        f"{type(row).__name__}.{f.name}"
        for f in row._meta.concrete_fields
        if isinstance(f, models.CharField)
        and f.max_length
        and len(getattr(row, f.attname) or "") > f.max_length
    ]


def test_it_fits_every_imported_value_in_its_column(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
):
    # SQLite ignores max_length; PostgreSQL raises "value too long", the import
    # is retried every few seconds and the session never arrives.
    make_incident(TICKET)
    long = "L" * 400
    body = _report(
        **{
            "<session_type>support</session_type>": f"<session_type>{long}</session_type>",
            '<public_site id="1">Default</public_site>': f'<public_site id="{long}">{long}</public_site>',
            '<primary_customer gsnumber="3">Olu Adebayo</primary_customer>': (
                f'<primary_customer gsnumber="{long}">{long}</primary_customer>'
            ),
            '<primary_rep gsnumber="2" id="14">': f'<primary_rep gsnumber="{long}" id="{long}">',
            "<hostname>LT-FIN-0142</hostname>": f"<hostname>{long}</hostname>",
            "<os>Windows 11 Pro</os>": f"<os>{long}</os>",
            "<company_code>KESTREL</company_code>": f"<company_code>{long}</company_code>",
            "<issue>VPN</issue>": f"<issue>{long}</issue>",
            '<representative gsnumber="2" id="14">': f'<representative gsnumber="{long}" id="{long}">',
            "<display_name>Marta Kowalczyk</display_name>": f"<display_name>{long}</display_name>",
            '<team id="3"><name>Service Desk L2</name>': f'<team id="{long}"><name>{long}</name>',
            'event_type="Session End"': f'event_type="{long}"',
            "<custom_attributes>\n": (
                f'<custom_attributes>\n<custom_attribute code_name="{long}" '
                f'display_name="{long}">v</custom_attribute>\n'
                f'<command_shell_recordings><recording instance="{long}"/></command_shell_recordings>'
            ),
        }
    )

    event = _import(
        fake, post_event, run_worker, django_capture_on_commit_callbacks, body
    )

    rows: list[models.Model] = [*SupportSession.objects.all()]
    for model in (
        EventType,
        SessionEvent,
        SessionRep,
        SessionCustomer,
        SessionTeam,
        SessionCustomAttribute,
        SessionRecording,
    ):
        rows += list(model.objects.all())
    assert [name for row in rows for name in _too_long(row)] == []
    assert event.outcome == "processed", event.reason


@override_settings()
def test_it_gives_up_after_repeated_database_errors(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
    settings,
):
    # A value the database refuses fails the same way every time: without a
    # limit the event is fetched again every five seconds, for ever.
    make_incident(TICKET)
    settings.INTEGRATION = {**settings.INTEGRATION, "IMPORT_MAX_ATTEMPTS": 3}

    def refuse(*args, **kwargs):
        raise DataError("value too long for type character varying(40)")

    monkeypatch.setattr(importer, "store", refuse)
    event = _import(
        fake, post_event, run_worker, django_capture_on_commit_callbacks, _report()
    )
    for _ in range(5):
        OutboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=None)
        services.process_event(event.pk)

    event.refresh_from_db()
    assert event.outcome == "failed"
    assert event.attempts == 3
