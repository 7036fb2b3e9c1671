"""Operations on ITSM records that the rest of the product relies on."""

import logging
import re

from django.db.models import Model

from itsm.choices import JournalElement
from itsm.models import (
    NUMBERED_KINDS,
    Call,
    ConfigurationItem,
    Interaction,
    JournalEntry,
    NumberedRecord,
    Task,
)

logger = logging.getLogger(__name__)

SYS_ID_RE = re.compile(r"^[0-9a-f]{32}$")
NUMBER_RE = re.compile(r"^([A-Z]+)(\d+)$")


def add_work_note(record: NumberedRecord, text: str, author: str = "") -> JournalEntry:
    """Append a work note to `record`'s journal and return the new entry."""
    return JournalEntry.objects.create(
        name=record.table_name,
        element=JournalElement.WORK_NOTES,
        element_id=record.sys_id,
        value=text,
        created_by=author,
    )


def add_comment(record: NumberedRecord, text: str, author: str = "") -> JournalEntry:
    """Append a customer-visible comment to `record`'s journal."""
    return JournalEntry.objects.create(
        name=record.table_name,
        element=JournalElement.COMMENTS,
        element_id=record.sys_id,
        value=text,
        created_by=author,
    )


def journal_for(record: Model) -> list[JournalEntry]:
    """Return the record's journal, newest first."""
    sys_id = getattr(record, "sys_id", "")
    return list(JournalEntry.objects.filter(element_id=sys_id))


def normalise_key(value: str) -> str:
    """Return an external key trimmed and case-folded the way numbers are stored."""
    return value.strip().upper()


def find_record_by_number(value: str) -> NumberedRecord | None:
    """Return the task, call or interaction whose number is `value`, or None.

    The prefix picks the table; white space and letter case are ignored.
    """
    number = normalise_key(value)
    match = NUMBER_RE.match(number)
    if match is None:
        return None

    for kind in NUMBERED_KINDS:
        if kind.number_prefix == match.group(1):
            return kind._default_manager.filter(number=number).first()
    # A prefix from another kind of task that this product does not model.
    task = Task.objects.filter(number=number).first()
    return task.specific() if task else None


def find_record_by_sys_id(value: str) -> NumberedRecord | None:
    """Return the task, call or interaction with this sys_id, or None."""
    sys_id = value.strip().lower()
    if not SYS_ID_RE.match(sys_id):
        return None

    task = Task.objects.filter(sys_id=sys_id).first()
    if task is not None:
        return task.specific()
    return (
        Call.objects.filter(sys_id=sys_id).first()
        or Interaction.objects.filter(sys_id=sys_id).first()
    )


def find_task(sys_id: str) -> Task | None:
    task = Task.objects.filter(sys_id=sys_id.strip().lower()).first()
    return task.specific() if task else None


def find_ci(sys_id: str) -> ConfigurationItem | None:
    return ConfigurationItem.objects.filter(sys_id=sys_id.strip().lower()).first()
