from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError

# An office behind one address shares this budget, so it is larger than one account's.
ADDRESS_ALLOWANCE = 4


class ThrottledAuthenticationForm(AuthenticationForm):
    """Sign-in that pauses an email, and an address, after repeated wrong passwords."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many sign-in attempts. Wait %(minutes)d minutes, or reset your password.",
    }

    def _keys(self) -> list[tuple[str, int]]:
        email = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        allowed = settings.LOGIN_ATTEMPTS_ALLOWED
        return [
            (f"login-failures:email:{email}", allowed),
            (f"login-failures:address:{address}", allowed * ADDRESS_ALLOWANCE),
        ]

    def clean(self):
        keys = self._keys()
        if any(cache.get(key, 0) >= allowed for key, allowed in keys):
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_LOCKOUT_SECONDS // 60},
            )
        try:
            return super().clean()
        except ValidationError:
            for key, _ in keys:
                cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
                cache.incr(key)
            raise
