"""Review: the application log never refuses a row for text longer than a column."""

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.models import ApplicationLog


def test_it_clips_lsid_and_record_to_their_columns(db):
    # On PostgreSQL an lsid of 33 characters (a rejected webhook's) or a record
    # list longer than 40 raised "value too long": the receiver answered 503.
    log_step(
        LogLevel.WARNING,
        LogStep.WEBHOOK,
        "stored",
        lsid="a" * 33,
        record="INC0010001, CALL0010001, IMS0010001, CI laptop-0142",
    )

    entry = ApplicationLog.objects.get()
    assert len(entry.lsid) <= 32
    assert len(entry.record) <= 40
