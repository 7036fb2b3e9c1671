"""`manage.py pull_sessions` runs the pull now and prints a line per appliance."""

import pytest
from django.core.management import CommandError, call_command

from sessions.models import OutboundEvent
from tests.sessions.pulls import NEW_LSID, OLD_LSID, answer_listing, listing_calls


def run(capsys, *args):
    call_command("pull_sessions", *args)
    return capsys.readouterr().out


def test_it_prints_the_counts_for_each_appliance(
    appliance, fake, capsys, published, django_capture_on_commit_callbacks
):
    answer_listing(fake, OLD_LSID, NEW_LSID)

    with django_capture_on_commit_callbacks(execute=True):
        out = run(capsys)

    assert out.startswith(
        "Default: 2 listed, 2 new, 0 already known (sessions ended since "
    )
    assert len(out.splitlines()) == 1
    assert len(published) == OutboundEvent.objects.count() == 2


def test_it_pulls_from_the_time_given(appliance, fake, capsys, published):
    answer_listing(fake)

    out = run(capsys, "--appliance", "Default", "--since", "2024-12-03T15:00:00+01:00")

    assert "since 2024-12-03 14:00:00 UTC" in out
    assert listing_calls(fake)[0].params["end_time"] == "1733234400"


@pytest.mark.parametrize(
    ("since", "words"),
    [("yesterday", "not an ISO-8601"), ("2999-01-01", "in the future")],
)
def test_it_refuses_a_bad_since(appliance, fake, since, words):
    with pytest.raises(CommandError, match=words):
        call_command("pull_sessions", "--since", since)

    assert listing_calls(fake) == []


def test_it_exits_non_zero_on_a_bad_since_from_the_shell(db):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "pull_sessions", "--since", "not-a-date"],
        capture_output=True,
        text=True,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "integration.settings_test",
        },
        timeout=60,
    )

    assert result.returncode != 0
    assert "not an ISO-8601" in result.stderr


def test_it_names_an_unknown_appliance(appliance):
    with pytest.raises(CommandError, match="No appliance named 'Nope'"):
        call_command("pull_sessions", "--appliance", "Nope")


def test_it_fails_when_the_appliance_cannot_be_listed(
    appliance, fake, capsys, published, waits
):
    fake.refuse_tokens = True

    with pytest.raises(CommandError, match="The pull failed for: Default"):
        call_command("pull_sessions")

    assert capsys.readouterr().out.startswith("Default: failed: ")
