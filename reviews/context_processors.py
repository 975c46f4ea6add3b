"""What the menu in templates/base.html offers the signed-in person (rules: reviews.access)."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import access


def navigation(request: HttpRequest) -> dict[str, object]:
    # Lazy: pages without the menu (sign-in, errors) make no query.
    return {"menu": SimpleLazyObject(lambda: access.menu(request.user))}
