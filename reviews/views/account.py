"""The signed-in person's own account: email settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from carousel.requests import AuthenticatedRequest

from ..forms import NotificationSettingsForm
from ..models import NotificationSettings


@login_required
def notification_settings(request: AuthenticatedRequest) -> HttpResponse:
    # Unsaved defaults until the first save: opening the page stores nothing.
    preferences = NotificationSettings.objects.filter(user=request.user.pk).first() or NotificationSettings(
        user=request.user
    )
    form = NotificationSettingsForm(request.POST or None, instance=preferences)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Email settings saved.")
        return redirect("reviews:notifications")
    return render(request, "reviews/notification_settings.html", {"form": form})
