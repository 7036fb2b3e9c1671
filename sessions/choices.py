from django.db import models


class Outcome(models.TextChoices):
    """What happened to an outbound event; each value is distinct and filterable."""

    PENDING_ENQUEUE = "pending_enqueue", "Stored, not yet queued"
    QUEUED = "queued", "Queued"
    FETCHING = "fetching", "Fetching report"
    RETRY_WAIT = "retry_wait", "Waiting to retry"
    PROCESSED = "processed", "Processed"
    INCOMPLETE = "incomplete", "Imported incomplete"
    IGNORED = "ignored", "Ignored"
    UNHANDLED = "unhandled", "Stored, not yet handled"
    REJECTED = "rejected", "Rejected"
    SKIPPED = "skipped", "Skipped by rule"
    REPORT_UNAVAILABLE = "report_unavailable", "Report unavailable"
    AUTH_FAILED = "auth_failed", "API authentication failed"
    PARSE_ERROR = "parse_error", "Report unreadable"
    TOO_LARGE = "too_large", "Too large"
    FAILED = "failed", "Failed"


class EventSource(models.TextChoices):
    """Where an outbound event row came from; every source takes the same import."""

    WEBHOOK = "webhook", "Webhook"
    PULL = "pull", "Scheduled pull"
    ADMIN = "admin", "Administrator"


# Outcomes from which an import may start; the rest are final or in progress.
CLAIMABLE = (Outcome.PENDING_ENQUEUE, Outcome.QUEUED, Outcome.RETRY_WAIT)


class EventName(models.TextChoices):
    BEGIN = "support_conference_begin", "Support Session Start"
    END = "support_conference_end", "Support Session End"
    OWNER_CHANGED = "support_conference_owner_changed", "Ownership Changes"
    MEMBER_ADDED = "support_conference_member_added", "Someone Joins"
    MEMBER_DEPARTED = "support_conference_member_departed", "Someone Leaves"
    CUSTOMER_SURVEY = (
        "support_conference_customer_exit_survey_completed",
        "Customer Exit Survey Completed",
    )
    REP_SURVEY = (
        "support_conference_rep_exit_survey_completed",
        "Representative Survey Completed",
    )


class NoteKind(models.TextChoices):
    TRANSCRIPT = "chat_transcript", "Chat transcript"
    SESSION_NOTE = "session_note", "Session note"
    SESSION_END = "session_end", "Session end"


class LedgerStatus(models.TextChoices):
    # The write was about to be sent and its result was not seen: look before
    # writing again.
    IN_DOUBT = "in_doubt", "In doubt"
    POSTED = "posted", "Posted"


class LinkSource(models.TextChoices):
    NONE = "", "Not linked"
    CUSTOM_FIELD = "custom_field", "Custom field"
    EXTERNAL_KEY = "external_key", "External key"
