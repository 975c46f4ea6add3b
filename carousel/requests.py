"""The request a signed-in page receives, for type checking (django-stubs' recommended way)."""

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedRequest(HttpRequest):
    """Behind `login_required`, `request.user` is a real account, never AnonymousUser."""

    user: User
