import logging

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)

# An office behind one address shares this budget, so it is larger than one account's.
ADDRESS_ALLOWANCE = 4


def client_address(request) -> str:
    """The visitor's address; behind our TLS proxy, the last hop it appended to X-Forwarded-For."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


class ThrottledAuthenticationForm(AuthenticationForm):
    """Sign-in that pauses an email, and an address, after repeated wrong passwords."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many sign-in attempts. Wait %(minutes)d minutes, or reset your password.",
    }

    def _keys(self) -> list[tuple[str, int]]:
        email = (self.data.get("username") or "").strip().lower()
        address = client_address(self.request) if self.request else ""
        allowed = settings.LOGIN_ATTEMPTS_ALLOWED
        return [
            (f"login-failures:email:{email}", allowed),
            (f"login-failures:address:{address}", allowed * ADDRESS_ALLOWANCE),
        ]

    def clean(self):
        keys = self._keys()
        try:
            throttled = any(cache.get(key, 0) >= allowed for key, allowed in keys)
        except Exception:
            # The cache (Redis) is down: people can still sign in, unthrottled for now.
            logger.exception("Sign-in throttling skipped: the cache is unreachable")
            throttled, keys = False, []
        if throttled:
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_LOCKOUT_SECONDS // 60},
            )
        try:
            return super().clean()
        except ValidationError:
            self._count_failure(keys)
            raise

    @staticmethod
    def _count_failure(keys: list[tuple[str, int]]) -> None:
        try:
            for key, _ in keys:
                cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
                cache.incr(key)
        except Exception:
            logger.exception("Could not count a failed sign-in: the cache is unreachable")
