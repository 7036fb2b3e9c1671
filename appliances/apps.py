from django.apps import AppConfig


class AppliancesConfig(AppConfig):
    name = "appliances"
    verbose_name = "BeyondTrust appliances"

    def ready(self) -> None:
        from appliances.admin import RepUsernameInline
        from itsm.extensions import register_inline

        register_inline("itsm.user", RepUsernameInline)
