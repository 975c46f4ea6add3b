"""A lead signs in and sees the team's weeks and a trend chart, in headless Chromium."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from reviews import services
from reviews.models import Assignment
from reviews.services import week_assign
from reviews.tests.factories import WEEK_START, answers

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lead(team_of_five, monday_ticking):
    builder, agents = team_of_five
    for agent in agents:
        builder.conversations(agent, 5, closed_days_ago=9)
    last_week = week_assign(team=builder.team, starts_at=WEEK_START - timedelta(days=7))
    for index, assignment in enumerate(Assignment.objects.filter(week=last_week)):
        services.review_submit(
            assignment=assignment,
            answers=answers(quality=1 + index % 3, followed=index % 4 != 0),
            now=last_week.starts_at + timedelta(days=2),
        )
    week_assign(team=builder.team)
    user = get_user_model().objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(user)
    return user


def test_a_lead_sees_the_team_week_and_a_trend_chart(page, lead, screenshot):
    sign_in(page, lead.email)

    assert "Reviews done per week" in page.content()  # leads land on their team's weeks
    matrix = page.locator("table.matrix")
    assert "2026-W47" in matrix.inner_text() and "2026-W48" in matrix.inner_text()
    assert matrix.locator("tfoot").inner_text().split()[1:] == ["100%", "0%"]
    screenshot(page, "lead-team-week")

    page.get_by_role("link", name="Trends").click()
    chart = page.get_by_role("img", name="Quality per week")
    assert chart.is_visible()
    assert chart.locator("rect").count() >= 3
    screenshot(page, "lead-trends")

    page.get_by_role("link", name="Weeks").click()
    page.locator("table.matrix tbody a").first.click()
    assert "Coaching information for leads" in page.content()
    screenshot(page, "lead-agent-coaching")
