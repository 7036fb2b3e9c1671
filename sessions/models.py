"""The webhook inbox, imported support sessions with their related lists, and the
ledger that keeps every work note to exactly once."""

from django.db import models

from appliances.models import Appliance
from sessions import choices


class OutboundEvent(models.Model):
    """One post from an authenticated appliance, kept raw with its outcome."""

    # Indexes are few on purpose: every one is paid by each webhook insert.
    appliance = models.ForeignKey(
        Appliance, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    # (appliance, event, lsid, timestamp), set only for usable events: the database
    # refuses a second row for a repeated delivery.
    identity = models.CharField(max_length=200, null=True, blank=True)
    event = models.CharField(max_length=100, blank=True)
    lsid = models.CharField(max_length=64, blank=True)
    timestamp = models.BigIntegerField(null=True, blank=True)
    external_key = models.CharField(max_length=1024, blank=True)
    version = models.CharField(max_length=20, blank=True)
    raw_body = models.BinaryField()
    body_truncated = models.BooleanField(default=False)
    fields = models.JSONField(default=list, help_text="Every form field as received.")
    content_type = models.CharField(max_length=200, blank=True)
    peer_address = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    delivery_count = models.PositiveIntegerField(default=1)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=choices.Outcome.choices)
    source = models.CharField(
        max_length=20,
        choices=choices.EventSource.choices,
        default=choices.EventSource.WEBHOOK,
        db_index=True,
    )
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    force_refetch = models.BooleanField(default=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reply_raw = models.BinaryField(null=True, blank=True)
    reply_size = models.BigIntegerField(null=True, blank=True)
    reply_sha256 = models.CharField(max_length=64, blank=True)
    session = models.ForeignKey(
        "SupportSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound_events",
    )

    class Meta:
        # Newest first by id, which follows arrival and needs no index of its own.
        ordering = ["-id"]
        verbose_name = "outbound event"
        # Declared here rather than with unique=/db_index=, which on PostgreSQL
        # add a second, LIKE-pattern index per column that no query uses.
        constraints = [
            models.UniqueConstraint(
                fields=["identity"], name="outbound_event_identity_uniq"
            )
        ]
        indexes = [
            # The sweeper's query: what is due or stranded.
            models.Index(
                fields=["outcome", "next_attempt_at"], name="sess_event_due_idx"
            ),
            # The pull's and the admin's lookups by session.
            models.Index(fields=["lsid"], name="sess_event_lsid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event or '(no event)'} {self.lsid}".strip()

    @property
    def outcome_label(self) -> str:
        if self.reason_code:
            return f"{self.outcome}:{self.reason_code}"
        return str(self.outcome)


class RejectedPost(models.Model):
    """A capped record of a post that failed authentication (never its content)."""

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    peer_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=200)
    reason = models.CharField(max_length=200)
    body_size = models.PositiveIntegerField(default=0)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "refused post"

    def __str__(self) -> str:
        return f"{self.peer_address} {self.reason}"


class SupportSession(models.Model):
    appliance = models.ForeignKey(
        Appliance, on_delete=models.PROTECT, related_name="sessions"
    )
    lsid = models.CharField(max_length=64)
    session_type = models.CharField(max_length=40, blank=True)
    lseq = models.IntegerField(null=True, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.IntegerField(null=True, blank=True)
    public_site_id = models.CharField(max_length=40, blank=True)
    public_site = models.CharField(max_length=200, blank=True)
    jump_group = models.CharField(max_length=200, blank=True)
    external_key = models.CharField(max_length=1024, blank=True)
    primary_customer = models.CharField(max_length=200, blank=True)
    primary_customer_gsnumber = models.CharField(max_length=20, blank=True)
    primary_rep = models.CharField(max_length=200, blank=True)
    primary_rep_gsnumber = models.CharField(max_length=20, blank=True)
    primary_rep_id = models.CharField(max_length=40, blank=True)
    chat_view_url = models.URLField(max_length=2000, blank=True)
    chat_download_url = models.URLField(max_length=2000, blank=True)
    file_transfer_count = models.IntegerField(default=0)
    file_move_count = models.IntegerField(default=0)
    file_delete_count = models.IntegerField(default=0)
    event_count = models.IntegerField(default=0)
    report_complete = models.BooleanField(
        default=False, help_text="The report had an end time when it was last fetched."
    )
    incomplete = models.BooleanField(
        default=False,
        help_text="The report never became final; this is the last partial data.",
    )
    task = models.ForeignKey(
        "itsm.Task",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_sessions",
    )
    call = models.ForeignKey(
        "itsm.Call",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_sessions",
    )
    interaction = models.ForeignKey(
        "itsm.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_sessions",
    )
    configuration_item = models.ForeignKey(
        "itsm.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_sessions",
    )
    link_source = models.CharField(
        max_length=20, choices=choices.LinkSource.choices, blank=True
    )
    link_note = models.CharField(max_length=300, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    import_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-start_time", "-id"]
        verbose_name = "support session"
        constraints = [
            models.UniqueConstraint(
                fields=["appliance", "lsid"], name="support_session_appliance_lsid_uniq"
            )
        ]
        indexes = [models.Index(fields=["external_key"], name="sess_external_key_idx")]

    def __str__(self) -> str:
        who = " for ".join(filter(None, [self.primary_customer, self.primary_rep]))
        return f"{self.lsid} {who}".strip()


class SessionParticipant(models.Model):
    """Columns shared by reps and customers; `natural_key` is unique per session."""

    session = models.ForeignKey(SupportSession, on_delete=models.CASCADE)
    # gsnumber when the report has one, else a stable fallback built from the
    # participant's other fields (real reports carry participants without one).
    natural_key = models.CharField(max_length=200)
    gsnumber = models.CharField(max_length=20, blank=True)
    username = models.CharField(max_length=200, blank=True)
    public_ip = models.CharField(max_length=100, blank=True)
    private_ip = models.CharField(max_length=100, blank=True)
    hostname = models.CharField(max_length=255, blank=True)
    os = models.CharField(max_length=255, blank=True)

    class Meta:
        abstract = True


class SessionRep(SessionParticipant):
    session = models.ForeignKey(
        SupportSession, on_delete=models.CASCADE, related_name="reps"
    )
    rep_id = models.CharField(max_length=40, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    public_display_name = models.CharField(max_length=200, blank=True)
    private_display_name = models.CharField(max_length=200, blank=True)
    session_owner = models.BooleanField(default=False)
    seconds_involved = models.IntegerField(null=True, blank=True)
    invited = models.BooleanField(default=False)

    class Meta:
        ordering = ["session", "gsnumber"]
        verbose_name = "representative"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "natural_key"], name="session_rep_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


class SessionCustomer(SessionParticipant):
    session = models.ForeignKey(
        SupportSession, on_delete=models.CASCADE, related_name="customers"
    )
    primary = models.BooleanField(default=False)
    name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    company_code = models.CharField(max_length=100, blank=True)
    issue = models.CharField(max_length=200, blank=True)
    details = models.TextField(blank=True)

    class Meta:
        ordering = ["session", "gsnumber"]
        verbose_name = "customer"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "natural_key"], name="session_customer_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.username


class SessionCustomAttribute(models.Model):
    session = models.ForeignKey(
        SupportSession, on_delete=models.CASCADE, related_name="custom_attributes"
    )
    code_name = models.CharField(max_length=100)
    display_name = models.CharField(max_length=200, blank=True)
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["session", "code_name"]
        verbose_name = "custom attribute"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "code_name"], name="session_attribute_code_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code_name}={self.value}"


class SessionRecording(models.Model):
    session = models.ForeignKey(
        SupportSession, on_delete=models.CASCADE, related_name="recordings"
    )
    kind = models.CharField(max_length=40)
    instance = models.CharField(max_length=40, blank=True)
    view_url = models.URLField(max_length=2000, blank=True)
    download_url = models.URLField(max_length=2000, blank=True)

    class Meta:
        ordering = ["session", "kind", "instance"]
        verbose_name = "recording"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "instance"], name="session_recording_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.instance}".strip()


class SessionTeam(models.Model):
    session = models.ForeignKey(
        SupportSession, on_delete=models.CASCADE, related_name="teams"
    )
    natural_key = models.CharField(max_length=200)
    team_id = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["session", "name"]
        verbose_name = "team"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "natural_key"], name="session_team_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.team_id


class SessionEvent(models.Model):
    session = models.ForeignKey(
        SupportSession, on_delete=models.CASCADE, related_name="events"
    )
    # Position in the report's session_details, from 0: the natural key, as
    # timestamps repeat within a second.
    seq = models.IntegerField()
    event_type = models.CharField(max_length=100)
    timestamp = models.DateTimeField(null=True, blank=True)
    performed_by_type = models.CharField(max_length=40, blank=True)
    performed_by_gsnumber = models.CharField(max_length=20, blank=True)
    performed_by = models.CharField(max_length=200, blank=True)
    destination_type = models.CharField(max_length=40, blank=True)
    destination_gsnumber = models.CharField(max_length=20, blank=True)
    destination = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    had_invalid_chars = models.BooleanField(default=False)
    filename = models.CharField(max_length=1024, blank=True)
    filesize = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    selected = models.BooleanField(
        default=True, help_text="The event type is selected for import."
    )

    class Meta:
        ordering = ["session", "seq"]
        verbose_name = "session event"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "seq"], name="session_event_seq_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.event_type}"


class NoteLedger(models.Model):
    """Our own record of every work note written for a session (exactly once)."""

    session = models.ForeignKey(
        SupportSession, on_delete=models.CASCADE, related_name="notes"
    )
    kind = models.CharField(max_length=30, choices=choices.NoteKind.choices)
    # The session note's event position; empty for the transcript and end notice.
    source = models.CharField(max_length=40, blank=True)
    target_table = models.CharField(max_length=40)
    target_sys_id = models.CharField(max_length=32)
    target_number = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=choices.LedgerStatus.choices)
    journal_entry_id = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "created"]
        verbose_name = "work-note ledger entry"
        verbose_name_plural = "work-note ledger"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "source", "target_table", "target_sys_id"],
                name="note_ledger_once_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source} → {self.target_number}".strip()


# Kept in its own module so this one stays readable; imported here so Django
# registers it with this app.
from sessions.inbox_models import InboxPost  # noqa: E402, F401
from sessions.pull_models import PullState  # noqa: E402, F401
