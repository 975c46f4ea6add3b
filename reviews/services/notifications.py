"""Weekly emails and mid-week nudges; each is sent once per person, week and kind."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from carousel.mail import send_templated_email

from .. import selectors
from ..access import own_rating_due
from ..models import AgentWeek, NotificationSent, NotificationSettings, Review, ReviewWeek

logger = logging.getLogger(__name__)


def _wants(user: User, kind: str) -> bool:
    preferences = NotificationSettings.objects.filter(user=user).first()
    if preferences is None:
        return True
    return preferences.nudges if kind == NotificationSent.Kind.NUDGE else preferences.weekly_email


def _send_once(*, user: User | None, week: ReviewWeek, kind: str, template: str, context: dict[str, Any]) -> bool:
    """Claim the (user, week, kind) row first, so two workers never both send; give it back on failure."""
    if user is None or not user.email or not user.is_active or not _wants(user, kind):
        return False
    try:
        with transaction.atomic():
            claim = NotificationSent.objects.create(user=user, week=week, kind=kind)
    except IntegrityError:
        return False
    try:
        send_templated_email(
            to=user.email,
            template=template,
            context={
                **context,
                "user": user,
                "site_url": settings.SITE_URL,
                "settings_url": _url("reviews:notifications"),
            },
        )
    except Exception:
        claim.delete()
        logger.exception("Could not send %s to %s; it will be tried again next hour", kind, user.email)
        return False
    return True


def _url(name: str, *args: object) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def nudges_send(*, now: datetime | None = None) -> int:
    """Mid-week, each reviewer still behind gets one reminder: '2 of 5 done, 3 days left'."""
    now = now or timezone.now()
    due = ReviewWeek.objects.filter(
        assigned_at__isnull=False,
        starts_at__lte=now - timedelta(hours=settings.NUDGE_AFTER_HOURS),
        ends_at__gt=now,
    )
    sent = 0
    for week in due:
        for row in selectors.week_completion(week):
            if not row.is_behind:
                continue
            days_left = max(math.ceil((week.ends_at - now) / timedelta(days=1)), 1)
            sent += _send_once(
                user=row.agent.user,
                week=week,
                kind=NotificationSent.Kind.NUDGE,
                template="nudge",
                context={"row": row, "week": week, "days_left": days_left, "my_week_url": _url("reviews:my_week")},
            )
    return sent


def weekly_emails_send(*, now: datetime | None = None) -> int:
    """When a week's batches exist: each agent hears their batch is ready with last week's
    feedback, and each lead gets last week's completion."""
    now = now or timezone.now()
    sent = 0
    for week in ReviewWeek.objects.filter(assigned_at__isnull=False, starts_at__lte=now, ends_at__gt=now):
        previous = ReviewWeek.objects.filter(team_id=week.team_id, starts_at__lt=week.starts_at).first()
        for agent_week in AgentWeek.objects.filter(week=week, is_away=False, agent__user__isnull=False).select_related(
            "agent__user"
        ):
            received = Review.objects.filter(
                reviewee=agent_week.agent,
                created_at__gte=week.starts_at - timedelta(days=7),
                created_at__lt=week.starts_at,
            )
            # A review waiting for the agent's own rating is announced, never shown.
            due = own_rating_due(agent_week.agent)
            feedback = received.exclude(due).with_people().with_ratings().order_by("-created_at")
            sent += _send_once(
                user=agent_week.agent.user,
                week=week,
                kind=NotificationSent.Kind.WEEKLY_AGENT,
                template="weekly_agent",
                context={
                    "week": week,
                    "agent_week": agent_week,
                    "feedback": list(feedback),
                    "own_ratings_due": received.filter(due).count(),
                    "my_week_url": _url("reviews:my_week"),
                    "feedback_url": _url("reviews:feedback"),
                },
            )
        if previous is None:
            continue
        rows = selectors.week_completion(previous)
        for lead in week.team.leads.filter(is_active=True):
            sent += _send_once(
                user=lead,
                week=week,
                kind=NotificationSent.Kind.WEEKLY_LEAD,
                template="weekly_lead",
                context={
                    "week": previous,
                    "team": week.team,
                    "rows": rows,
                    "percent": selectors.team_completion_percent(rows),
                    "team_url": _url("reviews:team_week", week.team_id),
                },
            )
    return sent
