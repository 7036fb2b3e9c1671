"""Appliance records and what the integration keeps per appliance."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from appliances import choices
from appliances.crypto import decrypt, encrypt


class EventType(models.Model):
    """A session event type as the appliance names it ("Chat Message", ...)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "session event type"

    def __str__(self) -> str:
        return self.name


class Appliance(models.Model):
    name = models.CharField(
        max_length=100,
        unique=True,
        help_text="The appliance named Default is used wherever no other is implied.",
    )
    hostname = models.CharField(
        max_length=255,
        help_text="Host name of the B Series Appliance or cloud site, with an optional "
        "port, e.g. support.example.com. https is used unless the URL says http://.",
    )
    appliance_guid = models.CharField(
        "appliance GUID",
        max_length=64,
        blank=True,
        help_text="Filled by Test connection; tells which appliance sent an event.",
    )
    client_id = models.CharField("OAuth client ID", max_length=200, blank=True)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    integration_enabled = models.BooleanField(default=True)
    import_external_sessions = models.BooleanField(
        default=False,
        help_text="Store sessions that name no ServiceNow record.",
    )
    outbound_event_token_encrypted = models.TextField(blank=True, editable=False)
    accepted_ip_addresses = models.TextField(
        "accepted IP addresses",
        blank=True,
        help_text="Comma-separated addresses or networks (CIDR) allowed to post "
        "outbound events. Empty accepts any address that has the token.",
    )
    auto_associate_with_user = models.BooleanField(default=False)
    use_rep_console_for_session_keys = models.BooleanField(
        "use rep console for session keys", default=False
    )
    log_session_notes = models.BooleanField(default=True)
    log_session_end = models.BooleanField(default=True)
    log_generate_session_key = models.BooleanField(default=True)
    log_customer_initiated_sessions = models.BooleanField(default=True)
    self_service_enabled = models.BooleanField(default=False)
    session_start_type = models.CharField(
        max_length=20,
        choices=choices.SessionStartType.choices,
        default=choices.SessionStartType.CLICK_TO_CHAT,
    )
    events_to_import = models.ManyToManyField(
        EventType,
        blank=True,
        related_name="appliances",
        help_text="Only these events become notes and show on the session by "
        "default. Empty means all.",
    )
    api_version = models.CharField(max_length=40, blank=True, editable=False)
    software_version = models.CharField(max_length=120, blank=True, editable=False)
    api_permissions = models.JSONField(default=dict, blank=True, editable=False)
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_check_result = models.TextField(blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from appliances.urls_guard import ApplianceUrlError, base_url_for

        try:
            base_url_for(self.hostname)
        except ApplianceUrlError as exc:
            raise ValidationError({"hostname": str(exc)}) from exc

    @property
    def client_secret(self) -> str:
        return decrypt(self.client_secret_encrypted)

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_encrypted = encrypt(value) if value else ""

    @property
    def outbound_event_token(self) -> str:
        return decrypt(self.outbound_event_token_encrypted)

    @outbound_event_token.setter
    def outbound_event_token(self, value: str) -> None:
        self.outbound_event_token_encrypted = encrypt(value) if value else ""

    @property
    def base_url(self) -> str:
        from appliances.urls_guard import base_url_for

        return base_url_for(self.hostname)

    def imports_event_type(self, name: str, selected: set[str] | None = None) -> bool:
        """Say whether events of type `name` are selected for import (empty: all)."""
        if selected is None:
            selected = set(self.events_to_import.values_list("name", flat=True))
        return not selected or name in selected


class ApplianceIssue(models.Model):
    """A support issue customers can pick (the appliance's front-end survey)."""

    appliance = models.ForeignKey(
        Appliance, on_delete=models.CASCADE, related_name="issues"
    )
    code_name = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    issue_id = models.CharField("appliance issue ID", max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["appliance", "code_name"]
        verbose_name = "issue"
        constraints = [
            models.UniqueConstraint(
                fields=["appliance", "code_name"], name="appliances_issue_code_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.description or self.code_name


class ApplianceToken(models.Model):
    """The one OAuth token per appliance that every worker shares.

    Renewal is claimed with a conditional update of `renewing_until`, so one worker
    renews while the others wait for its token (the API account holds at most 30).
    """

    appliance = models.OneToOneField(
        Appliance, on_delete=models.CASCADE, related_name="token"
    )
    token_encrypted = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    renewing_until = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveIntegerField(default=0)
    renewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["appliance"]

    def __str__(self) -> str:
        return f"token for {self.appliance}"


class RepUsername(models.Model):
    """A user's BeyondTrust username; when absent the user name is used."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="beyondtrust"
    )
    username = models.CharField("BeyondTrust username", max_length=150, blank=True)

    class Meta:
        ordering = ["user"]
        verbose_name = "BeyondTrust username"

    def __str__(self) -> str:
        return self.username


def rep_username_for(user: Any) -> str:
    """Return the BeyondTrust username of `user`, falling back to their user name."""
    mapping = RepUsername.objects.filter(user=user).first()
    return (mapping.username if mapping else "") or user.get_username()


class ApplicationLog(models.Model):
    """One integration step an administrator may need to read (C20)."""

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    level = models.CharField(max_length=10, choices=choices.LogLevel.choices)
    step = models.CharField(max_length=40, choices=choices.LogStep.choices)
    appliance = models.ForeignKey(
        Appliance, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lsid = models.CharField(max_length=32, blank=True, db_index=True)
    record = models.CharField(max_length=40, blank=True, db_index=True)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "application log entry"
        verbose_name_plural = "application log"

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.level} {self.message[:60]}"
