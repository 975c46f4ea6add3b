"""The hourly beat task makes each team's batches when its week begins, through a real worker."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from conftest import wait_for
from conversations.models import Conversation
from reviews.models import AgentWeek, Assignment, ReviewWeek
from reviews.services import team_settings_get
from reviews.tasks import assign_due_weeks

from .factories import MONDAY


def test_beat_looks_for_due_weeks_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["assign-due-weeks"]
    assert (entry["task"], entry["schedule"]) == (assign_due_weeks.name, 3600)


def test_the_hourly_task_gives_a_teammate_who_joined_midweek_their_batch(team_of_five, monday):
    builder, _ = team_of_five
    [week_id] = assign_due_weeks()
    monday.move_to(MONDAY + timedelta(days=3))  # Thursday: a little over half the week left
    newcomer = builder.agent("Finn")

    assert assign_due_weeks() == [week_id]

    assert AgentWeek.objects.get(week_id=week_id, agent=newcomer).quota == 3
    assert Assignment.objects.filter(week_id=week_id, reviewer=newcomer).count() == 3


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
