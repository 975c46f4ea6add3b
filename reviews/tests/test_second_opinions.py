"""Second opinions inside the weekly batch: blind until both are in, then shown to each
reviewer; the reviewee sees both; both count toward the quota; the database refuses a
conversation twice in one role or twice to one person."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import escape

from reviews import services
from reviews.models import AgentWeek, Assignment, Review
from reviews.services import week_assign

from .factories import answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(team_of_five, monday):
    """A conversation of this week with a first review and a second opinion, both to do."""
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    second = Assignment.objects.filter(week=week, role=Assignment.Role.SECOND).select_related("reviewer").first()
    first = Assignment.objects.active().get(conversation=second.conversation, role=Assignment.Role.FIRST)
    return {"week": week, "first": first, "second": second, "reviewee": second.reviewee, "agents": agents}


def review_page(client, assignment):
    client.force_login(assignment.reviewer.user)
    return client.get(reverse("reviews:review", args=[assignment.pk])).content.decode()


def test_a_share_of_the_week_goes_to_a_second_reviewer_who_is_neither_the_first_nor_the_reviewee(pair):
    first, second = pair["first"], pair["second"]

    assert second.reviewer_id not in (first.reviewer_id, second.reviewee_id)
    assert first.reviewee_id == second.reviewee_id
    assert Assignment.objects.filter(week=pair["week"], role=Assignment.Role.SECOND).count() == 2  # 10% of 25


def test_neither_reviewer_sees_the_other_review_until_both_are_in(client, pair):
    first, second = pair["first"], pair["second"]
    services.review_submit(
        assignment=first, answers=answers(quality=1, quality_note="Missed the refund window entirely.")
    )

    waiting = review_page(client, second)
    assert "A teammate reviews this conversation too: yours is the second opinion" in waiting
    assert "Missed the refund window entirely." not in waiting
    client.force_login(second.reviewer.user)
    conversation = client.get(reverse("reviews:conversation", args=[second.conversation_id])).content.decode()
    assert "Missed the refund window entirely." not in conversation

    services.review_submit(assignment=second, answers=answers(quality=3, quality_note="Textbook answer."))

    seconded = review_page(client, second)
    assert "Second opinion" in seconded and "Missed the refund window entirely." in seconded
    assert escape(first.reviewer.name) in seconded
    firsts = review_page(client, first)
    assert "Textbook answer." in firsts and "Both reviews are in" in firsts
    assert "A teammate reviews this conversation too" not in firsts


def test_a_highlight_does_not_reveal_the_first_review_to_the_second_reviewer(client, pair):
    first, second = pair["first"], pair["second"]
    services.review_submit(
        assignment=first, answers=answers(quality=3, quality_note="A model reply.", share_as_example=True)
    )
    client.force_login(second.reviewer.user)

    assert "A model reply." not in client.get(reverse("reviews:highlights")).content.decode()

    services.review_submit(assignment=second, answers=answers())
    assert "A model reply." in client.get(reverse("reviews:highlights")).content.decode()


def test_the_first_reviewer_does_not_see_a_submitted_second_opinion_before_writing_theirs(client, pair):
    first, second = pair["first"], pair["second"]
    services.review_submit(assignment=second, answers=answers(tone=1, tone_note="Curt and cold."))

    page = review_page(client, first)

    assert "Curt and cold." not in page
    assert "A teammate reviews this conversation too." in page
    review = Review.objects.get(assignment=second)
    client.force_login(first.reviewer.user)
    assert client.get(reverse("reviews:review_detail", args=[review.pk])).status_code == 404


def test_the_reviewee_sees_both_reviews_and_which_is_the_second_opinion(client, pair):
    services.review_submit(assignment=pair["first"], answers=answers(quality_note="First look."))
    services.review_submit(assignment=pair["second"], answers=answers(quality_note="Second look."))
    client.force_login(pair["reviewee"].user)

    page = client.get(reverse("reviews:feedback")).content.decode()

    assert "First look." in page and "Second look." in page
    assert page.count('<span class="badge">Second opinion</span>') == 1


def test_a_second_opinion_counts_toward_the_reviewers_quota(client, pair):
    second = pair["second"]
    agent_week = AgentWeek.objects.get(week=pair["week"], agent=second.reviewer)
    assert agent_week.required == 5

    services.review_submit(assignment=second, answers=answers())

    client.force_login(second.reviewer.user)
    page = client.get(reverse("reviews:my_week")).content.decode()
    assert "<strong>1 of 5</strong> reviews done this week" in page
    assert "second opinion" in page


def test_the_database_refuses_a_conversation_twice_in_one_role_or_twice_to_one_reviewer(pair):
    first, second = pair["first"], pair["second"]
    third = next(a for a in pair["agents"] if a.pk not in (first.reviewer_id, second.reviewer_id, first.reviewee_id))

    def another(**fields):
        values = {
            "week": pair["week"],
            "conversation": first.conversation,
            "reviewee": first.reviewee,
            "reviewer": third,
            "role": Assignment.Role.FIRST,
            **fields,
        }
        with transaction.atomic():
            Assignment.objects.create(**values)

    with pytest.raises(IntegrityError):
        another()  # a second first review
    with pytest.raises(IntegrityError):
        another(role=Assignment.Role.SECOND)  # a second second opinion
    Assignment.objects.filter(pk=second.pk).update(status=Assignment.Status.RELEASED)
    with pytest.raises(IntegrityError):
        another(role=Assignment.Role.SECOND, reviewer=first.reviewer)  # the first reviewer again
    with pytest.raises(IntegrityError):
        another(role=Assignment.Role.SECOND, reviewer=first.reviewee)  # their own
    another(role=Assignment.Role.SECOND)  # a released second opinion can go to someone else


def test_the_review_page_with_a_second_opinion_has_a_fixed_number_of_queries(
    client, pair, django_assert_max_num_queries
):
    services.review_submit(assignment=pair["first"], answers=answers())
    services.review_submit(assignment=pair["second"], answers=answers())
    client.force_login(pair["second"].reviewer.user)

    # The page's 23 with a review (its focus and the one to follow up among them), and the other
    # review with its ratings.
    with django_assert_max_num_queries(28):
        page = client.get(reverse("reviews:review", args=[pair["second"].pk])).content.decode()

    assert "Both reviews are in" in page
