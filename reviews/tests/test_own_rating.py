"""Rate your own first (a team setting): the agent scores their own conversation on the same
scorecard before its peer review is shown to them, then sees the gap; leads always see both."""

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import AgentWeek, Review, SelfReview
from reviews.services import week_assign

from .factories import answers, review_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(team_of_five, monday, django_user_model):
    """Ana's conversation reviewed (Quality: Needs improvement) in a team that rates its own first."""
    builder, agents = team_of_five
    settings = services.team_settings_get(team=builder.team)
    settings.second_opinion_percent = 0
    settings.self_review_first = True
    settings.save()
    week = week_assign(team=builder.team)
    ana = agents[0]
    assignment = week.assignments.filter(reviewee=ana).select_related("reviewer").first()
    review = services.review_submit(
        assignment=assignment,
        answers=answers(quality=1, tone=3, quality_note="The refund window was misquoted", share_as_example=True),
    )
    lead = django_user_model.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    return {"review": review, "ana": ana, "reviewer": assignment.reviewer, "lead": lead, "team": builder.team}


def rate(client, reviewed, **levels):
    client.force_login(reviewed["ana"].user)
    url = reverse("reviews:own_rating", args=[reviewed["review"].conversation_id])
    return client.post(url, review_form(**levels), follow=True)


def test_the_review_waits_for_the_agents_own_rating(client, reviewed):
    client.force_login(reviewed["ana"].user)

    feedback = client.get(reverse("reviews:feedback")).content.decode()
    detail = client.get(reverse("reviews:review_detail", args=[reviewed["review"].pk]))
    highlights = client.get(reverse("reviews:highlights")).content.decode()

    assert "Rate your own conversation first" in feedback
    assert reverse("reviews:own_rating", args=[reviewed["review"].conversation_id]) in feedback
    assert "The refund window was misquoted" not in feedback
    # Not even the level counts of the summary give it away.
    assert "Needs improvement 1" not in feedback
    assert detail.status_code == 404
    assert "The refund window was misquoted" not in highlights


def test_the_reviewer_and_the_lead_read_it_meanwhile(client, reviewed):
    for user in (reviewed["reviewer"].user, reviewed["lead"]):
        client.force_login(user)
        page = client.get(reverse("reviews:review_detail", args=[reviewed["review"].pk]))
        assert page.status_code == 200
        assert "The refund window was misquoted" in page.content.decode()


def test_after_rating_it_the_agent_sees_the_review_and_the_gap(client, reviewed):
    page = rate(client, reviewed, quality=2, tone=2).content.decode()

    assert "The refund window was misquoted" in page
    assert "Your own rating beside this review" in page
    assert (
        "<td>Quality</td><td>Good</td><td>Needs improvement</td>\n        <td>1 level lower in the review</td>" in page
    )
    assert "<td>Tone</td><td>Good</td><td>Exceptional</td>\n        <td>1 level higher in the review</td>" in page
    assert "<td>Followed internal processes</td><td>Yes</td><td>Yes</td>\n        <td>The same</td>" in page
    client.force_login(reviewed["lead"])
    leads_view = client.get(reverse("reviews:review_detail", args=[reviewed["review"].pk])).content.decode()
    assert "Ana's own rating beside this review" in leads_view


def test_the_reviewer_does_not_see_the_agents_own_rating(client, reviewed):
    rate(client, reviewed, quality=3)
    client.force_login(reviewed["reviewer"].user)

    page = client.get(reverse("reviews:review_detail", args=[reviewed["review"].pk])).content.decode()

    assert "own rating beside this review" not in page


def test_an_own_rating_without_a_level_says_which_and_keeps_the_notes(client, reviewed):
    client.force_login(reviewed["ana"].user)
    url = reverse("reviews:own_rating", args=[reviewed["review"].conversation_id])

    response = client.post(url, review_form(tone="", quality_note="I quoted the old policy"))

    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose a level for Tone." in body
    assert "I quoted the old policy" in body
    assert not SelfReview.objects.exists()


def test_it_is_made_once_and_changes_neither_the_score_nor_the_quota(client, reviewed):
    quota = list(AgentWeek.objects.values_list("pk", "required", "quota"))
    rate(client, reviewed, quality=3)

    again = rate(client, reviewed, quality=1).content.decode()

    assert "You rated this conversation already" in again
    own = SelfReview.objects.get()
    assert own.ratings.get(criterion__key="quality").level == 3
    # Quality 1, Tone 3, processes Yes on the default scorecard: (0 + 100 + 100) / 3.
    assert Review.objects.get().score == pytest.approx(200 / 3)
    assert list(AgentWeek.objects.values_list("pk", "required", "quota")) == quota


def test_only_the_agent_reviewed_rates_their_own_conversation(client, reviewed):
    url = reverse("reviews:own_rating", args=[reviewed["review"].conversation_id])
    for user in (reviewed["reviewer"].user, reviewed["lead"]):
        client.force_login(user)
        refused = client.get(url)
        assert refused.status_code == 404
        assert "<p>No such conversation.</p>" in refused.content.decode()
        assert client.post(url, review_form()).status_code == 404
    assert not SelfReview.objects.exists()


def test_each_conversation_waiting_is_rated_on_its_own_page(client, reviewed):
    second = (
        reviewed["review"]
        .assignment.week.assignments.filter(reviewee=reviewed["ana"])
        .exclude(pk=reviewed["review"].assignment_id)
        .first()
    )
    services.review_submit(assignment=second, answers=answers(quality_note="Second look"))
    client.force_login(reviewed["ana"].user)

    page = client.get(reverse("reviews:own_rating", args=[second.conversation_id])).content.decode()
    rate = client.post(reverse("reviews:own_rating", args=[second.conversation_id]), review_form(quality=3))

    assert f"<h1>{second.conversation}</h1>" in page
    assert rate.status_code == 302
    assert SelfReview.objects.get().conversation_id == second.conversation_id


def test_without_the_setting_reviews_are_shown_at_once(client, team_of_five, monday):
    builder, agents = team_of_five
    services.team_settings_get(team=builder.team)  # the defaults: no own rating first
    week = week_assign(team=builder.team)
    assignment = week.assignments.filter(reviewee=agents[0]).first()
    review = services.review_submit(assignment=assignment, answers=answers(quality_note="Straight to the point"))
    client.force_login(agents[0].user)

    feedback = client.get(reverse("reviews:feedback")).content.decode()

    assert "Straight to the point" in feedback
    assert "Rate your own conversation first" not in feedback
    assert client.get(reverse("reviews:own_rating", args=[review.conversation_id])).status_code == 404


def test_a_review_written_before_the_setting_was_turned_on_stays_readable(client, team_of_five, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    assignment = week.assignments.filter(reviewee=agents[0]).first()
    review = services.review_submit(assignment=assignment, answers=answers(quality_note="Written before"))
    settings = services.team_settings_get(team=builder.team)
    settings.self_review_first = True
    settings.save()
    client.force_login(agents[0].user)

    assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 200


def test_the_dispute_window_runs_from_when_the_agent_could_read_the_review(client, reviewed, monday):
    from datetime import timedelta

    from reviews.models import Dispute

    monday.shift(timedelta(days=9))  # past the 7 days from when it was written
    rate(client, reviewed, quality=2)

    response = client.post(
        reverse("reviews:dispute_open", args=[reviewed["review"].pk]),
        {"criterion": "quality", "reason": "The refund window was extended that week."},
        follow=True,
    )

    assert "Dispute sent" in response.content.decode()
    assert Dispute.objects.count() == 1
