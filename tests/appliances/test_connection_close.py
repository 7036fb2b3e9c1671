"""F17: every appliance call goes on its own connection and says `Connection: close`.

The appliance answers one request per TCP connection and drops a reused one
without answering. The fake does the same and counts connections, so a client
that reuses connections, or retries behind our back, shows up in its counts.
"""

import pytest

from appliances.client import ApplianceClient, ApplianceUnreachable
from appliances.services import test_connection as run_connection_test
from itsm.models import JournalEntry
from sessions.models import OutboundEvent, SupportSession
from tests.fakes import Answer
from tests.reports import ReportSpec, build_report, end_event

LSID = "321562b03c8762567fe26607713d9134"
TICKET = "INC0010098"
NS = "https://www.beyondtrust.com/namespaces/API/command"
HEALTH = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n\n<health_check xmlns="{NS}">'
    '<appliance id="5b0e2d7c">support.example.com</appliance><version>24.3.1</version>'
    "<success>1</success></health_check>"
).encode()
API_INFO = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n\n<api_information xmlns="{NS}">'
    "<api_version>1.23.0</api_version><permissions>"
    '<permission name="perm_command">full_access</permission>'
    '<permission name="perm_reporting_support">1</permission>'
    "</permissions></api_information>"
).encode()
TRANSPORT_NOISE = (
    "RemoteDisconnected",
    "ConnectionError",
    "Connection aborted",
    "connection aborted",
)


def _assert_one_request_per_connection(fake):
    assert fake.connections == len(fake.calls)
    assert len({call.connection for call in fake.calls}) == len(fake.calls)
    for call in fake.calls:
        assert call.headers.get("Connection", "").lower() == "close", call.path


def test_it_uses_a_fresh_connection_for_the_test_and_the_import(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    caplog,
):
    incident = make_incident(TICKET)
    fake.default("command:check_health", Answer(200, HEALTH))
    fake.default("command:get_api_info", Answer(200, API_INFO))
    fake.report(LSID, build_report(ReportSpec(LSID, TICKET)))

    report = run_connection_test(appliance)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(LSID, TICKET))
    run_worker()

    assert report.ok
    assert report.api_version == "1.23.0"
    assert OutboundEvent.objects.get().outcome == "processed"
    assert SupportSession.objects.get(lsid=LSID).event_count == 9
    assert JournalEntry.objects.filter(element_id=incident.sys_id).count() == 3
    paths = sorted(call.params.get("action") or call.path for call in fake.calls)
    assert paths == ["/api/reporting", "/oauth2/token", "check_health", "get_api_info"]
    _assert_one_request_per_connection(fake)
    assert not any(noise in caplog.text for noise in TRANSPORT_NOISE)


@pytest.mark.parametrize("calls", [2, 5])
def test_it_never_reuses_a_connection_for_calls_in_a_row(calls, appliance, fake):
    fake.default("command:get_api_info", Answer(200, API_INFO))
    client = ApplianceClient(appliance)

    for _ in range(calls):
        client.command("get_api_info")

    assert len(fake.calls_to("command:get_api_info")) == calls
    _assert_one_request_per_connection(fake)


def test_it_gives_up_on_a_silent_appliance_within_its_read_timeout_without_retrying(
    settings, appliance, fake
):
    settings.INTEGRATION = {**settings.INTEGRATION, "READ_TIMEOUT": 0.3}
    fake.default("command:get_api_info", Answer(200, API_INFO, delay=1.5))

    with pytest.raises(ApplianceUnreachable) as silent:
        ApplianceClient(appliance).command("get_api_info")

    assert "Default" in str(silent.value)
    assert "did not answer in time" in str(silent.value)
    assert len(fake.calls_to("command:get_api_info")) == 1


def test_it_reports_a_silent_appliance_in_the_connection_test(
    settings, appliance, fake
):
    settings.INTEGRATION = {**settings.INTEGRATION, "READ_TIMEOUT": 0.3}
    fake.default("command:check_health", Answer(200, HEALTH, delay=1.5))

    report = run_connection_test(appliance)

    assert not report.ok
    assert "did not answer in time" in report.message
    assert len(fake.calls_to("command:check_health")) == 1
    assert fake.calls_to("command:get_api_info") == []
