"""Review: an odd Retry-After falls back to our own backoff instead of crashing."""

import pytest

from appliances.client import retry_after_seconds


@pytest.mark.parametrize("value", ["\u00b2", "\u00b9\u2070"])
def test_it_reads_a_retry_after_in_non_ascii_digits_as_unreadable(value):
    # str.isdigit() accepts these and float() then raises: the import of the
    # session would crash and be re-run by the sweeper, crashing again.
    assert retry_after_seconds({"Retry-After": value}, attempt=2) == 4.0
