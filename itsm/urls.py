from django.urls import path

from itsm import views

urlpatterns = [
    path("nav_to.do", views.nav_to, name="nav_to"),
    path(
        "now/workspace/agent/record/<str:table>/<str:sys_id>",
        views.workspace_record,
        name="workspace_record",
    ),
]
