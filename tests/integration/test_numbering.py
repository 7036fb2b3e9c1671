"""Record numbers on PostgreSQL under concurrent creation: distinct, consecutive,
INC and seven digits, skipping a number that was set by hand."""

import re
import threading

import pytest
from django.db import connection

from itsm.models import Incident, NumberCounter

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

THREADS = 8
EACH = 25


def test_incidents_created_at_once_get_distinct_consecutive_numbers():
    assert connection.vendor == "postgresql"
    counter = NumberCounter.objects.filter(prefix="INC").first()
    start = counter.next_value if counter else NumberCounter().next_value
    by_hand = f"INC{start + 9:07d}"
    Incident.objects.create(number=by_hand, short_description="Typed in by hand")

    barrier = threading.Barrier(THREADS, timeout=60)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create() -> None:
        try:
            barrier.wait()
            for n in range(EACH):
                number = Incident.objects.create(
                    short_description=f"Concurrent {n}"
                ).number
                with lock:
                    numbers.append(number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(numbers) == THREADS * EACH
    assert all(re.fullmatch(r"INC\d{7}", number) for number in numbers)
    assert len(set(numbers)) == len(numbers)
    values = sorted(int(number[3:]) for number in numbers)
    assert values == [
        v for v in range(start, start + len(numbers) + 1) if v != start + 9
    ]
    assert Incident.objects.count() == len(numbers) + 1
