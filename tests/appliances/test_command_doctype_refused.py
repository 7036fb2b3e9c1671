"""F09: the no-DOCTYPE rule holds for every XML the product reads from outside.

Command answers, small reports and the connection test refuse a DOCTYPE with a
clear "DTD not allowed" error and read no value from the document; the parser
functions refuse it too, including the huge-text configuration used for reports.
"""

import io

import pytest

from appliances.client import ApplianceBadReply, ApplianceClient
from appliances.models import Appliance
from appliances.services import test_connection as run_connection_test
from appliances.xml import XmlRefused, iterparse_file, parse_bytes
from tests.fakes import Answer

MARKER = "LEAKED-MARKER-0c4d2e8b91"
NS = "https://www.beyondtrust.com/namespaces/API/command"
HEALTH = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n\n'
    b'<health_check><appliance id="g">host</appliance>'
    b"<version>24.3.1</version><success>1</success></health_check>"
)


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "hostname"
    path.write_text(MARKER)
    return path


def _api_info(doctype: str, permission: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n\n{doctype}\n'
        f'<api_information xmlns="{NS}"><api_version>1.23.0</api_version><permissions>'
        f'<permission name="perm_command">{permission}</permission>'
        '<permission name="perm_reporting_support">1</permission>'
        "</permissions></api_information>"
    ).encode()


def _doctypes(secret_file, fake):
    return {
        "file-entity": (
            f'<!DOCTYPE api_information [<!ENTITY h SYSTEM "file://{secret_file}">]>',
            "&h;",
        ),
        "internal-entity": (
            '<!DOCTYPE api_information [<!ENTITY h "full_access">]>',
            "&h;",
        ),
        "external-dtd": (
            f'<!DOCTYPE api_information SYSTEM "{fake.url}/command.dtd">',
            "full_access",
        ),
        "bare": ("<!DOCTYPE api_information>", "full_access"),
    }


NAMES = ["file-entity", "internal-entity", "external-dtd", "bare"]


@pytest.mark.parametrize("name", NAMES)
def test_it_fails_a_command_whose_answer_has_a_doctype(
    name, appliance, fake, secret_file
):
    doctype, value = _doctypes(secret_file, fake)[name]
    fake.default("command:get_api_info", Answer(200, _api_info(doctype, value)))

    with pytest.raises(ApplianceBadReply) as failed:
        ApplianceClient(appliance).command("get_api_info")

    assert "DTD not allowed" in str(failed.value)
    assert "Default" in str(failed.value)
    assert MARKER not in str(failed.value)
    assert sorted(call.path for call in fake.calls) == ["/api/command", "/oauth2/token"]


@pytest.mark.parametrize("name", NAMES)
def test_it_reads_no_permission_from_a_refused_connection_test(
    name, appliance, fake, secret_file
):
    doctype, value = _doctypes(secret_file, fake)[name]
    fake.default("command:check_health", Answer(200, HEALTH))
    fake.default("command:get_api_info", Answer(200, _api_info(doctype, value)))

    report = run_connection_test(appliance)

    assert not report.ok
    assert "DTD not allowed" in report.message
    assert report.permissions == {}
    stored = Appliance.objects.get(pk=appliance.pk)
    assert stored.api_permissions in ({}, None, "")
    assert "DTD not allowed" in stored.last_check_result
    assert MARKER not in stored.last_check_result


def test_it_fails_a_small_report_whose_answer_has_a_doctype(
    appliance, fake, secret_file
):
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE session_summary [<!ENTITY h SYSTEM "file://{secret_file}">]>'
        "<session_summary><count>&h;</count></session_summary>"
    ).encode()
    fake.default("report:SupportSessionSummary", Answer(200, body))

    with pytest.raises(ApplianceBadReply) as failed:
        ApplianceClient(appliance).report("SupportSessionSummary")

    assert "DTD not allowed" in str(failed.value)


@pytest.mark.parametrize("huge", [False, True], ids=["parse_bytes", "iterparse_file"])
@pytest.mark.parametrize("name", NAMES)
def test_it_refuses_a_doctype_in_both_parser_configurations(
    name, huge, fake, secret_file
):
    doctype, value = _doctypes(secret_file, fake)[name]
    body = _api_info(doctype, value)

    with pytest.raises(XmlRefused, match="DTD not allowed"):
        if huge:
            list(iterparse_file(io.BytesIO(body)))
        else:
            parse_bytes(body)
    assert fake.calls == []
