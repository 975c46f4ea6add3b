"""Disputes: the reviewee challenges a review within the team's window; a lead, or the
teammate a lead names, upholds or changes it with a reason; both sides hear; the quality
score follows a change and the quota never does."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from reviews import services
from reviews.models import AgentWeek, Assignment, AuditEvent, Dispute, Review
from reviews.services import week_assign

from .factories import MONDAY, answers, levels

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(team_of_five, monday, django_user_model):
    builder, agents = team_of_five
    settings = services.team_settings_get(team=builder.team)
    settings.second_opinion_percent = 0
    settings.save()
    week = week_assign(team=builder.team)
    assignment = Assignment.objects.filter(week=week).select_related("reviewer", "reviewee").first()
    review = services.review_submit(
        assignment=assignment, answers=answers(quality=1, quality_note="Missed the refund window."), now=MONDAY
    )
    lead = django_user_model.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    third = next(a for a in agents if a.pk not in (assignment.reviewer_id, assignment.reviewee_id))
    return {"review": review, "assignment": assignment, "lead": lead, "third": third, "team": builder.team}


def open_dispute(client, reviewed, **fields):
    client.force_login(reviewed["assignment"].reviewee.user)
    data = {"criterion": "quality", "reason": "The refund window was extended for this customer.", **fields}
    return client.post(reverse("reviews:dispute_open", args=[reviewed["review"].pk]), data, follow=True)


def test_the_reviewee_disputes_one_criterion_and_the_reviewer_and_leads_are_told(
    client, reviewed, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = open_dispute(client, reviewed).content.decode()

    dispute = Dispute.objects.get()
    assert (dispute.criterion_key, dispute.status) == ("quality", "open")
    assert "Dispute sent" in page and "The refund window was extended" in page
    told = {address for mail in mailoutbox for address in mail.to}
    assert told == {reviewed["assignment"].reviewer.user.email, reviewed["lead"].email}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DISPUTE_OPENED, review=reviewed["review"]).exists()


def test_a_dispute_needs_a_reason_and_comes_within_the_teams_window(client, reviewed, monday):
    without = open_dispute(client, reviewed, reason="  ").content.decode()
    assert "Say in a few words why" in without and not Dispute.objects.exists()

    monday.move_to(MONDAY + timedelta(days=8))
    late = open_dispute(client, reviewed).content.decode()

    assert escape("Reviews can be disputed for 7 days; this one's window has closed.") in late
    assert not Dispute.objects.exists()


def test_one_open_dispute_at_a_time(client, reviewed):
    open_dispute(client, reviewed)

    again = open_dispute(client, reviewed, criterion="").content.decode()

    assert "This review is already disputed" in again
    assert Dispute.objects.count() == 1


def test_the_two_sides_and_the_lead_see_a_dispute_and_nobody_else(client, reviewed):
    open_dispute(client, reviewed)
    url = reverse("reviews:dispute", args=[Dispute.objects.get().pk])

    for user in (reviewed["assignment"].reviewer.user, reviewed["assignment"].reviewee.user, reviewed["lead"]):
        client.force_login(user)
        assert client.get(url).status_code == 200
    client.force_login(reviewed["third"].user)
    assert client.get(url).status_code == 404


def test_only_the_reviewee_may_dispute(client, reviewed):
    url = reverse("reviews:dispute_open", args=[reviewed["review"].pk])
    for user in (reviewed["assignment"].reviewer.user, reviewed["lead"]):
        client.force_login(user)
        assert client.post(url, {"criterion": "", "reason": "No."}).status_code == 403
    client.force_login(reviewed["third"].user)
    assert client.post(url, {"criterion": "", "reason": "No."}).status_code == 404
    assert not Dispute.objects.exists()


def test_the_lead_changes_the_rating_the_score_follows_the_quota_does_not(
    client, reviewed, mailoutbox, django_capture_on_commit_callbacks
):
    open_dispute(client, reviewed)
    dispute = Dispute.objects.get()
    review = reviewed["review"]
    score_before = review.score
    done_before = list(AgentWeek.objects.values_list("agent_id", "required"))
    mailoutbox.clear()
    client.force_login(reviewed["lead"])

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("reviews:dispute", args=[dispute.pk]),
            {
                "outcome": "changed",
                "level_quality": "2",
                "level_tone": "2",
                "level_process": "2",
                "reason": "The policy changed that week.",
            },
            follow=True,
        ).content.decode()

    review.refresh_from_db()
    dispute.refresh_from_db()
    assert levels(review) == (2, 2, 2)
    assert review.score > score_before
    assert review.ratings.get(criterion__key="quality").note == "Missed the refund window."  # the note stays
    assert (dispute.status, dispute.ratings_before["quality"]) == ("changed", 1)
    assert "Ratings before the change: Quality Needs improvement" in page
    assert Assignment.objects.get(pk=reviewed["assignment"].pk).status == "completed"
    assert list(AgentWeek.objects.values_list("agent_id", "required")) == done_before
    told = {address for mail in mailoutbox for address in mail.to}
    assert told == {reviewed["assignment"].reviewer.user.email, reviewed["assignment"].reviewee.user.email}
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISPUTE_RESOLVED)
    assert event.changes["ratings"]["quality"] == ["Needs improvement", "Good"]
    assert event.changes["outcome"] == "Changed"


def test_upholding_keeps_the_review_and_says_why(client, reviewed):
    open_dispute(client, reviewed)
    dispute = Dispute.objects.get()
    client.force_login(reviewed["lead"])

    missing = client.post(reverse("reviews:dispute", args=[dispute.pk]), {"outcome": "upheld", "reason": ""})
    client.post(
        reverse("reviews:dispute", args=[dispute.pk]), {"outcome": "upheld", "reason": "The window had passed."}
    )

    assert missing.status_code == 400 and "Give the reason for the outcome" in missing.content.decode()
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution) == ("upheld", "The window had passed.")
    assert levels(Review.objects.get(pk=reviewed["review"].pk)) == (1, 2, 2)


def test_a_named_teammate_resolves_and_the_two_sides_never_do(
    client, reviewed, mailoutbox, django_capture_on_commit_callbacks
):
    open_dispute(client, reviewed)
    dispute = Dispute.objects.get()
    url = reverse("reviews:dispute", args=[dispute.pk])
    resolve = {"outcome": "upheld", "reason": "Fair review."}
    client.force_login(reviewed["third"].user)
    assert client.get(url).status_code == 404  # not named yet: not theirs to see

    client.force_login(reviewed["lead"])
    refused = client.post(
        reverse("reviews:dispute_assign", args=[dispute.pk]), {"agent": reviewed["assignment"].reviewer_id}, follow=True
    )
    assert "The reviewer and the person reviewed cannot resolve their own dispute." in refused.content.decode()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:dispute_assign", args=[dispute.pk]), {"agent": reviewed["third"].pk})
    assert [mail.to for mail in mailoutbox] == [[reviewed["third"].user.email]]
    assert "It is resolved by" in mailoutbox[0].body
    for side in (reviewed["assignment"].reviewer.user, reviewed["assignment"].reviewee.user):
        client.force_login(side)
        assert client.post(url, resolve).status_code == 403
    client.force_login(reviewed["third"].user)
    review = reviewed["review"]
    assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 200
    assert client.get(reverse("reviews:conversation", args=[review.conversation_id])).status_code == 200
    assert client.post(url, resolve).status_code == 302
    # Once it is resolved, the review and the conversation are not theirs to read any more.
    assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 404

    assert Dispute.objects.get().resolved_by == reviewed["third"].user


def test_the_lead_sees_open_disputes_with_their_age_and_the_outcomes(client, reviewed, monday):
    open_dispute(client, reviewed)
    monday.move_to(MONDAY + timedelta(days=3))
    client.force_login(reviewed["lead"])

    page = client.get(reverse("reviews:team_disputes", args=[reviewed["team"].pk])).content.decode()
    client.post(reverse("reviews:dispute", args=[Dispute.objects.get().pk]), {"outcome": "upheld", "reason": "Fair."})
    after = client.get(reverse("reviews:team_disputes", args=[reviewed["team"].pk])).content.decode()

    assert "<td>Quality</td>" in page and "<td>3 days</td>" in page
    assert "No open disputes." in after
    assert "<tr><td>Quality</td><td>1</td><td>0</td><td>0%</td></tr>" in after
    assert "1 dispute resolved, in 3.0 days (median)" in after
    reviewer = reviewed["assignment"].reviewer
    assert f"<tr><td>{reviewer.name}</td><td>1</td><td>0</td></tr>" in after


def test_the_disputes_page_is_for_the_teams_leads(client, reviewed):
    client.force_login(reviewed["third"].user)
    assert client.get(reverse("reviews:team_disputes", args=[reviewed["team"].pk])).status_code == 404


def test_a_disputed_review_is_no_longer_edited_by_its_reviewer(client, reviewed):
    open_dispute(client, reviewed)

    with pytest.raises(services.ReviewError, match="This review is disputed"):
        services.review_submit(assignment=reviewed["assignment"], answers=answers(quality=3))

    assert levels(Review.objects.get(pk=reviewed["review"].pk)) == (1, 2, 2)


def test_someone_who_reviews_the_conversation_too_cannot_resolve_its_dispute(client, reviewed):
    open_dispute(client, reviewed)
    dispute = Dispute.objects.get()
    review = reviewed["review"]
    Assignment.objects.create(
        week=review.assignment.week,
        reviewer=reviewed["third"],
        conversation=review.conversation,
        reviewee=review.reviewee,
        role=Assignment.Role.SECOND,
    )
    client.force_login(reviewed["lead"])

    page = client.get(reverse("reviews:dispute", args=[dispute.pk])).content.decode()
    refused = client.post(
        reverse("reviews:dispute_assign", args=[dispute.pk]), {"agent": reviewed["third"].pk}, follow=True
    ).content.decode()

    assert f'<option value="{reviewed["third"].pk}">{reviewed["third"].name}</option>' not in page
    assert "Who resolves it" in page
    assert "reviews this conversation too: choose someone who does not." in refused
    assert Dispute.objects.get().resolver is None


def test_a_dispute_is_saved_even_when_its_email_cannot_be_sent(
    client, reviewed, settings, django_capture_on_commit_callbacks
):
    # A real SMTP connection to a port where nothing listens: the mail server is down.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2

    with django_capture_on_commit_callbacks(execute=True):
        response = open_dispute(client, reviewed)

    assert response.status_code == 200
    assert Dispute.objects.count() == 1


def test_a_reviewer_who_also_leads_the_team_still_cannot_resolve_a_dispute_of_their_review(client, reviewed):
    open_dispute(client, reviewed)
    reviewer = reviewed["assignment"].reviewer.user
    reviewed["team"].leads.add(reviewer)
    client.force_login(reviewer)

    response = client.post(
        reverse("reviews:dispute", args=[Dispute.objects.get().pk]), {"outcome": "upheld", "reason": "Mine is right."}
    )

    assert response.status_code == 403
    assert Dispute.objects.get().is_open
