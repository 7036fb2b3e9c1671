"""Admin for outbound events, support sessions and their related lists."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from sessions import services
from sessions.models import (
    InboxPost,
    NoteLedger,
    OutboundEvent,
    RejectedPost,
    SessionCustomAttribute,
    SessionCustomer,
    SessionEvent,
    SessionRecording,
    SessionRep,
    SessionTeam,
    SupportSession,
)

PREVIEW_EVENTS = 200


class ReadOnlyMixin:
    def has_add_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


@admin.register(OutboundEvent)
class OutboundEventAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "event",
        "lsid",
        "appliance",
        "outcome_display",
        "delivery_count",
        "attempts",
        "session_link",
    )
    list_filter = ("outcome", "source", "event", "appliance", "reason_code")
    search_fields = ("lsid", "external_key", "reason")
    list_select_related = ("appliance", "session")
    show_full_result_count = False
    actions = ["refetch_report"]
    readonly_fields = [f.name for f in OutboundEvent._meta.fields] + [
        "raw_text",
        "fields_table",
    ]
    exclude = ("raw_body", "reply_raw")

    @admin.display(description="outcome", ordering="outcome")
    def outcome_display(self, obj: OutboundEvent) -> str:
        if obj.outcome == "fetching":
            return "fetching (being imported now)"
        return obj.outcome_label

    @admin.display(description="support session")
    def session_link(self, obj: OutboundEvent) -> str:
        if obj.session_id is None:
            return "-"
        url = reverse(
            "admin:support_sessions_supportsession_change", args=[obj.session_id]
        )
        return format_html('<a href="{}">{}</a>', url, obj.lsid)

    @admin.display(description="raw body")
    def raw_text(self, obj: OutboundEvent) -> str:
        raw = bytes(obj.raw_body or b"")
        return raw.decode("utf-8", "backslashreplace") or "(empty)"

    @admin.display(description="fields as received")
    def fields_table(self, obj: OutboundEvent) -> str:
        if not obj.fields:
            return "-"
        return format_html_join(
            "", "<div><code>{}</code> = <code>{}</code></div>", obj.fields
        )

    @admin.action(description="Re-fetch report", permissions=["change"])
    def refetch_report(
        self, request: HttpRequest, queryset: QuerySet[OutboundEvent]
    ) -> None:
        queued, skipped = services.request_refetch(queryset)
        message = f"{queued} queued"
        if skipped:
            message += f", {skipped} skipped (already being fetched)"
        self.message_user(request, message, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


class RepInline(ReadOnlyMixin, admin.TabularInline):
    model = SessionRep
    extra = 0
    can_delete = False
    fields = (
        "gsnumber",
        "rep_id",
        "username",
        "display_name",
        "private_display_name",
        "hostname",
        "public_ip",
        "private_ip",
        "os",
        "session_owner",
        "seconds_involved",
    )


class CustomerInline(ReadOnlyMixin, admin.TabularInline):
    model = SessionCustomer
    extra = 0
    can_delete = False
    fields = (
        "gsnumber",
        "name",
        "username",
        "company",
        "issue",
        "details",
        "hostname",
        "public_ip",
        "private_ip",
        "os",
        "primary",
    )


class CustomAttributeInline(ReadOnlyMixin, admin.TabularInline):
    model = SessionCustomAttribute
    extra = 0
    can_delete = False
    fields = ("code_name", "display_name", "value")


class RecordingInline(ReadOnlyMixin, admin.TabularInline):
    model = SessionRecording
    extra = 0
    can_delete = False
    fields = ("kind", "instance", "view_url", "download_url")


class TeamInline(ReadOnlyMixin, admin.TabularInline):
    model = SessionTeam
    extra = 0
    can_delete = False
    fields = ("team_id", "name")


class NoteLedgerInline(ReadOnlyMixin, admin.TabularInline):
    model = NoteLedger
    extra = 0
    can_delete = False
    fields = ("kind", "source", "target_number", "status", "posted_at")


@admin.register(SupportSession)
class SupportSessionAdmin(admin.ModelAdmin):
    list_display = (
        "lsid",
        "appliance",
        "start_time",
        "end_time",
        "primary_rep",
        "primary_customer",
        "external_key",
        "task",
        "event_count",
        "report_complete",
        "incomplete",
    )
    list_filter = (
        "appliance",
        "report_complete",
        "incomplete",
        "link_source",
        "start_time",
    )
    search_fields = ("lsid", "external_key", "primary_rep", "primary_customer")
    list_select_related = ("appliance", "task")
    raw_id_fields = ("task", "call", "interaction", "configuration_item")
    show_full_result_count = False
    inlines = [
        RepInline,
        CustomerInline,
        CustomAttributeInline,
        RecordingInline,
        TeamInline,
        NoteLedgerInline,
    ]
    readonly_fields = [
        f.name
        for f in SupportSession._meta.fields
        if f.name not in {"task", "call", "interaction", "configuration_item"}
    ] + ["record_links", "events_preview"]

    @admin.display(description="records")
    def record_links(self, obj: SupportSession) -> str:
        links = [
            (
                reverse(
                    f"admin:{r._meta.app_label}_{r._meta.model_name}_change",
                    args=[r.pk],
                ),
                r,
            )
            for r in (
                obj.task and obj.task.specific(),
                obj.call,
                obj.interaction,
                obj.configuration_item,
            )
            if r
        ]
        return format_html_join(", ", '<a href="{}">{}</a>', links) or "-"

    @admin.display(description="events")
    def events_preview(self, obj: SupportSession) -> str:
        events = obj.events.filter(selected=True).order_by("seq")[:PREVIEW_EVENTS]
        url = reverse("admin:support_sessions_sessionevent_changelist")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td style='white-space:pre-wrap'>{}</td></tr>",
            (
                (
                    e.seq,
                    e.timestamp or "",
                    e.event_type,
                    e.performed_by,
                    e.body or e.filename,
                )
                for e in events
            ),
        )
        return format_html(
            "<table class='session-events'><tr><th>#</th><th>Time</th><th>Type</th>"
            "<th>By</th><th>Detail</th></tr>{}</table>"
            "<p><a href='{}?session__id__exact={}'>All {} events</a></p>",
            rows,
            url,
            obj.pk,
            obj.event_count,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SessionEvent)
class SessionEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "session",
        "seq",
        "timestamp",
        "event_type",
        "performed_by",
        "short_body",
        "had_invalid_chars",
    )
    list_filter = ("event_type", "selected", "had_invalid_chars")
    search_fields = ("session__lsid", "body", "filename")
    list_select_related = ("session",)
    show_full_result_count = False

    @admin.display(description="body")
    def short_body(self, obj: SessionEvent) -> str:
        return (obj.body or obj.filename)[:120]


@admin.register(InboxPost)
class InboxPostAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Posts landed by the receiver in outbox mode and not yet read."""

    list_display = ("received_at", "appliance", "peer_address", "body_truncated")
    list_filter = ("appliance",)
    search_fields = ("peer_address",)
    list_select_related = ("appliance",)


@admin.register(RejectedPost)
class RejectedPostAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("received_at", "peer_address", "reason", "path", "body_size")
    list_filter = ("reason",)
    search_fields = ("peer_address",)
    list_select_related = ()


@admin.register(NoteLedger)
class NoteLedgerAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("session", "kind", "source", "target_number", "status", "posted_at")
    list_filter = ("kind", "status")
    search_fields = ("session__lsid", "target_number")
    list_select_related = ("session",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request)
