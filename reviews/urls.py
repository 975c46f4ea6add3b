from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("", views.home, name="home"),
    path("week/", views.my_week, name="my_week"),
    path("week/pull/", views.pull, name="pull"),
    path("assignments/<int:assignment_id>/skip/", views.skip, name="skip"),
    path("teams/<int:team_id>/week/", views.team_week, name="team_week"),
    path("teams/<int:team_id>/settings/", views.team_settings, name="team_settings"),
]
