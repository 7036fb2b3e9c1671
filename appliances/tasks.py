from celery import shared_task
from django.conf import settings

from appliances.services import purge_application_log


@shared_task
def purge_application_log_task() -> int:
    """Apply the application log's retention setting."""
    return purge_application_log(settings.INTEGRATION["APPLOG_RETENTION_DAYS"])
