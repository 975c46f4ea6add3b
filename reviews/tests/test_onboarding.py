"""The onboarding ramp: new hires receive more reviews and give fewer in their first weeks,
tapering to normal; a lead sets a start date the sync then keeps."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.urls import reverse

from conversations.models import Agent
from reviews import services
from reviews.models import AgentWeek, Assignment, TeamSettings
from reviews.services import week_assign

from .factories import WEEK_START

pytestmark = pytest.mark.django_db
FIRST_DAY = WEEK_START.date()


def test_the_weight_is_the_multiplier_in_the_first_week_and_tapers_to_one():
    settings = TeamSettings(ramp_weeks=4, ramp_multiplier=2)

    weights = [settings.ramp_weight(FIRST_DAY - timedelta(weeks=weeks), FIRST_DAY) for weeks in range(6)]

    assert weights == [2.0, 1.75, 1.5, 1.25, 1.0, 1.0]
    assert settings.ramp_weight(None, FIRST_DAY) == 1.0
    assert settings.ramp_weight(FIRST_DAY + timedelta(days=3), FIRST_DAY) == 2.0  # starts later this week
    assert TeamSettings(ramp_weeks=0).ramp_weight(FIRST_DAY, FIRST_DAY) == 1.0


@pytest.fixture
def team_with_a_new_hire(build, monday):
    builder = build()
    agents = [builder.agent(name) for name in ("Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hal")]
    hire = builder.agent("Nia", started_on=FIRST_DAY)
    for agent in [*agents, hire]:
        builder.conversations(agent, 12)
    settings = services.team_settings_get(team=builder.team)
    settings.second_opinion_percent = 0  # the ramp alone
    settings.save()
    return builder, agents, hire


def test_a_new_hire_in_their_first_week_gives_half_and_receives_twice_the_reviews(team_with_a_new_hire):
    builder, agents, hire = team_with_a_new_hire

    week = week_assign(team=builder.team)

    assert AgentWeek.objects.get(week=week, agent=hire).quota == 3  # 5 / 2, rounded up
    assert AgentWeek.objects.get(week=week, agent=agents[0]).quota == 5
    received = Counter(Assignment.objects.filter(week=week).values_list("reviewee_id", flat=True))
    # 43 reviews, the hire weighing two: everyone else gets 4 or 5 and the hire twice that
    # level (9 before the others' fifth, 10 on a tie with them).
    assert received[hire.pk] in (9, 10)
    assert all(received[agent.pk] in (4, 5) for agent in agents)


def test_two_weeks_in_the_ramp_has_tapered(team_with_a_new_hire):
    builder, agents, hire = team_with_a_new_hire
    Agent.objects.filter(pk=hire.pk).update(started_on=FIRST_DAY - timedelta(weeks=2))

    week = week_assign(team=builder.team)

    assert AgentWeek.objects.get(week=week, agent=hire).quota == 4  # 5 / 1.5, rounded up
    received = Counter(Assignment.objects.filter(week=week).values_list("reviewee_id", flat=True))
    assert received[hire.pk] == 7  # 44 reviews: the others' 4 or 5 each, the hire 1.5 times 4 and one more


def test_after_the_ramp_a_new_hire_is_like_everyone_else(team_with_a_new_hire):
    builder, agents, hire = team_with_a_new_hire
    Agent.objects.filter(pk=hire.pk).update(started_on=FIRST_DAY - timedelta(weeks=4))

    week = week_assign(team=builder.team)

    assert AgentWeek.objects.get(week=week, agent=hire).quota == 5
    received = Counter(Assignment.objects.filter(week=week).values_list("reviewee_id", flat=True))
    assert received[hire.pk] == 5


def test_a_new_hire_without_an_account_yet_is_still_reviewed_more(build, monday):
    builder = build()
    agents = [builder.agent(name) for name in ("Ana", "Ben", "Cleo", "Dev")]
    hire = builder.agent("Nia", user=False, started_on=FIRST_DAY)
    for agent in [*agents, hire]:
        builder.conversations(agent, 12)

    week = week_assign(team=builder.team)

    received = Counter(Assignment.objects.filter(week=week).values_list("reviewee_id", flat=True))
    # 20 reviews: the others 3 or 4 each, the hire twice that level.
    assert received[hire.pk] in (7, 8)


def test_a_lead_sets_a_start_date_and_sees_the_ramp_on_the_people_page(client, team_with_a_new_hire, django_user_model):
    builder, agents, hire = team_with_a_new_hire
    lead = django_user_model.objects.create_user("lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    client.force_login(lead)
    url = reverse("reviews:start_date_set", args=[builder.team.pk])

    missing = client.post(url, {"start-agent": agents[0].pk, "start-started_on": ""})
    saved = client.post(url, {"start-agent": agents[0].pk, "start-started_on": "2026-11-16"})

    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    assert f'<option value="{agents[0].pk}" selected>' in missing.content.decode()  # what was chosen stays
    assert saved.status_code == 302
    assert Agent.objects.get(pk=agents[0].pk).started_on == date(2026, 11, 16)
    page = client.get(reverse("reviews:team_people", args=[builder.team.pk])).content.decode()
    assert "16 Nov 2026" in page and "Onboarding: 175% of the usual reviews received this week" in page
    assert "Onboarding: 200% of the usual reviews received this week" in page  # Nia, in her first week


def test_a_lead_cannot_set_the_start_date_of_another_teams_agent(
    client, team_with_a_new_hire, build, django_user_model
):
    builder, agents, hire = team_with_a_new_hire
    other = build("Other").agent("Olga")
    lead = django_user_model.objects.create_user("lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    client.force_login(lead)

    response = client.post(
        reverse("reviews:start_date_set", args=[builder.team.pk]),
        {"start-agent": other.pk, "start-started_on": "2026-11-16"},
    )

    assert response.status_code == 400  # not offered: "Select a valid choice"
    assert Agent.objects.get(pk=other.pk).started_on is None
