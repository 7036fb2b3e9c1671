"""Admin for appliances, issues, event types, usernames and the application log."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from appliances import services
from appliances.crypto import mask
from appliances.models import (
    Appliance,
    ApplianceIssue,
    ApplicationLog,
    EventType,
    RepUsername,
)
from itsm.admin import ObjectToolsMixin


class SecretInput(forms.PasswordInput):
    """A password box that shows only whether a secret is stored, never the secret."""

    def __init__(self, stored: str = "") -> None:
        placeholder = f"stored {mask(stored)} (leave blank to keep)" if stored else ""
        super().__init__(attrs={"placeholder": placeholder, "autocomplete": "off"})


class ApplianceForm(forms.ModelForm):
    client_secret = forms.CharField(label="OAuth client secret", required=False)
    outbound_event_token = forms.CharField(required=False)
    clear_outbound_event_token = forms.BooleanField(
        required=False, help_text="Tick to remove the token."
    )

    class Meta:
        model = Appliance
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what shows

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.pk is not None
        self.fields["client_secret"].widget = SecretInput(
            self.instance.client_secret if stored else ""
        )
        self.fields["outbound_event_token"].widget = SecretInput(
            self.instance.outbound_event_token if stored else ""
        )
        self.fields["outbound_event_token"].help_text = (
            "Shared secret the appliance sends as the outbound_event_token query "
            "parameter of the outbound event URL."
        )

    def save(self, commit: bool = True) -> Appliance:
        appliance: Appliance = super().save(commit=False)
        if self.cleaned_data.get("client_secret"):
            appliance.client_secret = self.cleaned_data["client_secret"]
        if self.cleaned_data.get("clear_outbound_event_token"):
            appliance.outbound_event_token = ""
        elif self.cleaned_data.get("outbound_event_token"):
            appliance.outbound_event_token = self.cleaned_data["outbound_event_token"]
        if commit:
            appliance.save()
            self.save_m2m()
        return appliance


class IssueInline(admin.TabularInline):
    model = ApplianceIssue
    extra = 0
    fields = ("code_name", "description", "issue_id", "active")


@admin.register(Appliance)
class ApplianceAdmin(ObjectToolsMixin, admin.ModelAdmin):
    form = ApplianceForm
    change_form_template = "admin/appliances/appliance/change_form.html"
    list_display = (
        "name",
        "hostname",
        "integration_enabled",
        "api_version",
        "last_checked_at",
    )
    list_filter = ("integration_enabled", "import_external_sessions")
    search_fields = ("name", "hostname", "appliance_guid")
    list_select_related = ()
    inlines = [IssueInline]
    filter_horizontal = ("events_to_import",)
    readonly_fields = (
        "software_version",
        "api_version",
        "permissions_display",
        "last_checked_at",
        "last_check_result",
    )

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fieldsets: list[Any] = [
            (
                None,
                {
                    "fields": (
                        "name",
                        "hostname",
                        "appliance_guid",
                        "integration_enabled",
                    )
                },
            ),
            ("API account", {"fields": ("client_id", "client_secret")}),
            (
                "Outbound events",
                {
                    "fields": (
                        "outbound_event_token",
                        "clear_outbound_event_token",
                        "accepted_ip_addresses",
                        "import_external_sessions",
                    )
                },
            ),
            (
                "Sessions",
                {
                    "fields": (
                        "auto_associate_with_user",
                        "use_rep_console_for_session_keys",
                    )
                },
            ),
            (
                "Work-note logging",
                {
                    "fields": (
                        "log_session_notes",
                        "log_session_end",
                        "log_generate_session_key",
                        "log_customer_initiated_sessions",
                    )
                },
            ),
            (
                "Employee self service",
                {"fields": ("self_service_enabled", "session_start_type")},
            ),
            (
                "Connection",
                {
                    "fields": (
                        "software_version",
                        "api_version",
                        "permissions_display",
                        "last_checked_at",
                        "last_check_result",
                    )
                },
            ),
        ]
        if obj is not None:
            # Events to import can be chosen only once the record exists.
            fieldsets.append(("Miscellaneous", {"fields": ("events_to_import",)}))
        return fieldsets

    @admin.display(description="API permissions")
    def permissions_display(self, obj: Appliance) -> str:
        return (
            ", ".join(f"{k}={v}" for k, v in sorted(obj.api_permissions.items())) or "-"
        )

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<int:pk>/test-connection/",
                self.admin_site.admin_view(require_POST(self.test_connection_view)),
                name="appliances_appliance_test_connection",
            ),
            path(
                "update-event-types/",
                self.admin_site.admin_view(require_POST(self.update_event_types_view)),
                name="appliances_appliance_update_event_types",
            ),
        ]
        return extra + super().get_urls()

    def test_connection_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        appliance = get_object_or_404(Appliance, pk=pk)
        if not self.has_change_permission(request, appliance):
            return HttpResponse(
                "Only administrators may test the connection.", status=403
            )

        report = services.test_connection(appliance)
        level = messages.SUCCESS if report.ok else messages.ERROR
        self.message_user(request, report.message, level)
        return HttpResponseRedirect(
            reverse("admin:appliances_appliance_change", args=[pk])
        )

    def update_event_types_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            return HttpResponse(
                "Only administrators may update event types.", status=403
            )

        inserted = services.update_event_types()
        self.message_user(request, f"{inserted} inserted", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:appliances_eventtype_changelist"))


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    change_list_template = "admin/appliances/eventtype/change_list.html"
    list_display = ("name", "description", "created")
    list_filter = ("created",)
    search_fields = ("name",)
    list_select_related = ()


@admin.register(ApplianceIssue)
class ApplianceIssueAdmin(admin.ModelAdmin):
    list_display = ("code_name", "description", "appliance", "active")
    list_filter = ("appliance", "active")
    search_fields = ("code_name", "description")
    list_select_related = ("appliance",)


class RepUsernameInline(admin.StackedInline):
    model = RepUsername
    can_delete = False
    extra = 1
    max_num = 1
    verbose_name_plural = "BeyondTrust"
    help_texts = {"username": "Leave empty to use the user name (shared directory)."}


@admin.register(ApplicationLog)
class ApplicationLogAdmin(admin.ModelAdmin):
    list_display = (
        "created",
        "level",
        "step",
        "appliance",
        "lsid",
        "record",
        "message",
    )
    list_filter = ("level", "step", "appliance", "created")
    search_fields = ("lsid", "record", "message")
    list_select_related = ("appliance",)
    date_hierarchy = "created"
    show_full_result_count = False
    readonly_fields = [field.name for field in ApplicationLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApplicationLog]:
        return super().get_queryset(request)
