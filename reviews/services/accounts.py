"""People's Carousel accounts: what a lead does for teammates (invite them, make them leads,
unpause their sign-in) and what an invited teammate does to join."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import date, datetime, timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from carousel.auth import email_normalised
from carousel.mail import send_templated_email
from conversations.models import Agent, Team

from ..models import INVITATION_DAYS, Invitation

logger = logging.getLogger(__name__)


class AccountError(Exception):
    """A request about an account that cannot be done; the message is shown as it is."""


def sign_in_unlock(*, user: AbstractBaseUser, unlocked_by: AbstractBaseUser) -> int:
    """Forget every failed sign-in of this account, from every address; returns how many were kept."""
    email = email_normalised(getattr(user, "email", "") or "")
    cleared = axes_reset(username=email) if email else 0
    logger.info("Sign-in of user %s unlocked by user %s (%d records cleared)", user.pk, unlocked_by.pk, cleared)
    return cleared


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_send(*, agent: Agent, invited_by: User, now: datetime | None = None) -> Invitation:
    """Email a teammate with no account a sign-up link that works once, for INVITATION_DAYS.
    A new invitation replaces any earlier one still unused: only the newest link works."""
    now = now or timezone.now()
    if agent.user_id is not None:
        raise AccountError(f"{agent.name} already has a Carousel account.")
    if not agent.is_active:
        raise AccountError(f"{agent.name} is deactivated in the helpdesk, so there is nothing to invite them to.")
    if not agent.email:
        raise AccountError(f"The helpdesk has no email for {agent.name}, so there is nowhere to send an invitation.")
    if User.objects.filter(email__iexact=agent.email).exists():
        raise AccountError(
            f"An account with {agent.email} exists already: the next helpdesk sync links it to {agent.name}."
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(agent=agent, accepted_at__isnull=True).delete()
        invitation = Invitation.objects.create(
            agent=agent,
            email=agent.email,
            token_hash=_token_hash(token),
            invited_by=invited_by,
            created_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        transaction.on_commit(
            lambda: send_templated_email(
                to=agent.email,
                template="invitation",
                context={
                    "agent": agent,
                    "team": agent.team,
                    "invited_by": invited_by,
                    "url": settings.SITE_URL + reverse("invitation_accept", args=[token]),
                    "expires_at": invitation.expires_at,
                },
            )
        )
    logger.info("Agent %s invited by user %s", agent.pk, invited_by.pk)
    return invitation


def invitation_find(token: str) -> Invitation | None:
    """The invitation a link's secret belongs to, used or not."""
    return Invitation.objects.filter(token_hash=_token_hash(token)).select_related("agent__team").first()


def invitation_accept(*, invitation: Invitation, password: str, now: datetime | None = None) -> User:
    """Create the teammate's account with the password they chose and link it to them."""
    now = now or timezone.now()
    users = User.objects
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("agent").get(pk=invitation.pk)
        if not invitation.is_usable(now):
            raise AccountError("This invitation has been used or has expired. Ask your lead for a new one.")
        agent = invitation.agent
        if agent.user_id is not None or users.filter(email__iexact=invitation.email).exists():
            raise AccountError(f"An account for {invitation.email} exists already: sign in with it.")
        first, _, last = agent.name.partition(" ")
        user = users.create_user(
            username=email_normalised(invitation.email),
            email=invitation.email,
            password=password,
            first_name=first[:150],
            last_name=last[:150],
        )
        agent.user = user
        agent.save(update_fields=["user"])
        invitation.accepted_at = now
        invitation.save(update_fields=["accepted_at"])
    logger.info("Agent %s accepted an invitation as user %s", agent.pk, user.pk)
    return user


def lead_set(*, team: Team, user: User, is_lead: bool, by: AbstractBaseUser) -> None:
    """Make a teammate a lead of the team, or no longer one. Nobody removes themselves, so a
    team is never left without the lead who was looking after it by a slip of the mouse."""
    if not is_lead and user.pk == by.pk:
        raise AccountError("You cannot remove yourself as a lead. Ask another lead or an admin.")
    if is_lead:
        team.leads.add(user)
    else:
        team.leads.remove(user)
    logger.info("User %s %s lead of team %s by user %s", user.pk, "made" if is_lead else "no longer", team.pk, by.pk)


def start_date_set(*, agent: Agent, started_on: date) -> None:
    """A lead's start date for a teammate: the sync never overwrites it. Weeks made from now
    on ramp by it; a week already made keeps its batches."""
    Agent.objects.filter(pk=agent.pk).update(started_on=started_on)
