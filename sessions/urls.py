from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from sessions.api.receiver import SessionEndReceiver

urlpatterns = [
    path(
        "api/x_bmgr_support_ent/outbound_event/session_end",
        csrf_exempt(SessionEndReceiver.as_view()),
        name="outbound_event_session_end",
    ),
]
