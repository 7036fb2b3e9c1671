"""The admin's "Re-fetch report" acts on exactly what was selected, across pages
and filters, through the normal save path, and queues after commit (F25)."""

from datetime import timedelta

import pytest
from django.db.models.signals import post_save
from django.test import Client

from appliances.models import ApplicationLog
from integration import clock
from sessions.models import OutboundEvent

CHANGELIST = "/admin/support_sessions/outboundevent/"
ROWS = 600
END = "support_conference_end"


@pytest.fixture
def events(hook_appliance) -> list[int]:
    OutboundEvent.objects.bulk_create(
        OutboundEvent(
            appliance=hook_appliance,
            identity=f"{hook_appliance.pk}:{END}:f25{i:029x}:{1733240467 + i}",
            event=END,
            lsid=f"f25{i:029x}",
            timestamp=1733240467 + i,
            raw_body=b"",
            outcome="report_unavailable",
        )
        for i in range(1, ROWS + 1)
    )
    return list(OutboundEvent.objects.order_by("id").values_list("id", flat=True))


@pytest.fixture
def saves():
    saved: list[int] = []

    def count(sender, instance, **kwargs):
        saved.append(instance.pk)

    post_save.connect(count, sender=OutboundEvent, weak=False)
    yield saved
    post_save.disconnect(count, sender=OutboundEvent)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page_ids(client: Client, url: str) -> list[int]:
    return [event.pk for event in client.get(url).context["cl"].result_list]


def _post_action(client, url, ids, select_across, capture):
    data = {
        "action": "refetch_report",
        "select_across": select_across,
        "index": 0,
        "_selected_action": ids,
    }
    with capture(execute=True):
        return client.post(url, data, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_it_queues_all_600_rows_when_select_all_is_used_on_page_one(
    events, admin_user, published, saves, django_capture_on_commit_callbacks
):
    admin = _signed_in(admin_user)
    page_one = _page_ids(admin, CHANGELIST)

    response = _post_action(
        admin, CHANGELIST, page_one, 1, django_capture_on_commit_callbacks
    )

    assert len(page_one) == 100
    assert _messages(response) == ["600 queued"]
    assert sorted(event_id for event_id, _ in published) == events
    assert all(force for _, force in published)
    assert sorted(saves) == events
    assert (
        ApplicationLog.objects.filter(
            message="Re-fetch of the report requested."
        ).count()
        == ROWS
    )
    assert set(OutboundEvent.objects.values_list("outcome", flat=True)) == {"queued"}


def test_it_queues_only_the_three_rows_ticked_on_page_two(
    events, admin_user, published, saves, django_capture_on_commit_callbacks
):
    admin = _signed_in(admin_user)
    ticked = _page_ids(admin, f"{CHANGELIST}?p=2")[5:8]

    response = _post_action(
        admin, f"{CHANGELIST}?p=2", ticked, 0, django_capture_on_commit_callbacks
    )

    assert _messages(response) == ["3 queued"]
    assert sorted(event_id for event_id, _ in published) == sorted(ticked)
    assert sorted(saves) == sorted(ticked)
    assert (
        OutboundEvent.objects.filter(outcome="report_unavailable").count() == ROWS - 3
    )


def test_it_queues_exactly_the_rows_of_a_filtered_list(
    events, admin_user, published, saves, django_capture_on_commit_callbacks
):
    processed = events[::2][:300] + events[1::2][:50]
    for event in OutboundEvent.objects.filter(pk__in=processed):
        event.outcome = "processed"
        event.save(update_fields=["outcome"])
    saves.clear()
    admin = _signed_in(admin_user)
    url = f"{CHANGELIST}?outcome__exact=report_unavailable"

    response = _post_action(
        admin, url, _page_ids(admin, url), 1, django_capture_on_commit_callbacks
    )

    remaining = sorted(set(events) - set(processed))
    assert len(remaining) == 250
    assert _messages(response) == ["250 queued"]
    assert sorted(event_id for event_id, _ in published) == remaining
    assert OutboundEvent.objects.filter(outcome="processed").count() == 350


def test_it_leaves_rows_that_are_being_fetched_alone(
    events, admin_user, published, django_capture_on_commit_callbacks
):
    claimed = [events[0], events[299], events[-1]]
    lease = clock.now() + timedelta(minutes=10)
    OutboundEvent.objects.filter(pk__in=claimed).update(
        outcome="fetching", claimed_until=lease
    )
    admin = _signed_in(admin_user)

    response = _post_action(
        admin,
        CHANGELIST,
        _page_ids(admin, CHANGELIST),
        1,
        django_capture_on_commit_callbacks,
    )

    assert _messages(response) == ["597 queued, 3 skipped (already being fetched)"]
    assert sorted(event_id for event_id, _ in published) == sorted(
        set(events) - set(claimed)
    )
    assert set(
        OutboundEvent.objects.filter(pk__in=claimed).values_list("outcome", flat=True)
    ) == {"fetching"}


def test_it_refuses_the_action_to_a_technician(
    events, technician, published, django_capture_on_commit_callbacks
):
    tech = _signed_in(technician)

    page = tech.get(CHANGELIST)
    response = _post_action(
        tech, CHANGELIST, events[:100], 1, django_capture_on_commit_callbacks
    )

    assert page.status_code == 403
    assert response.status_code == 403
    assert published == []
    assert set(OutboundEvent.objects.values_list("outcome", flat=True)) == {
        "report_unavailable"
    }
