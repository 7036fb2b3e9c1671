"""The product's URL map: the admin, the appliance's webhook, and the record links."""

from django.contrib import admin
from django.urls import include, path

from itsm import views as itsm_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", itsm_views.healthz, name="healthz"),
    path("", include("itsm.urls")),
    path("", include("appliances.urls")),
    path("", include("sessions.urls")),
]
