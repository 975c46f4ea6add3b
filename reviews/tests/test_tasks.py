"""The hourly beat task makes each team's batches when its week begins, through a real worker."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from conftest import wait_for
from conversations.models import Conversation
from reviews.models import Assignment, ReviewWeek
from reviews.services import team_settings_get
from reviews.tasks import assign_due_weeks


def test_beat_looks_for_due_weeks_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["assign-due-weeks"]
    assert (entry["task"], entry["schedule"]) == (assign_due_weeks.name, 3600)


@pytest.mark.celery_worker
def test_a_real_worker_on_redis_makes_the_weeks_batches(celery_worker_process, build):
    builder = build()
    agents = [builder.agent(name) for name in ("Ana", "Ben", "Cleo")]
    for agent in agents:
        builder.conversations(agent, 4)
    # The worker runs at the real date: put the conversations in the days before this real week.
    week_start = team_settings_get(team=builder.team).week_start_at(datetime.now(tz=UTC))
    Conversation.objects.update(closed_at=week_start - timedelta(days=2))
    queue = celery_worker_process()

    assign_due_weeks.apply_async(queue=queue)

    assert wait_for(lambda: ReviewWeek.objects.filter(assigned_at__isnull=False).exists())
    week = ReviewWeek.objects.get()
    # Three agents need 15 but the team has 12 conversations: all go out, the rest is shortfall.
    assert Assignment.objects.filter(week=week).count() == 12
    assert week.lookback_days_used == 28
