"""One's own account: email settings, and joining from a lead's invitation."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from carousel.requests import AuthenticatedRequest

from .. import services
from ..forms import InvitationAcceptForm, NotificationSettingsForm
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


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """An invited teammate's sign-up page: choose a password, and the account is theirs."""
    invitation = services.invitation_find(token)
    if invitation is None or not invitation.is_usable():
        return render(request, "registration/invitation_unusable.html", {"invitation": invitation}, status=410)
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(invitation=invitation, password=form.cleaned_data["password1"])
        except services.AccountError as error:
            messages.error(request, str(error))
            return redirect("login")
        login(request, user, backend="carousel.auth.EmailBackend")
        messages.success(request, f"Welcome to Carousel, {invitation.agent.name}. Your account is ready.")
        return redirect("reviews:home")
    return render(request, "registration/invitation_accept.html", {"invitation": invitation, "form": form})
