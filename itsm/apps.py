from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ItsmConfig(AppConfig):
    name = "itsm"
    verbose_name = "ITSM"

    def ready(self) -> None:
        from itsm.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
