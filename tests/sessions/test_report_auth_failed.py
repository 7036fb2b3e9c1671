"""F02: an authentication failure is one, whatever HTTP status it comes with.

The appliance may refuse a token with HTTP 200 and `<error code=...>`. The code
decides (not the status, not the text): drop the token, renew once, retry once;
a second refusal ends the import `auth_failed` with the trimmed text, no records.
"""

import json

import pytest

from appliances.client import ApplianceClient
from appliances.models import ApplicationLog
from itsm.models import JournalEntry
from sessions.models import OutboundEvent, SessionEvent, SessionRep, SupportSession
from tests.clocks import drain_retries, freeze_clock
from tests.fakes import Answer
from tests.reports import NAMESPACES, ReportSpec, build_report, end_event

LSID = "23804b5f847cc4c3074916e7d5218076"
TICKET = "INC0010082"
TEXT = "The API account could not be authenticated for this request."
TOKEN_A = "tA.0c5e1d9b7f2a4e68"
TOKEN_B = "tB.93ad04f6e1b27c58"
PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n\n'


def _token(value):
    body = json.dumps(
        {"access_token": value, "token_type": "Bearer", "expires_in": 3600}
    )
    return Answer(200, body.encode(), {"Content-Type": "application/json"})


def _refusal(code="authentication_failed", padding="\n  ", nested=False):
    error = f'<error code="{code}">{padding}{TEXT}{padding}</error>'
    if nested:
        error = (
            f'<session_list xmlns="{NAMESPACES["beyondtrust"]}">{error}</session_list>'
        )
    return PROLOG + error.encode()


# The same refusal in different dress: code spelling, padding, position.
REFUSALS = {
    "root-padded": _refusal(),
    "root-tabs": _refusal(padding="\t\r\n "),
    "root-unpadded": _refusal(padding=""),
    "code-upper-case": _refusal(code="Authentication_Failed"),
    "code-invalid-token": _refusal(code="invalid_token"),
    "code-token-expired": _refusal(code="token_expired"),
    "nested-in-list": _refusal(nested=True),
}


@pytest.fixture
def two_tokens(fake):
    fake.script("token", _token(TOKEN_A), _token(TOKEN_B))


def _import(post_event, capture, run_worker, monkeypatch):
    clock = freeze_clock(monkeypatch)
    with capture(execute=True):
        assert post_event(end_event(LSID, TICKET)).status_code == 200
    return drain_retries(run_worker, clock)


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_it_renews_the_token_once_and_imports_after_a_refusal_with_status_200(
    refusal,
    appliance,
    fake,
    two_tokens,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    incident = make_incident(TICKET)
    ok = build_report(ReportSpec(LSID, TICKET))
    fake.script(f"report:{LSID}", Answer(200, refusal), Answer(200, ok))

    _import(post_event, django_capture_on_commit_callbacks, run_worker, monkeypatch)

    assert len(fake.token_calls()) == 2
    assert [call.token for call in fake.report_calls(LSID)] == [TOKEN_A, TOKEN_B]
    assert OutboundEvent.objects.get().outcome == "processed"
    assert SupportSession.objects.get(appliance=appliance, lsid=LSID).event_count == 9
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3


def test_it_keeps_using_the_renewed_token_afterwards(
    appliance,
    fake,
    two_tokens,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    make_incident(TICKET)
    fake.script(
        f"report:{LSID}",
        Answer(200, REFUSALS["root-padded"]),
        Answer(200, build_report(ReportSpec(LSID, TICKET))),
    )
    _import(post_event, django_capture_on_commit_callbacks, run_worker, monkeypatch)
    fake.default(
        "command:get_api_info",
        Answer(200, PROLOG + b"<api_info><api_version>1.23.0</api_version></api_info>"),
    )

    ApplianceClient(appliance).command("get_api_info")

    later = fake.calls_to("command:get_api_info")
    assert [call.token for call in later] == [TOKEN_B]
    assert len(fake.token_calls()) == 2
    assert all(call.token != TOKEN_A for call in fake.calls[2:])


@pytest.mark.parametrize("status", [200, 401])
@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_it_ends_auth_failed_with_the_trimmed_text_when_refused_again(
    status,
    refusal,
    appliance,
    fake,
    two_tokens,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    incident = make_incident(TICKET)
    fake.default(f"report:{LSID}", Answer(status, refusal))

    delays = _import(
        post_event, django_capture_on_commit_callbacks, run_worker, monkeypatch
    )

    assert delays == []
    assert len(fake.token_calls()) == 2
    assert len(fake.report_calls(LSID)) == 2
    event = OutboundEvent.objects.get()
    assert event.outcome == "auth_failed"
    assert event.reason == TEXT
    assert event.next_attempt_at is None
    assert not SupportSession.objects.exists()
    assert SessionEvent.objects.count() == 0
    assert SessionRep.objects.count() == 0
    assert not JournalEntry.objects.filter(element_id=incident.sys_id).exists()


def test_it_raises_one_alert_that_names_the_appliance_and_leaks_no_secret(
    appliance,
    fake,
    two_tokens,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
    caplog,
):
    make_incident(TICKET)
    fake.default(f"report:{LSID}", Answer(200, REFUSALS["root-padded"]))

    _import(post_event, django_capture_on_commit_callbacks, run_worker, monkeypatch)

    errors = ApplicationLog.objects.filter(level="ERROR")
    assert errors.count() == 1
    alert = errors.get()
    assert alert.appliance == appliance
    assert alert.lsid == LSID
    assert "refused the API credentials" in alert.message
    stored = [
        *(
            entry.message + json.dumps(entry.details)
            for entry in ApplicationLog.objects.all()
        ),
        *(record.getMessage() for record in caplog.records),
        OutboundEvent.objects.get().reason,
    ]
    for secret in (TOKEN_A, TOKEN_B, fake.client_secret):
        assert not any(secret in line for line in stored)


def test_it_does_not_take_a_report_that_mentions_authentication_for_a_refusal(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    # The words sit in the report's first bytes, where a text sniffer would look.
    make_incident(TICKET)
    spec = ReportSpec(
        LSID, TICKET, custom={"error": "<error>authentication_failed</error>"}
    )
    fake.report(LSID, build_report(spec))

    _import(post_event, django_capture_on_commit_callbacks, run_worker, monkeypatch)

    assert len(fake.token_calls()) == 1
    assert len(fake.report_calls(LSID)) == 1
    assert OutboundEvent.objects.get().outcome == "processed"
    session = SupportSession.objects.get(lsid=LSID)
    assert (
        session.custom_attributes.get().value == "<error>authentication_failed</error>"
    )
