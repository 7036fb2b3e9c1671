"""Sessions already known cost a few bulk queries, not one query each."""

from sessions.models import OutboundEvent
from tests.sessions.pulls import NEW_LSID, answer_listing, pull


def test_it_checks_known_sessions_in_bulk(
    appliance,
    fake,
    published,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    known = [f"{n:032x}" for n in range(1, 1201)]
    OutboundEvent.objects.bulk_create(
        OutboundEvent(
            appliance=appliance,
            event="support_conference_end",
            lsid=lsid,
            raw_body=b"",
            outcome="processed",
        )
        for lsid in known
    )
    answer_listing(fake, *known, NEW_LSID)
    pull(appliance, django_capture_on_commit_callbacks)  # warms the token

    with django_assert_max_num_queries(30):
        result = pull(appliance, django_capture_on_commit_callbacks)

    assert (result.listed, result.new, result.known) == (1201, 0, 1201)
