"""The Support Sessions related list on task, call, interaction and CI forms (C13)."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse

from itsm.extensions import RelatedList, RelatedRow
from itsm.models import Call, ConfigurationItem, Interaction, Task
from sessions.models import SupportSession

SHOWN = 20
FILTERS = {
    Task: "task__id__exact",
    Call: "call__id__exact",
    Interaction: "interaction__id__exact",
    ConfigurationItem: "configuration_item__id__exact",
}


def support_sessions_list(request: HttpRequest, obj: Model) -> RelatedList | None:
    """Return the record's support sessions, newest first, linked to their forms."""
    lookup = next((f for model, f in FILTERS.items() if isinstance(obj, model)), None)
    if lookup is None:
        return None

    field = lookup.split("__")[0]
    pk = (
        obj.task_ptr_id
        if isinstance(obj, Task) and hasattr(obj, "task_ptr_id")
        else obj.pk
    )
    sessions = SupportSession.objects.filter(**{f"{field}_id": pk}).order_by(
        "-start_time"
    )
    total = sessions.count()
    # Link only to pages the user may open; without the permission the rows
    # still show, as plain text.
    linked = admin.site.get_model_admin(SupportSession).has_view_permission(request)
    rows = [
        RelatedRow(
            url=reverse("admin:support_sessions_supportsession_change", args=[s.pk])
            if linked
            else "",
            cells=[
                s.lsid,
                s.start_time or "",
                s.end_time or "in progress",
                s.primary_rep,
                s.primary_customer,
                s.event_count,
            ],
        )
        for s in sessions[:SHOWN]
    ]
    changelist = reverse("admin:support_sessions_supportsession_changelist")
    return RelatedList(
        title="Support Sessions",
        columns=["LSID", "Start", "End", "Representative", "Customer", "Events"],
        rows=rows,
        total=total,
        more_url=f"{changelist}?{lookup}={pk}" if total > SHOWN and linked else "",
    )
