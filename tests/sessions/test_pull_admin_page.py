"""The "Pull Support Sessions" admin page starts a pull in the background and
shows its progress; only users who may change the pull state can use it."""

import pytest
from django.test import Client
from django.urls import reverse

from sessions import pull_control
from sessions.models import PullState
from sessions.tasks import pull_appliance_task
from tests.reports import ReportSpec, build_report
from tests.sessions.pulls import NEW_LSID, answer_listing

PAGE = "admin:support_sessions_pullstate_pull"
STATUS = "admin:support_sessions_pullstate_pull_status"


@pytest.fixture
def started(monkeypatch) -> list[int]:
    """Capture the pulls the page hands to the broker."""
    queued: list[int] = []
    monkeypatch.setattr(pull_control, "task_publisher", queued.append)
    return queued


def csrf_client(user) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def status(browser: Client, appliance) -> dict:
    response = browser.get(reverse(STATUS), {"appliance": appliance.pk})
    assert response.status_code == 200
    return response.json()


def test_it_starts_a_pull_and_shows_its_result(
    appliance,
    fake,
    admin_user,
    started,
    make_incident,
    run_worker,
    django_capture_on_commit_callbacks,
):
    make_incident("INC0010092")
    fake.report(NEW_LSID, build_report(ReportSpec(NEW_LSID, "INC0010092")))
    answer_listing(fake, NEW_LSID)
    browser = csrf_client(admin_user)
    page = browser.get(reverse(PAGE), {"appliance": appliance.pk})
    token = page.cookies["csrftoken"].value

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse(PAGE), {"appliance": appliance.pk, "csrfmiddlewaretoken": token}
        )

    assert response.status_code == 302
    assert started == [appliance.pk]
    assert status(browser, appliance)["state"] == "queued"

    with django_capture_on_commit_callbacks(execute=True):
        pull_appliance_task(started.pop())
    after_pull = status(browser, appliance)
    run_worker()
    done = status(browser, appliance)

    assert after_pull["state"] == "finished"
    assert (after_pull["listed"], after_pull["new"], after_pull["known"]) == (1, 1, 0)
    assert after_pull["imports"] == {"waiting": 1, "done": 0, "failed": 0}
    assert done["imports"] == {"waiting": 0, "done": 1, "failed": 0}
    assert done["watermark"] is not None


def test_it_shows_the_page_with_a_link_from_the_changelist_and_the_appliance(
    appliance, admin_user, client
):
    client.force_login(admin_user)

    page = client.get(reverse(PAGE))
    changelist = client.get(reverse("admin:support_sessions_pullstate_changelist"))
    form = client.get(reverse("admin:appliances_appliance_change", args=[appliance.pk]))

    assert page.status_code == 200
    assert b'id="pull-now"' in page.content
    assert reverse(PAGE).encode() in changelist.content
    assert f"{reverse(PAGE)}?appliance={appliance.pk}".encode() in form.content


def test_it_refuses_a_post_without_the_csrf_token(appliance, admin_user, started):
    browser = csrf_client(admin_user)

    response = browser.post(reverse(PAGE), {"appliance": appliance.pk})

    assert response.status_code == 403
    assert started == []


def test_it_refuses_a_technician(
    appliance, technician, started, django_capture_on_commit_callbacks
):
    browser = csrf_client(technician)
    page = browser.get(reverse(PAGE))
    token = browser.get(reverse("admin:index")).cookies["csrftoken"].value

    with django_capture_on_commit_callbacks(execute=True):
        posted = browser.post(
            reverse(PAGE), {"appliance": appliance.pk, "csrfmiddlewaretoken": token}
        )
    polled = browser.get(reverse(STATUS), {"appliance": appliance.pk})
    form = browser.get(
        reverse("admin:appliances_appliance_change", args=[appliance.pk])
    )

    assert (page.status_code, posted.status_code, polled.status_code) == (403, 403, 403)
    assert started == []
    assert not PullState.objects.filter(requested_at__isnull=False).exists()
    assert reverse(PAGE).encode() not in form.content


def test_it_says_so_when_the_broker_is_down(
    appliance, admin_user, client, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(appliance_id: int) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(pull_control, "task_publisher", refuse)
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(PAGE), {"appliance": appliance.pk})

    shown = status(client, appliance)
    assert shown["state"] == "failed"
    assert "ConnectionRefusedError" in shown["error"]
