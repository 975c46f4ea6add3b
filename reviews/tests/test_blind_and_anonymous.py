"""Blind and anonymous reviews, per team: reviewers score without seeing who handled the
conversation; agents read "a teammate" instead of who reviewed them; leads see both."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from conversations.models import Message
from reviews import services
from reviews.models import Assignment, Review
from reviews.services import week_assign

from .factories import MONDAY, WEEK_START, answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(team_of_five, monday, django_user_model):
    builder, agents = team_of_five
    settings = services.team_settings_get(team=builder.team)
    settings.blind_reviewee = settings.anonymous_reviewer = True
    settings.second_opinion_percent = 0
    settings.save()
    week_assign(team=builder.team)
    assignment = Assignment.objects.select_related("reviewer", "reviewee", "conversation").first()
    # The test conversations are named after their agent; a helpdesk's subject is the customer's.
    assignment.conversation.subject = "My invoice total is wrong"
    assignment.conversation.save()
    Message.objects.create(
        conversation=assignment.conversation,
        external_id="m1",
        author_kind="agent",
        author_agent=assignment.reviewee,
        created_at=MONDAY,
        body_html="<p>Happy to help.</p>",
        body_text="Happy to help.",
    )
    lead = django_user_model.objects.create_user("lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    return {"assignment": assignment, "lead": lead, "team": builder.team}


def test_a_blind_reviewer_does_not_see_who_handled_the_conversation(client, week):
    assignment = week["assignment"]
    client.force_login(assignment.reviewer.user)

    my_week = client.get(reverse("reviews:my_week")).content.decode()
    page = client.get(reverse("reviews:review", args=[assignment.pk])).content.decode()

    conversation = client.get(reverse("reviews:conversation", args=[assignment.conversation_id])).content.decode()

    name = escape(assignment.reviewee.name)
    assert "<td>A teammate</td>" in my_week and f"<td>{name}</td>" not in my_week
    assert "Handled by <strong>a teammate</strong>" in page
    assert "Happy to help." in page and name not in page
    assert "Handled by <strong>a teammate</strong>" in conversation and name not in conversation
    client.force_login(week["lead"])
    as_lead = client.get(reverse("reviews:conversation", args=[assignment.conversation_id])).content.decode()
    assert f"Handled by <strong>{name}</strong>" in as_lead


def test_without_blind_reviews_the_reviewer_sees_who_handled_it(client, week):
    settings = services.team_settings_get(team=week["team"])
    settings.blind_reviewee = False
    settings.save()
    assignment = week["assignment"]
    client.force_login(assignment.reviewer.user)

    page = client.get(reverse("reviews:review", args=[assignment.pk])).content.decode()

    assert f"Handled by <strong>{escape(assignment.reviewee.name)}</strong>" in page


def test_the_reviewee_reads_a_teammate_and_the_lead_reads_the_reviewers_name(client, week):
    assignment = week["assignment"]
    review = services.review_submit(assignment=assignment, answers=answers(quality_note="Clear and kind."))
    services.review_comment_add(review=review, author=assignment.reviewer.user, body="Happy to talk it through.")
    reviewer = escape(assignment.reviewer.name)

    client.force_login(assignment.reviewee.user)
    feedback = client.get(reverse("reviews:feedback")).content.decode()
    detail = client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()
    client.force_login(week["lead"])
    as_lead = client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()
    client.force_login(assignment.reviewer.user)
    as_author = client.get(reverse("reviews:written")).content.decode()

    assert "Reviewed by <strong>a teammate</strong>" in feedback and reviewer not in feedback
    assert "Reviewed by <strong>a teammate</strong>" in detail and "The reviewer ·" in detail
    assert reviewer not in detail and assignment.reviewer.user.email not in detail
    assert f"Reviewed by <strong>{reviewer}</strong>" in as_lead
    assert f"Reviewed by <strong>{reviewer}</strong>" in as_author


def test_a_review_written_anonymously_stays_anonymous_when_the_team_turns_it_off(client, week):
    assignment = week["assignment"]
    review = services.review_submit(assignment=assignment, answers=answers())
    settings = services.team_settings_get(team=week["team"])
    settings.anonymous_reviewer = False
    settings.save()

    client.force_login(assignment.reviewee.user)
    detail = client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()

    assert Review.objects.get(pk=review.pk).anonymous is True
    assert "Reviewed by <strong>a teammate</strong>" in detail


def test_the_weekly_email_keeps_an_anonymous_reviewer_anonymous(week, mailoutbox):
    assignment = week["assignment"]
    services.review_submit(assignment=assignment, answers=answers(), now=MONDAY)
    next_monday = MONDAY + timedelta(days=7)
    week_assign(team=week["team"], starts_at=WEEK_START + timedelta(days=7), now=next_monday)

    services.weekly_emails_send(now=next_monday)

    to_reviewee = [mail for mail in mailoutbox if assignment.reviewee.user.email in mail.to]
    assert to_reviewee and "reviewed by a teammate" in to_reviewee[0].body
    assert assignment.reviewer.name not in to_reviewee[0].body
