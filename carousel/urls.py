from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from reviews.views import account as account_views

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Outside the reviews namespace, beside sign-in: the invitee has no account yet.
    path("accounts/invitation/<str:token>/", account_views.invitation_accept, name="invitation_accept"),
    path("admin/", admin.site.urls),
    path("", include("conversations.urls")),
    path("", include("reviews.urls")),
]
