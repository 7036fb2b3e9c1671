from django.apps import AppConfig


class SupportSessionsConfig(AppConfig):
    name = "sessions"
    # Not "sessions": that label belongs to django.contrib.sessions.
    label = "support_sessions"
    verbose_name = "Support sessions"

    def ready(self) -> None:
        from itsm.extensions import register_related_list
        from sessions.related import support_sessions_list

        register_related_list(support_sessions_list)
