from django.urls import path

from . import views

app_name = "conversations"
urlpatterns = [
    path("sync/", views.sync_status, name="sync_status"),
    path("sync/runs/<int:run_id>/", views.sync_run_detail, name="sync_run_detail"),
    path("sync/excluded/", views.excluded_conversations, name="excluded"),
]
