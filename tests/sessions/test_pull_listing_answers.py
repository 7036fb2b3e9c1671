"""The listing is read by local names, with extra attributes and the appliance's
"no data" answers; anything else is an error, never an empty window."""

from sessions.models import OutboundEvent, PullState
from tests.fakes import Answer
from tests.sessions.pulls import LISTING, NEW_LSID, OLD_LSID, listing, pull

NO_DATA = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n\n'
    b"<error>No report data matches the requested criteria.</error>"
)
NO_DATA_INSIDE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n\n<session_summary_list '
    b'xmlns="http://www.bomgar.com/namespaces/API/reporting"><error>No data</error>'
    b"</session_summary_list>"
)


def test_it_reads_each_lsid_once_ignoring_extra_attributes(
    appliance, fake, published, django_capture_on_commit_callbacks
):
    fake.default(LISTING, Answer(200, listing(OLD_LSID, NEW_LSID, OLD_LSID.upper())))

    result = pull(appliance, django_capture_on_commit_callbacks)

    assert (result.listed, result.new) == (2, 2)
    assert sorted(OutboundEvent.objects.values_list("lsid", flat=True)) == sorted(
        [OLD_LSID, NEW_LSID]
    )


def test_it_takes_no_data_answers_as_an_empty_window(
    appliance, fake, published, django_capture_on_commit_callbacks
):
    for body in (NO_DATA, NO_DATA_INSIDE):
        fake.script(LISTING, Answer(200, body))

        result = pull(appliance, django_capture_on_commit_callbacks)

        assert (result.status, result.listed) == ("ok", 0)
    assert PullState.objects.get().watermark is not None


def test_it_refuses_a_reply_that_is_not_a_listing(
    appliance, fake, published, django_capture_on_commit_callbacks
):
    fake.script(LISTING, Answer(200, listing(NEW_LSID, root="session_list_of_sorts")))

    result = pull(appliance, django_capture_on_commit_callbacks)

    assert result.status == "failed"
    assert "session_list_of_sorts" in result.error
    assert PullState.objects.get().watermark is None
