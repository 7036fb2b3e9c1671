"""Operations on appliances: the connection test and the event type list."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from lxml import etree

from appliances.applog import log_step
from appliances.choices import LogLevel, LogStep
from appliances.client import (
    ApplianceClient,
    ApplianceError,
    AppliancePermissionDenied,
    describe_permissions,
)
from appliances.models import Appliance, ApplicationLog, EventType
from appliances.tokens import TokenError
from appliances.xml import child, text_of
from integration import clock

logger = logging.getLogger(__name__)

# Every session event type the appliance is known to report.
KNOWN_EVENT_TYPES = (
    "Session Start",
    "Session End",
    "Conference Owner Changed",
    "Conference Member Added",
    "Conference Member Departed",
    "Conference Member State Changed",
    "Chat Message",
    "Session Note Added",
    "File Download",
    "File Upload",
    "File Deleted",
    "File Moved",
    "Directory Created",
    "System Information Retrieved",
    "Session Foreground Window Changed",
    "Session Mouse Left Clicked",
    "Session Window Closed",
    "Special Action Executed",
    "Screen Sharing Started",
    "Screen Sharing Stopped",
    "Command Shell Session Started",
    "Command Shell Session Stopped",
    "Registry Access Started",
    "Registry Access Stopped",
    "Elevation Requested",
    "Session Transferred",
)

REQUIRED_PERMISSIONS = {
    "perm_command": "Command API (Full Access for session keys)",
    "perm_reporting_support": "Support session reports and recordings",
}


@dataclass
class ConnectionReport:
    ok: bool
    message: str
    guid: str = ""
    version: str = ""
    api_version: str = ""
    permissions: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def update_event_types(names: tuple[str, ...] = KNOWN_EVENT_TYPES) -> int:
    """Insert the event types not yet known and return how many were inserted."""
    existing = set(EventType.objects.values_list("name", flat=True))
    inserted = 0
    for name in names:
        if name in existing:
            continue
        try:
            with transaction.atomic():
                EventType.objects.create(name=name)
            inserted += 1
        except IntegrityError:
            pass  # Inserted concurrently by another run; still not ours to count.
    return inserted


def test_connection(appliance: Appliance) -> ConnectionReport:
    """Call `check_health` and `get_api_info`, store what they say, and report."""
    client = ApplianceClient(appliance, interactive=True)
    try:
        health = client.command("check_health")
        info = client.command("get_api_info")
    except (ApplianceError, TokenError) as exc:
        return _failed(appliance, _operator_message(exc))

    report = _read_connection(health, info)
    _store_connection(appliance, report)
    level = LogLevel.INFO if report.ok else LogLevel.WARNING
    log_step(level, LogStep.CONNECTION_TEST, report.message, appliance=appliance)
    return report


def _read_connection(health: etree._Element, info: etree._Element) -> ConnectionReport:
    node = child(health, "appliance")
    permissions = describe_permissions(info)
    missing = [
        label
        for name, label in REQUIRED_PERMISSIONS.items()
        if permissions.get(name, "0") in {"0", "deny", ""}
    ]
    version = text_of(child(health, "version"))
    api_version = text_of(child(info, "api_version"))
    message = f"Connected: appliance version {version or 'unknown'}, API {api_version}."
    if missing:
        message += " Missing permission: " + "; ".join(missing) + "."
    return ConnectionReport(
        ok=not missing,
        message=message,
        guid=node.get("id", "") if node is not None else "",
        version=version,
        api_version=api_version,
        permissions=permissions,
        missing=missing,
    )


def _store_connection(appliance: Appliance, report: ConnectionReport) -> None:
    if report.guid:
        appliance.appliance_guid = report.guid
    appliance.software_version = report.version
    appliance.api_version = report.api_version
    appliance.api_permissions = report.permissions
    appliance.last_checked_at = clock.now()
    appliance.last_check_result = report.message
    appliance.save(
        update_fields=[
            "appliance_guid",
            "software_version",
            "api_version",
            "api_permissions",
            "last_checked_at",
            "last_check_result",
        ]
    )


def _failed(appliance: Appliance, message: str) -> ConnectionReport:
    Appliance.objects.filter(pk=appliance.pk).update(
        last_checked_at=clock.now(), last_check_result=message
    )
    log_step(LogLevel.ERROR, LogStep.CONNECTION_TEST, message, appliance=appliance)
    return ConnectionReport(ok=False, message=message)


def _operator_message(exc: Exception) -> str:
    if isinstance(exc, AppliancePermissionDenied):
        return (
            f"{exc} The API account lacks a permission: enable the command API and "
            "support session reports for it under /login > Management > API "
            "Configuration."
        )
    return str(exc)


def purge_application_log(days: int) -> int:
    """Delete application log entries older than `days` and return the count."""
    cutoff = clock.now() - timedelta(days=days)
    deleted, _ = ApplicationLog.objects.filter(created__lt=cutoff).delete()
    return deleted
