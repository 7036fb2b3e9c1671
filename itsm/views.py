"""Record links the appliance's custom links use, and the health check."""

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from itsm.models import NumberedRecord
from itsm.services import find_record_by_sys_id

URI_TABLES = {
    "task",
    "incident",
    "problem",
    "change_request",
    "sc_request",
    "new_call",
    "interaction",
}


def healthz(request: HttpRequest) -> HttpResponse:
    """Answer 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def admin_url_for(record: NumberedRecord) -> str:
    meta = record._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])


def _redirect_to_record(table: str, sys_id: str) -> HttpResponse:
    if table not in URI_TABLES:
        raise Http404(f"Unknown table {table!r}.")

    record = find_record_by_sys_id(sys_id)
    if record is None:
        raise Http404(f"No {table} record has sys_id {sys_id!r}.")
    return HttpResponseRedirect(admin_url_for(record))


def nav_to(request: HttpRequest) -> HttpResponse:
    """Open `/nav_to.do?uri=<table>.do?sys_id=<sys_id>` as the record's admin page."""
    uri = request.GET.get("uri", "")
    page, _, query = uri.partition("?")
    table = page.removesuffix(".do")
    sys_id = query.partition("sys_id=")[2].split("&")[0]
    return _redirect_to_record(table, sys_id)


def workspace_record(request: HttpRequest, table: str, sys_id: str) -> HttpResponse:
    """Open `/now/workspace/agent/record/<table>/<sys_id>` as the admin page."""
    return _redirect_to_record(table, sys_id)
