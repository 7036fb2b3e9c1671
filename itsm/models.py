"""The stand-in ServiceNow core: people, groups, CIs, tasks and their journal.

Task kinds use multi-table inheritance from `Task`, as ServiceNow's tables extend
`task`. Calls and interactions are records of their own (they do not extend task
in ServiceNow either) but share the numbered-record base.
"""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models

from itsm import choices


def new_sys_id() -> str:
    """Return a new ServiceNow-style sys_id: 32 lowercase hex characters."""
    return uuid.uuid4().hex


class User(AbstractUser):
    sys_id = models.CharField(
        max_length=32, unique=True, default=new_sys_id, editable=False
    )
    title = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=100, blank=True)
    location = models.ForeignKey(
        "itsm.Location", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["username"]
        verbose_name = "user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Location(models.Model):
    sys_id = models.CharField(
        max_length=32, unique=True, default=new_sys_id, editable=False
    )
    name = models.CharField(max_length=100, unique=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserGroup(models.Model):
    """An assignment group (ServiceNow's sys_user_group), not a permission group."""

    sys_id = models.CharField(
        max_length=32, unique=True, default=new_sys_id, editable=False
    )
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    manager = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(User, blank=True, related_name="assignment_groups")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "assignment group"

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(models.Model):
    sys_id = models.CharField(
        max_length=32, unique=True, default=new_sys_id, editable=False
    )
    name = models.CharField(max_length=200)
    sys_class_name = models.CharField(
        max_length=40, choices=choices.CiClass.choices, default=choices.CiClass.COMPUTER
    )
    host_name = models.CharField(max_length=255, blank=True)
    fqdn = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    serial_number = models.CharField(max_length=100, blank=True)
    os = models.CharField(max_length=100, blank=True)
    operational_status = models.IntegerField(
        choices=choices.CiOperationalStatus.choices,
        default=choices.CiOperationalStatus.OPERATIONAL,
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL
    )
    assigned_to = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cis",
    )
    support_group = models.ForeignKey(
        UserGroup, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "configuration item"
        indexes = [models.Index(fields=["name"], name="itsm_ci_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def table_name(self) -> str:
        return "cmdb_ci"


class NumberCounter(models.Model):
    """The next number per prefix (ServiceNow's sys_number_counter)."""

    prefix = models.CharField(max_length=8, unique=True)
    next_value = models.PositiveIntegerField(default=10001)

    class Meta:
        ordering = ["prefix"]

    def __str__(self) -> str:
        return f"{self.prefix}{self.next_value:07d}"


class NumberedRecord(models.Model):
    """Columns shared by every numbered record: tasks, calls and interactions."""

    number_prefix: ClassVar[str] = "TASK"
    table: ClassVar[str] = "task"
    state_choices: ClassVar[list[tuple[Any, str]]] = []
    closed_states: ClassVar[frozenset[Any]] = frozenset()

    sys_id = models.CharField(
        max_length=32, unique=True, default=new_sys_id, editable=False
    )
    number = models.CharField(max_length=40, unique=True, blank=True)
    short_description = models.CharField(max_length=160, blank=True)
    description = models.TextField(blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    opened_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignment_group = models.ForeignKey(
        UserGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        from itsm.numbering import assign_number

        if not self.number:
            self.number = assign_number(self.number_prefix)
        else:
            self.number = self.number.strip().upper()
        super().save(*args, **kwargs)

    @property
    def table_name(self) -> str:
        return self.table

    @property
    def is_closed(self) -> bool:
        """Say whether the record is resolved, closed or cancelled."""
        return getattr(self, "state", None) in self.closed_states


class Task(NumberedRecord):
    """The parent of every work record, like ServiceNow's `task` table."""

    sys_class_name = models.CharField(max_length=40, default="task", editable=False)
    state = models.IntegerField(default=1)
    active = models.BooleanField(default=True)
    priority = models.IntegerField(
        choices=choices.Priority.choices, default=choices.Priority.MODERATE
    )
    caller = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks_called",
    )
    cmdb_ci = models.ForeignKey(
        ConfigurationItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name="configuration item",
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-number"]
        indexes = [models.Index(fields=["sys_class_name"], name="itsm_task_class_idx")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sys_class_name = self.table
        self.active = not self.is_closed
        super().save(*args, **kwargs)

    def specific(self) -> "Task":
        """Return this task as its concrete kind (an Incident, a Problem, ...)."""
        for kind in TASK_KINDS:
            if kind.table == self.sys_class_name and type(self) is not kind:
                return kind.objects.get(pk=self.pk)
        return self


class Incident(Task):
    number_prefix = "INC"
    table = "incident"
    state_choices = choices.IncidentState.choices
    closed_states = frozenset(
        {
            choices.IncidentState.RESOLVED,
            choices.IncidentState.CLOSED,
            choices.IncidentState.CANCELED,
        }
    )

    category = models.CharField(max_length=40, blank=True)
    impact = models.IntegerField(
        choices=choices.Impact.choices, default=choices.Impact.MEDIUM
    )
    urgency = models.IntegerField(
        choices=choices.Impact.choices, default=choices.Impact.MEDIUM
    )

    class Meta:
        ordering = ["-number"]


class Problem(Task):
    number_prefix = "PRB"
    table = "problem"
    state_choices = choices.ProblemState.choices
    closed_states = frozenset(
        {choices.ProblemState.RESOLVED, choices.ProblemState.CLOSED}
    )

    class Meta:
        ordering = ["-number"]


class ChangeRequest(Task):
    number_prefix = "CHG"
    table = "change_request"
    state_choices = choices.ChangeState.choices
    closed_states = frozenset(
        {choices.ChangeState.CLOSED, choices.ChangeState.CANCELED}
    )

    type = models.CharField(
        max_length=20,
        choices=choices.ChangeType.choices,
        default=choices.ChangeType.NORMAL,
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = "change request"


class CatalogRequest(Task):
    number_prefix = "REQ"
    table = "sc_request"
    state_choices = choices.TaskState.choices
    closed_states = frozenset(
        {
            choices.TaskState.CLOSED_COMPLETE,
            choices.TaskState.CLOSED_INCOMPLETE,
            choices.TaskState.CLOSED_SKIPPED,
        }
    )

    requested_for = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = "catalog request"


class Call(NumberedRecord):
    """A service desk call (ServiceNow's new_call)."""

    number_prefix = "CALL"
    table = "new_call"
    closed_states = frozenset({choices.CallState.CLOSED, choices.CallState.CANCELED})

    state = models.IntegerField(
        choices=choices.CallState.choices, default=choices.CallState.NEW
    )
    caller = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    transferred_to = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]


class Interaction(NumberedRecord):
    number_prefix = "IMS"
    table = "interaction"
    closed_states = frozenset(
        {
            choices.InteractionState.CLOSED_COMPLETE,
            choices.InteractionState.CLOSED_ABANDONED,
        }
    )

    state = models.CharField(
        max_length=20,
        choices=choices.InteractionState.choices,
        default=choices.InteractionState.NEW,
    )
    channel = models.CharField(
        max_length=20, choices=choices.Channel.choices, default=choices.Channel.CHAT
    )
    opened_for = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )

    class Meta:
        ordering = ["-number"]


TASK_KINDS: tuple[type[Task], ...] = (Incident, Problem, ChangeRequest, CatalogRequest)
NUMBERED_KINDS: tuple[type[NumberedRecord], ...] = (*TASK_KINDS, Call, Interaction)


class JournalEntry(models.Model):
    """One work note or comment; append-only, like ServiceNow's sys_journal_field."""

    name = models.CharField("table", max_length=40)
    element = models.CharField(max_length=20, choices=choices.JournalElement.choices)
    element_id = models.CharField(max_length=32)
    value = models.TextField()
    created_by = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "journal entry"
        verbose_name_plural = "journal entries"
        # The activity stream of one record, newest first.
        indexes = [
            models.Index(fields=["element_id", "-created"], name="itsm_journal_rec_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.element} {self.created:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Journal entries are append-only; add a new one instead.")
        super().save(*args, **kwargs)
