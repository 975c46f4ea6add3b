"""Signing in: by email, throttled by django-axes per (email, address) pair."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class EmailBackend(ModelBackend):
    """Sign in with an email address (any case) and password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        user = get_user_model().objects.filter(email__iexact=username.strip()).order_by("pk").first()
        if user is None:
            # Spend the same time as a real check, so timing does not reveal which emails exist.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def email_normalised(value: str) -> str:
    """An email as sign-in matches it: NFKC (as Django's sign-in form does), trimmed, lower case.

    So "Ana@X ", "ana@x" and a full-width "ａna@x" count as one account, as they sign in as one.
    """
    return unicodedata.normalize("NFKC", value).strip().lower()


def sign_in_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The account axes counts failures against.

    The typed email comes first: on a successful sign-in axes passes the user's username
    field, which is not always the email they signed in with.
    """
    username = request.POST.get("username") or (credentials or {}).get("username") or ""
    return email_normalised(str(username))


def client_address(request: HttpRequest) -> str:
    """The visitor's address; behind our TLS proxy, the last hop it appended to X-Forwarded-For."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The sign-in page again, with the email kept and what to do next, as HTTP 429."""
    form = AuthenticationForm(request, data={"username": request.POST.get("username", "")})
    minutes = max(settings.LOGIN_LOCKOUT_SECONDS // 60, 1)
    form.errors.clear()
    form.add_error(
        None,
        f"Too many wrong passwords for this account from this device. Wait {minutes} minutes, "
        "reset your password, or ask your team lead to unlock your sign-in.",
    )
    return render(request, "registration/login.html", {"form": form, "next": request.POST.get("next", "")}, status=429)
