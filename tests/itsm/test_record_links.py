"""The record links the appliance's custom links use open the record's admin page;
anything unknown is a 404 (C14)."""

import pytest

from itsm.models import Interaction


@pytest.fixture
def records(make_incident):
    return make_incident("INC0010301"), Interaction.objects.create(
        short_description="Chat"
    )


@pytest.mark.parametrize(
    ("template", "which"),
    [
        ("/nav_to.do?uri=task.do?sys_id={}", 0),
        ("/nav_to.do?uri=task.do%3Fsys_id%3D{}", 0),
        ("/nav_to.do?uri=incident.do?sys_id={}", 0),
        ("/now/workspace/agent/record/task/{}", 0),
        ("/nav_to.do?uri=interaction.do?sys_id={}", 1),
        ("/now/workspace/agent/record/interaction/{}", 1),
    ],
)
def test_it_redirects_a_record_link_to_the_records_admin_page(
    template, which, records, client
):
    record = records[which]

    response = client.get(template.format(record.sys_id))

    meta = record._meta
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"/admin/{meta.app_label}/{meta.model_name}/{record.pk}/change/"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/nav_to.do?uri=task.do?sys_id=" + "0" * 32,
        "/nav_to.do?uri=task.do",
        "/nav_to.do",
        "/nav_to.do?uri=sys_user.do?sys_id={incident}",
        "/now/workspace/agent/record/task/" + "0" * 32,
        "/now/workspace/agent/record/task/not-a-sys-id",
        "/now/workspace/agent/record/cmdb_ci/{incident}",
    ],
)
def test_it_answers_404_for_an_unknown_table_or_record(url, records, client):
    response = client.get(url.format(incident=records[0].sys_id))

    assert response.status_code == 404
