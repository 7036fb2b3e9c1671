"""The application log (C20): every integration step an administrator may need."""

import logging
from typing import Any

from appliances.choices import LogLevel, LogStep
from appliances.models import Appliance, ApplicationLog

logger = logging.getLogger("integration")

_LEVELS = {
    LogLevel.DEBUG: logging.DEBUG,
    LogLevel.INFO: logging.INFO,
    LogLevel.WARNING: logging.WARNING,
    LogLevel.ERROR: logging.ERROR,
}


_LSID_MAX = ApplicationLog._meta.get_field("lsid").max_length or 32
_RECORD_MAX = ApplicationLog._meta.get_field("record").max_length or 40


def log_step(
    level: LogLevel,
    step: LogStep,
    message: str,
    *,
    appliance: Appliance | None = None,
    lsid: str = "",
    record: str = "",
    **details: Any,
) -> ApplicationLog:
    """Record one step in the application log and on the console."""
    # Clipped to their columns: PostgreSQL refuses longer text, and a refused
    # log row would fail the post or import it describes (a 33-character lsid
    # answered 503 and stalled the appliance's feed).
    entry = ApplicationLog.objects.create(
        level=level,
        step=step,
        appliance=appliance,
        lsid=lsid[:_LSID_MAX],
        record=record[:_RECORD_MAX],
        message=message,
        details={key: _plain(value) for key, value in details.items()},
    )
    logger.log(
        _LEVELS[level],
        "%s",
        message,
        extra={
            "step": str(step),
            "appliance": appliance.name if appliance else "",
            "lsid": lsid,
            "record": record,
        },
    )
    return entry


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
