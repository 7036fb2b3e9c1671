"""Admin for the scheduled pull: its state per appliance and "Pull Support Sessions".

The page starts a pull in the background (a Celery task queued after commit) and
follows it by polling a small JSON status view; both need change permission on
the pull state.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from appliances.models import Appliance
from itsm.extensions import ObjectTool
from sessions import pull_control
from sessions.models import PullState
from sessions.pull import state_for

PULL_URL = "admin:support_sessions_pullstate_pull"
STATUS_URL = "admin:support_sessions_pullstate_pull_status"
CHANGE_PERMISSION = "support_sessions.change_pullstate"


class PullForm(forms.Form):
    appliance = forms.ModelChoiceField(
        queryset=Appliance.objects.filter(integration_enabled=True),
        empty_label=None,
        help_text="Imports every session of this appliance that ended since its "
        "last pull and is not imported yet.",
    )


def appliance_pull_tools(request: HttpRequest, obj: Model) -> list[ObjectTool]:
    """Offer "Pull Support Sessions" on an appliance's change form."""
    if not isinstance(obj, Appliance) or not request.user.has_perm(CHANGE_PERMISSION):
        return []

    url = f"{reverse(PULL_URL)}?appliance={obj.pk}"
    return [ObjectTool("Pull Support Sessions", url)]


@admin.register(PullState)
class PullStateAdmin(admin.ModelAdmin):
    change_list_template = "admin/support_sessions/pullstate/change_list.html"
    list_display = (
        "appliance",
        "watermark",
        "last_started_at",
        "last_finished_at",
        "last_listed",
        "last_new",
        "last_error",
        "running_until",
    )
    list_select_related = ("appliance",)
    readonly_fields = [f.name for f in PullState._meta.fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"title": "Pull Support Sessions", **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "pull/",
                self.admin_site.admin_view(
                    require_http_methods(["GET", "POST"])(self.pull_view)
                ),
                name="support_sessions_pullstate_pull",
            ),
            path(
                "pull/status/",
                self.admin_site.admin_view(require_GET(self.status_view)),
                name="support_sessions_pullstate_pull_status",
            ),
        ]
        return extra + super().get_urls()

    def pull_view(self, request: HttpRequest) -> HttpResponse:
        """Show the page; on POST, start a pull of the chosen appliance."""
        self._check_permission(request)
        if request.method == "POST":
            return self._start(request)

        form = PullForm(initial={"appliance": self._selected(request)})
        return self._render(request, form)

    def status_view(self, request: HttpRequest) -> HttpResponse:
        """Return the pull state of one appliance as JSON."""
        self._check_permission(request)
        appliance = self._selected(request)
        if appliance is None:
            return JsonResponse(
                {"error": "Name an appliance: ?appliance=<id>."}, status=400
            )

        return JsonResponse(pull_control.pull_status(state_for(appliance)))

    def _start(self, request: HttpRequest) -> HttpResponse:
        form = PullForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)

        appliance = form.cleaned_data["appliance"]
        with transaction.atomic():
            pull_control.request_pull(appliance)
        self.message_user(
            request,
            f"Pull of {appliance} started; progress shows below.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(f"{reverse(PULL_URL)}?appliance={appliance.pk}")

    def _render(
        self, request: HttpRequest, form: PullForm, status: int = 200
    ) -> HttpResponse:
        appliance = self._selected(request)
        state = state_for(appliance) if appliance else None
        context = {
            **self.admin_site.each_context(request),
            "title": "Pull Support Sessions",
            "opts": self.model._meta,
            "form": form,
            "appliance": appliance,
            "status": pull_control.pull_status(state) if state else None,
            "status_url": reverse(STATUS_URL),
        }
        template = "admin/support_sessions/pullstate/pull.html"
        return TemplateResponse(request, template, context, status=status)

    def _check_permission(self, request: HttpRequest) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied("Only administrators may pull support sessions.")

    def _selected(self, request: HttpRequest) -> Appliance | None:
        """Return the appliance the request names, else the one named Default."""
        raw = request.GET.get("appliance", "")
        enabled = Appliance.objects.filter(integration_enabled=True)
        if raw.isdigit():
            return enabled.filter(pk=int(raw)).first()
        return enabled.filter(name="Default").first() or enabled.first()
