"""Which ServiceNow records a session belongs to.

The custom fields the session key carried (`snow_task_id`, `snow_call_id`,
`snow_interaction_id`, `snow_cmdb_ci_id`) decide first; when none of them names a
record, the external key does (a record number such as INC0010074, trimmed and
case-folded, or a sys_id).
"""

from dataclasses import dataclass

from itsm import services as itsm
from itsm.models import Call, ConfigurationItem, Interaction, NumberedRecord, Task
from sessions.choices import LinkSource
from sessions.report import SessionHead


@dataclass
class Links:
    task: Task | None = None
    call: Call | None = None
    interaction: Interaction | None = None
    configuration_item: ConfigurationItem | None = None
    source: str = LinkSource.NONE
    note: str = ""

    @property
    def linked(self) -> bool:
        return any((self.task, self.call, self.interaction, self.configuration_item))

    @property
    def records(self) -> list[NumberedRecord]:
        """Return the records that take work notes (not the CI)."""
        return [r for r in (self.task, self.call, self.interaction) if r is not None]

    def describe(self) -> str:
        names = [r.number for r in self.records]
        if self.configuration_item:
            names.append(f"CI {self.configuration_item.name}")
        return ", ".join(names)


def find_links(head: SessionHead) -> Links:
    """Return the records named by the session's custom fields or external key."""
    links = _by_custom_fields(head)
    if links.linked:
        return links

    key = head.fields.get("external_key", "").strip()
    if not key:
        links.note = "The session has no ServiceNow custom fields and no external key."
        return links
    return _by_external_key(key, links)


def _by_custom_fields(head: SessionHead) -> Links:
    links = Links()
    missing: list[str] = []
    task_id = head.custom("snow_task_id")
    if task_id:
        links.task = itsm.find_task(task_id)
        missing += [] if links.task else [f"task {task_id}"]
    call_id = head.custom("snow_call_id")
    if call_id:
        links.call = Call.objects.filter(sys_id=call_id.strip().lower()).first()
        missing += [] if links.call else [f"call {call_id}"]
    interaction_id = head.custom("snow_interaction_id")
    if interaction_id:
        links.interaction = Interaction.objects.filter(
            sys_id=interaction_id.strip().lower()
        ).first()
        missing += [] if links.interaction else [f"interaction {interaction_id}"]
    ci_id = head.custom("snow_cmdb_ci_id")
    if ci_id:
        links.configuration_item = itsm.find_ci(ci_id)
        missing += [] if links.configuration_item else [f"CI {ci_id}"]
    if links.linked:
        links.source = LinkSource.CUSTOM_FIELD
    if missing:
        links.note = "Custom fields name records that do not exist: " + ", ".join(
            missing
        )
    return links


def _by_external_key(key: str, links: Links) -> Links:
    record = itsm.find_record_by_number(key) or itsm.find_record_by_sys_id(key)
    if record is None:
        links.note = (
            f"{links.note} " if links.note else ""
        ) + f"The external key {key!r} names no record."
        return links

    if isinstance(record, Task):
        links.task = record
    elif isinstance(record, Call):
        links.call = record
    elif isinstance(record, Interaction):
        links.interaction = record
    links.source = LinkSource.EXTERNAL_KEY
    return links
