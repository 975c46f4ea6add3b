"""People's Carousel accounts: what a lead may do for a teammate who cannot sign in."""

from __future__ import annotations

import logging

from axes.utils import reset as axes_reset
from django.contrib.auth.models import AbstractBaseUser

from carousel.auth import email_normalised

logger = logging.getLogger(__name__)


def sign_in_unlock(*, user: AbstractBaseUser, unlocked_by: AbstractBaseUser) -> int:
    """Forget every failed sign-in of this account, from every address; returns how many were kept."""
    email = email_normalised(getattr(user, "email", "") or "")
    cleared = axes_reset(username=email) if email else 0
    logger.info("Sign-in of user %s unlocked by user %s (%d records cleared)", user.pk, unlocked_by.pk, cleared)
    return cleared
