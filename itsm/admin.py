"""Admin forms for the ITSM core: the journal as an activity stream, a work-note
field, and the extension points the integration fills."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Model
from django.http import HttpRequest

from itsm import extensions
from itsm.models import (
    Call,
    CatalogRequest,
    ChangeRequest,
    ConfigurationItem,
    Incident,
    Interaction,
    JournalEntry,
    Location,
    NumberedRecord,
    Problem,
    User,
    UserGroup,
)
from itsm.services import add_comment, add_work_note, journal_for


class ObjectToolsMixin:
    """Put the buttons other apps register into a change form's context."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is not None:
            extra_context.update(self.extension_context(request, obj))
        return super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )

    def extension_context(self, request: HttpRequest, obj: Model) -> dict[str, Any]:
        return {"integration_tools": extensions.object_tools_for(request, obj)}


class ExtensibleAdmin(ObjectToolsMixin, admin.ModelAdmin):
    """A change form that shows registered buttons, related lists and the journal."""

    change_form_template = "admin/itsm/change_form.html"

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return [*super().get_inlines(request, obj), *extensions.inlines_for(self.model)]

    def extension_context(self, request: HttpRequest, obj: Model) -> dict[str, Any]:
        return {
            **super().extension_context(request, obj),
            "related_lists": extensions.related_lists_for(request, obj),
            "journal": journal_for(obj),
        }


class RecordForm(forms.ModelForm):
    work_note = forms.CharField(
        label="Work notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Internal note, added to the activity stream below.",
    )
    comment = forms.CharField(
        label="Additional comments",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Visible to the caller.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        state_choices = getattr(self._meta.model, "state_choices", None)
        if state_choices and "state" in self.fields:
            self.fields["state"] = forms.TypedChoiceField(
                choices=state_choices, coerce=int, initial=state_choices[0][0]
            )


class RecordAdmin(ExtensibleAdmin):
    form = RecordForm
    list_display = ["number", "short_description", "state", "assigned_to", "opened_at"]
    list_filter = [
        "state",
    ]
    search_fields = ("number", "short_description", "sys_id")
    list_select_related = [
        "assigned_to",
    ]
    raw_id_fields = ["opened_by", "assigned_to"]
    readonly_fields = ("number", "sys_id", "opened_at", "updated_at")
    show_full_result_count = False

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        author = request.user.get_username() if request.user.is_authenticated else ""
        if form.cleaned_data.get("work_note"):
            add_work_note(obj, form.cleaned_data["work_note"], author)
        if form.cleaned_data.get("comment"):
            add_comment(obj, form.cleaned_data["comment"], author)


class TaskAdmin(RecordAdmin):
    list_display = [
        "number",
        "short_description",
        "state",
        "caller",
        "cmdb_ci",
        "assigned_to",
        "opened_at",
    ]
    list_select_related = ["caller", "cmdb_ci", "assigned_to"]
    raw_id_fields = ["opened_by", "assigned_to", "caller", "cmdb_ci"]
    autocomplete_fields = ("assignment_group", "location")
    fieldsets = [
        (None, {"fields": ("number", "sys_id", "caller", "state", "priority")}),
        (
            "Details",
            {"fields": ("short_description", "description", "cmdb_ci", "location")},
        ),
        ("Assignment", {"fields": ("assignment_group", "assigned_to", "opened_by")}),
        ("Activity", {"fields": ("work_note", "comment")}),
        ("Dates", {"fields": ("opened_at", "updated_at"), "classes": ("collapse",)}),
    ]


@admin.register(Incident)
class IncidentAdmin(TaskAdmin):
    fieldsets = [
        (None, {"fields": ("number", "sys_id", "caller", "state", "category")}),
        ("Priority", {"fields": ("impact", "urgency", "priority")}),
        *TaskAdmin.fieldsets[1:],
    ]


@admin.register(Problem)
class ProblemAdmin(TaskAdmin):
    pass


@admin.register(ChangeRequest)
class ChangeRequestAdmin(TaskAdmin):
    fieldsets = [
        (None, {"fields": ("number", "sys_id", "caller", "state", "type", "priority")}),
        *TaskAdmin.fieldsets[1:],
    ]


@admin.register(CatalogRequest)
class CatalogRequestAdmin(TaskAdmin):
    raw_id_fields = [*TaskAdmin.raw_id_fields, "requested_for"]


@admin.register(Call)
class CallAdmin(RecordAdmin):
    list_display = ["number", "short_description", "state", "caller", "opened_at"]
    list_select_related = [
        "caller",
    ]
    raw_id_fields = ["opened_by", "assigned_to", "caller", "transferred_to"]
    fieldsets = [
        (None, {"fields": ("number", "sys_id", "caller", "state")}),
        ("Details", {"fields": ("short_description", "description", "transferred_to")}),
        ("Assignment", {"fields": ("assignment_group", "assigned_to", "opened_by")}),
        ("Activity", {"fields": ("work_note", "comment")}),
    ]


@admin.register(Interaction)
class InteractionAdmin(RecordAdmin):
    list_display = ["number", "short_description", "state", "channel", "opened_for"]
    list_filter = ["state", "channel"]
    list_select_related = [
        "opened_for",
    ]
    raw_id_fields = ["opened_by", "assigned_to", "opened_for"]
    fieldsets = [
        (None, {"fields": ("number", "sys_id", "opened_for", "state", "channel")}),
        ("Details", {"fields": ("short_description", "description")}),
        ("Assignment", {"fields": ("assignment_group", "assigned_to", "opened_by")}),
        ("Activity", {"fields": ("work_note", "comment")}),
    ]


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(ExtensibleAdmin):
    list_display = [
        "name",
        "sys_class_name",
        "host_name",
        "ip_address",
        "operational_status",
    ]
    list_filter = ["sys_class_name", "operational_status"]
    search_fields = ("name", "host_name", "fqdn", "sys_id", "serial_number")
    list_select_related = [
        "location",
    ]
    raw_id_fields = [
        "assigned_to",
    ]
    readonly_fields = ("sys_id",)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "country"]
    list_filter = [
        "country",
    ]
    search_fields = ("name", "city")
    list_select_related = []


@admin.register(UserGroup)
class UserGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "active"]
    list_filter = [
        "active",
    ]
    search_fields = ("name",)
    list_select_related = [
        "manager",
    ]
    raw_id_fields = [
        "manager",
    ]
    filter_horizontal = ("members",)


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    """Read-only: journal entries are append-only."""

    list_display = [
        "created",
        "name",
        "element",
        "element_id",
        "created_by",
        "short_value",
    ]
    list_filter = ["name", "element"]
    search_fields = ("element_id", "value")
    list_select_related = []
    show_full_result_count = False

    @admin.display(description="value")
    def short_value(self, obj: JournalEntry) -> str:
        return obj.value[:120]

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin, ExtensibleAdmin):
    change_form_template = "admin/itsm/user_change_form.html"
    list_display = ["username", "first_name", "last_name", "email", "is_staff"]
    list_select_related = []
    readonly_fields = ("sys_id",)
    fieldsets = [
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("ServiceNow", {"fields": ("sys_id", "title", "phone", "company", "location")}),
    ]


def record_label(record: NumberedRecord) -> str:
    return f"{record._meta.verbose_name} {record.number}"
