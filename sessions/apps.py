from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SupportSessionsConfig(AppConfig):
    name = "sessions"
    # Not "sessions": that label belongs to django.contrib.sessions.
    label = "support_sessions"
    verbose_name = "Support sessions"

    def ready(self) -> None:
        from itsm.extensions import register_object_tools, register_related_list
        from sessions import checks  # noqa: F401 - registers the system checks
        from sessions.pull_admin import appliance_pull_tools
        from sessions.related import support_sessions_list
        from sessions.schedules import ensure_pull_schedule

        register_related_list(support_sessions_list)
        register_object_tools(appliance_pull_tools)
        post_migrate.connect(ensure_pull_schedule, sender=self)
