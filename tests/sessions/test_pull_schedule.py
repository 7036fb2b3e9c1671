"""After migrate the scheduled pull exists, every 5 minutes, editable in the admin."""

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from sessions.schedules import ensure_pull_schedule


def test_it_schedules_the_pull_every_five_minutes(db):
    task = PeriodicTask.objects.get(name="Pull Support Sessions")

    assert task.task == "sessions.tasks.pull_sessions_task"
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (5, IntervalSchedule.MINUTES)


def test_it_keeps_the_interval_an_administrator_chose(db):
    task = PeriodicTask.objects.get(name="Pull Support Sessions")
    task.interval = IntervalSchedule.objects.create(
        every=1, period=IntervalSchedule.HOURS
    )
    task.save()

    ensure_pull_schedule()

    task = PeriodicTask.objects.get(name="Pull Support Sessions")
    assert (task.interval.every, task.interval.period) == (1, IntervalSchedule.HOURS)
    assert (
        PeriodicTask.objects.filter(task="sessions.tasks.pull_sessions_task").count()
        == 1
    )


def test_it_pulls_every_enabled_appliance(
    appliance, fake, published, django_capture_on_commit_callbacks
):
    from sessions.tasks import pull_sessions_task

    with django_capture_on_commit_callbacks(execute=True):
        lines = pull_sessions_task()

    assert lines == [lines[0]]
    assert lines[0].startswith("Default: 0 listed, 0 new, 0 already known")
