"""Weekly emails and mid-week nudges: who gets what, once, and how to turn them off."""

from datetime import timedelta

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Assignment, NotificationSettings, Review
from reviews.services import assignment_complete, week_assign
from reviews.services.notifications import nudges_send, weekly_emails_send
from reviews.tasks import send_digests_and_nudges

from .factories import MONDAY, WEEK_START, answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def weeks(team_of_five, monday):
    builder, agents = team_of_five
    for agent in agents:
        builder.conversations(agent, 5, closed_days_ago=9)
    last = week_assign(team=builder.team, starts_at=WEEK_START - timedelta(days=7))
    first = Assignment.objects.filter(week=last, reviewee=agents[1]).first()
    services.review_submit(
        assignment=first,
        answers=answers(quality=3),
        now=WEEK_START - timedelta(days=2),
    )
    lead = builder.agent("Lena Lead").user
    builder.team.leads.add(lead)
    return builder, agents, last, week_assign(team=builder.team), lead, first


def test_monday_brings_each_agent_their_batch_and_last_weeks_feedback(weeks, mailoutbox):
    _, agents, _, _, _, reviewed = weeks

    weekly_emails_send()

    to_ben = next(mail for mail in mailoutbox if mail.to == [agents[1].user.email])
    assert to_ben.subject == "Your review batch for week 2026-W48 is ready"
    assert "5 teammates' conversations to review" in to_ben.body
    assert f"reviewed by {reviewed.reviewer.name} — Quality: Exceptional — Tone: Good" in to_ben.body
    assert to_ben.alternatives[0][1] == "text/html"
    to_ana = next(mail for mail in mailoutbox if mail.to == [agents[0].user.email])
    assert "No feedback on your conversations last week." in to_ana.body


def test_a_review_waiting_for_the_agents_own_rating_is_announced_not_shown(weeks, mailoutbox):
    _, agents, _, _, _, reviewed = weeks
    Review.objects.filter(pk=reviewed.review.pk).update(self_review_first=True)

    weekly_emails_send()

    to_ben = next(mail for mail in mailoutbox if mail.to == [agents[1].user.email])
    assert "Quality: Exceptional" not in to_ben.body
    assert "Quality: Exceptional" not in to_ben.alternatives[0][0]
    assert "1 review of your conversations waits for your own rating first" in to_ben.body
    assert "No feedback on your conversations last week." not in to_ben.body


def test_the_lead_gets_last_weeks_completion(weeks, mailoutbox):
    _, _, _, _, lead, reviewed = weeks

    weekly_emails_send()

    to_lead = [mail for mail in mailoutbox if mail.to == [lead.email]]
    assert len(to_lead) == 1
    assert to_lead[0].subject == "Support: week 2026-W47 reviews 4% done"
    assert f"{reviewed.reviewer.name}: 1 of 5" in to_lead[0].body
    assert to_lead[0].body.count(": 0 of 5") == 4


def test_emails_are_sent_once_however_often_the_task_runs(weeks, mailoutbox):
    send_digests_and_nudges()
    count = len(mailoutbox)

    send_digests_and_nudges()
    send_digests_and_nudges()

    assert count == 6  # five agents and the lead; nudges are not due on Monday
    assert len(mailoutbox) == count


def test_midweek_only_those_behind_are_nudged_with_days_left(weeks, mailoutbox, monday):
    _, agents, _, this_week, _, _ = weeks
    for assignment in Assignment.objects.filter(week=this_week, reviewer=agents[0]):
        assignment_complete(assignment=assignment)
    for assignment in Assignment.objects.filter(week=this_week, reviewer=agents[1])[:2]:
        assignment_complete(assignment=assignment)

    assert nudges_send() == 0  # Monday: too early
    monday.move_to(MONDAY + timedelta(days=3))  # Thursday 09:00
    sent = nudges_send()

    nudged = {mail.to[0]: mail for mail in mailoutbox}
    assert sent == 4
    assert agents[0].user.email not in nudged
    assert nudged[agents[1].user.email].subject == "2 of 5 reviews done, 4 days left"
    assert nudges_send() == 0


def test_people_who_turned_email_off_get_none(weeks, mailoutbox, monday, client):
    _, agents, _, _, _, _ = weeks
    client.force_login(agents[1].user)
    client.post(reverse("reviews:notifications"), {"nudges": "on"})  # weekly email unticked

    weekly_emails_send()
    monday.move_to(MONDAY + timedelta(days=3))
    nudges_send()

    to_ben = [mail.subject for mail in mailoutbox if mail.to == [agents[1].user.email]]
    assert to_ben == ["0 of 5 reviews done, 4 days left"]
    assert NotificationSettings.objects.get(user=agents[1].user).weekly_email is False


def test_a_failed_send_is_tried_again_next_time(weeks, mailoutbox, settings, monkeypatch):
    from reviews.services import notifications

    def broken(**kwargs):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr(notifications, "send_templated_email", broken)
    assert weekly_emails_send() == 0
    monkeypatch.undo()

    assert weekly_emails_send() == 6


def test_email_settings_page_needs_sign_in(client):
    response = client.get(reverse("reviews:notifications"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
