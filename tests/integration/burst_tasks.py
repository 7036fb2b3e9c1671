"""A trivial task for the broker burst test: it notes, in a file, that it ran.

The worker loads it with `-I tests.integration.burst_tasks`.
"""

import os

from celery import shared_task


@shared_task(name="tests.integration.burst_tasks.record")
def record(path: str, number: int) -> int:
    # One small O_APPEND write per task: whole lines even from several processes.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{number}\n".encode())
    finally:
        os.close(fd)
    return number
