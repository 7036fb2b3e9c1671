"""F16: one cached token per appliance, renewed early, by one worker, once.

Tokens last an hour and an API account holds at most 30 live ones (a 31st revokes
the oldest). Workers share one token through the database; one of them renews it
before it runs out while the others wait; a 401 drops it, renews once and retries
once. The clock is the product's, moved by the test.
"""

import threading
import traceback
from dataclasses import replace

import pytest
from django.db import OperationalError, connection

from appliances import tokens
from appliances.client import ApplianceAuthFailed, ApplianceClient
from appliances.models import ApplianceToken, ApplicationLog
from sessions.models import OutboundEvent
from tests.clocks import drain_retries, freeze_clock
from tests.fakes import Answer, _auth_error
from tests.reports import ReportSpec, build_report, end_event

TICKET = "INC0010097"


def _lsid(n: int) -> str:
    return f"{n:032x}"


def _many_connections(fake):
    """Let the fake queue every worker's connection (its listen backlog is 5)."""
    fake.server.socket.listen(128)


def _slow_tokens(fake, seconds: float = 0.2):
    """Make minting take a while, so concurrent workers overlap with it."""
    fake.default("token", lambda call: replace(fake._mint(call), delay=seconds))


def _fetch(appliance, lsid):
    reply = ApplianceClient(appliance).report_to_file("SupportSession", lsid=lsid)
    reply.file.close()


# SQLite's shared-cache in-memory test database answers "table is locked" at
# once where a file database would wait (its busy timeout). So the threads take
# turns per SQL statement, read without read locks, and a locked statement is
# tried again, as the busy timeout would. Statements still interleave freely,
# which is where a renewal race lives.
DB_LOCK = threading.Lock()


def _one_statement_at_a_time(execute, sql, params, many, context):
    for _ in range(500):
        with DB_LOCK:
            try:
                return execute(sql, params, many, context)
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
        threading.Event().wait(0.005)
    raise AssertionError(f"still locked: {sql}")


def _in_threads(count, work):
    """Run `work(n)` in `count` threads at once, each with its own DB connection."""
    start = threading.Barrier(count)
    errors = []

    def run(n):
        try:
            with DB_LOCK, connection.cursor() as cursor:
                cursor.execute("PRAGMA read_uncommitted = 1")
            start.wait()
            with connection.execute_wrapper(_one_statement_at_a_time):
                work(n)
        except Exception:
            errors.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [], "\n".join(errors)
    assert not any(thread.is_alive() for thread in threads)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [2, 8, 31])
def test_it_mints_one_token_for_many_workers_starting_at_once(
    workers, appliance, fake, waits
):
    _slow_tokens(fake)
    _many_connections(fake)
    ApplianceToken.objects.create(appliance=appliance)  # the cache row, still empty
    for n in range(workers):
        fake.report(_lsid(n), build_report(ReportSpec(_lsid(n), TICKET)))

    _in_threads(workers, lambda n: _fetch(appliance, _lsid(n)))

    assert len(fake.token_calls()) == 1
    calls = fake.report_calls()
    assert len(calls) == workers
    assert {call.token for call in calls} == {fake.minted[0]}


@pytest.mark.django_db(transaction=True)
def test_it_mints_one_token_when_workers_arrive_just_after_a_renewal(
    appliance, fake, waits
):
    # Late workers read the empty row, then the first renewal finishes before
    # they try to claim: they must take the new token, not mint another.
    _slow_tokens(fake, 0.05)
    ApplianceToken.objects.create(appliance=appliance)

    def work(n):
        row = tokens._token_row(appliance)
        if n:
            threading.Event().wait(0.3)
        assert tokens._usable(row) == ""
        if tokens._claim_renewal(row):
            tokens._renew(appliance, row)

    _in_threads(4, work)

    assert len(fake.token_calls()) == 1


def test_it_imports_after_someone_else_used_up_the_thirty_tokens(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    lsid = _lsid(1)
    first = tokens.get_token(appliance)
    fake.minted.extend(f"outside-{n}" for n in range(30))
    fake.report(lsid, build_report(ReportSpec(lsid, TICKET)))
    fake.default(
        f"report:{lsid}",
        lambda call: (
            Answer(200, build_report(ReportSpec(lsid, TICKET)))
            if fake._token_valid(call)
            else Answer(401, _auth_error())
        ),
    )

    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(lsid, TICKET))
    drain_retries(run_worker, clock)

    assert len(fake.token_calls()) == 2  # the first token, then exactly one renewal
    assert [call.token for call in fake.report_calls(lsid)] == [first, fake.minted[-1]]
    assert OutboundEvent.objects.get().outcome == "processed"


@pytest.mark.parametrize(
    "elapsed, renews",
    [(0, False), (3299, False), (3301, True), (3590, True), (3700, True)],
)
def test_it_renews_before_sending_a_token_within_its_margin(
    elapsed, renews, appliance, fake, monkeypatch
):
    clock = freeze_clock(monkeypatch)
    first = tokens.get_token(appliance)
    lsid = _lsid(2)
    fake.report(lsid, build_report(ReportSpec(lsid, TICKET)))

    clock.advance(elapsed)
    _fetch(appliance, lsid)

    sent = fake.report_calls(lsid)[0].token
    assert len(fake.token_calls()) == (2 if renews else 1)
    assert (sent != first) is renews


def test_it_keeps_a_margin_of_at_least_a_minute(settings):
    assert settings.INTEGRATION["TOKEN_RENEW_MARGIN"] >= 60


def test_it_stops_after_one_renewal_when_every_token_is_refused(
    appliance,
    fake,
    make_incident,
    post_event,
    run_worker,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    make_incident(TICKET)
    clock = freeze_clock(monkeypatch)
    lsid = _lsid(3)
    fake.default(f"report:{lsid}", Answer(401, _auth_error()))

    with django_capture_on_commit_callbacks(execute=True):
        post_event(end_event(lsid, TICKET))
    delays = drain_retries(run_worker, clock)

    assert delays == []
    assert len(fake.token_calls()) == 2
    assert len(fake.report_calls(lsid)) == 2
    assert OutboundEvent.objects.get().outcome == "auth_failed"
    alert = ApplicationLog.objects.get(level="ERROR")
    assert alert.appliance == appliance


def test_it_needs_at_most_two_tokens_for_an_hour_of_steady_work(
    appliance, fake, monkeypatch
):
    clock = freeze_clock(monkeypatch)
    fake.default(
        "command:get_api_info",
        lambda call: (
            Answer(200, b"<api_information/>")
            if fake._token_valid(call)
            else Answer(401, _auth_error())
        ),
    )

    for _ in range(361):
        ApplianceClient(appliance).command("get_api_info")
        clock.advance(10)

    assert len(fake.token_calls()) <= 2
    assert len(fake.calls_to("command:get_api_info")) == 361


def test_it_shows_no_token_or_secret_in_logs_pages_or_stored_rows(
    appliance, fake, admin_user, client, monkeypatch, caplog
):
    freeze_clock(monkeypatch)
    fake.default("command:get_api_info", Answer(401, _auth_error()))
    with pytest.raises(ApplianceAuthFailed):
        ApplianceClient(appliance).command("get_api_info")
    client.force_login(admin_user)

    pages = [
        client.get(
            f"/admin/appliances/appliance/{appliance.pk}/change/"
        ).content.decode(),
        client.get("/admin/appliances/applicationlog/").content.decode(),
    ]
    texts = [
        *pages,
        *(entry.message + str(entry.details) for entry in ApplicationLog.objects.all()),
        *(record.getMessage() for record in caplog.records),
        *ApplianceToken.objects.values_list("token_encrypted", flat=True),
    ]
    assert len(fake.minted) == 2
    for secret in [*fake.minted, fake.client_secret]:
        assert not any(secret in text for text in texts), secret
