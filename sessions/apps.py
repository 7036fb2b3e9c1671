from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

SESSION_MODELS = (
    "supportsession",
    "sessionrep",
    "sessioncustomer",
    "sessioncustomattribute",
    "sessionrecording",
    "sessionteam",
    "sessionevent",
)


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
        post_migrate.connect(grant_technicians_session_views, sender=self)
        _forget_appliances_on_change()


def grant_technicians_session_views(**kwargs: Any) -> None:
    """Let technicians open support sessions and their related lists (read only)."""
    from django.contrib.auth.models import Group, Permission

    from itsm.choices import Role

    technicians, _ = Group.objects.get_or_create(name=Role.ITIL)
    views = Permission.objects.filter(
        content_type__app_label="support_sessions",
        codename__startswith="view_",
        content_type__model__in=SESSION_MODELS,
    )
    technicians.permissions.add(*views)


def _forget_appliances_on_change() -> None:
    from django.db.models.signals import post_delete, post_save

    from appliances.models import Appliance
    from sessions.api.receiver import forget_appliances

    post_save.connect(forget_appliances, sender=Appliance, dispatch_uid="forget_appl")
    post_delete.connect(
        forget_appliances, sender=Appliance, dispatch_uid="forget_appl_d"
    )
