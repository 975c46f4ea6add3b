"""Focus items ("one thing to try"): a review sets one for its reviewee; the agent's next review
by someone else, of a conversation closed after it, says whether it happened; the chain shows
on the agent's Feedback and on their page for leads."""

from datetime import timedelta

import pytest
from django.urls import reverse

from reviews import selectors
from reviews.models import Assignment, FocusItem, TeamSettings
from reviews.services import FocusError, focus_record, review_submit, week_assign
from reviews.tests.factories import answers, review_form

pytestmark = pytest.mark.django_db

TRY = "Say when the refund will arrive, with the date."


@pytest.fixture
def two_weeks(team_of_five, monday, django_user_model):
    """Week 48's batch, a review of Ben in it that sets a focus, and week 49's batch with Ben's
    conversations closed during week 48."""
    builder, agents = team_of_five
    TeamSettings.objects.create(team=builder.team, second_opinion_percent=0)
    ben = agents[1]
    week = week_assign(team=builder.team)
    first = Assignment.objects.filter(week=week, reviewee=ben).select_related("reviewer").first()
    lead = django_user_model.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    return {"builder": builder, "agents": agents, "ben": ben, "week": week, "first": first, "lead": lead}


def set_focus(client, assignment, text=TRY):
    client.force_login(assignment.reviewer.user)
    return client.post(reverse("reviews:review", args=[assignment.pk]), review_form(focus=text))


def next_week(two_weeks, monday):
    """Ben's conversations closed during week 48 reach week 49's batch."""
    builder, ben = two_weeks["builder"], two_weeks["ben"]
    builder.conversations(ben, 6, closed_days_ago=-3)
    monday.shift(timedelta(days=7))
    return week_assign(team=builder.team)


def test_a_review_sets_a_focus_and_the_next_different_reviewer_says_it_happened(client, two_weeks, monday):
    set_focus(client, two_weeks["first"])
    focus = FocusItem.objects.get()
    assert (focus.agent, focus.text, focus.is_open) == (two_weeks["ben"], TRY, True)

    week = next_week(two_weeks, monday)
    later = (
        Assignment.objects.filter(week=week, reviewee=two_weeks["ben"], conversation__closed_at__gt=focus.created_at)
        .exclude(reviewer=two_weeks["first"].reviewer)
        .first()
    )
    client.force_login(later.reviewer.user)
    page = client.get(reverse("reviews:review", args=[later.pk])).content.decode()
    client.post(reverse("reviews:review", args=[later.pk]), review_form(focus_outcome="partly"))

    assert "Did it happen in this conversation?" in page
    assert f"“{TRY}”" in page
    focus.refresh_from_db()
    assert (focus.outcome, focus.follow_up.assignment) == ("partly", later)
    assert not focus.is_open


def test_the_reviewer_who_set_it_is_not_asked_and_nor_is_one_of_an_older_conversation(client, two_weeks, monday):
    set_focus(client, two_weeks["first"])
    # The same week's other conversations of Ben closed before the focus was set.
    same_week = Assignment.objects.filter(week=two_weeks["week"], reviewee=two_weeks["ben"]).exclude(
        pk=two_weeks["first"].pk
    )
    week = next_week(two_weeks, monday)
    by_setter = Assignment.objects.create(
        week=week,
        reviewer=two_weeks["first"].reviewer,
        reviewee=two_weeks["ben"],
        conversation=two_weeks["builder"].conversations(two_weeks["ben"], 1, closed_days_ago=-4)[0],
        kind="pulled",
    )

    assert same_week.exists()
    assert all(selectors.focus_to_follow(assignment) is None for assignment in same_week)
    assert selectors.focus_to_follow(by_setter) is None


def test_a_newer_focus_replaces_the_open_one(two_weeks):
    first = two_weeks["first"]
    review = review_submit(assignment=first, answers=answers())
    focus_record(review=review, text="Greet by name.")
    other = Assignment.objects.filter(week=two_weeks["week"], reviewee=two_weeks["ben"]).exclude(pk=first.pk).first()
    focus_record(review=review_submit(assignment=other, answers=answers()), text=TRY)

    older, newer = FocusItem.objects.order_by("created_at", "pk")
    assert older.replaced_at is not None and not older.is_open
    assert newer.is_open


def test_the_focus_can_be_changed_or_taken_back_until_it_is_followed_up(client, two_weeks, monday):
    set_focus(client, two_weeks["first"])
    set_focus(client, two_weeks["first"], text="Offer the duplicate guard.")
    assert FocusItem.objects.get().text == "Offer the duplicate guard."
    set_focus(client, two_weeks["first"], text="")
    assert not FocusItem.objects.exists()

    set_focus(client, two_weeks["first"])
    focus = FocusItem.objects.get()
    week = next_week(two_weeks, monday)
    later = next(
        a for a in Assignment.objects.filter(week=week, reviewee=two_weeks["ben"]) if selectors.focus_to_follow(a)
    )
    focus_record(review=review_submit(assignment=later, answers=answers()), text="", follows=focus, outcome="happened")

    stays = "^Its next reviewer has already said whether this focus happened: it stays as it was.$"
    with pytest.raises(FocusError, match=stays):
        focus_record(review=focus.review, text="")
    with pytest.raises(FocusError, match=stays):
        focus_record(review=focus.review, text="Something else entirely.")
    assert FocusItem.objects.get(pk=focus.pk).text == TRY


def test_a_follow_up_can_be_changed_or_withdrawn_by_its_reviewer(two_weeks, monday):
    review = review_submit(assignment=two_weeks["first"], answers=answers())
    focus_record(review=review, text=TRY)
    focus = FocusItem.objects.get()
    week = next_week(two_weeks, monday)
    later = next(
        a for a in Assignment.objects.filter(week=week, reviewee=two_weeks["ben"]) if selectors.focus_to_follow(a)
    )
    follow = review_submit(assignment=later, answers=answers())

    focus_record(review=follow, text="", follows=focus, outcome="not_yet")
    focus_record(review=follow, text="", follows=focus, outcome="happened")
    assert FocusItem.objects.get().outcome == "happened"
    assert selectors.focus_to_follow(later) == focus  # still shown to them, with their answer

    focus_record(review=follow, text="", follows=focus, outcome="")
    focus.refresh_from_db()
    assert (focus.outcome, focus.follow_up, focus.is_open) == ("", None, True)

    # Followed up again and a newer focus set: withdrawing leaves the newer one the only open one.
    focus_record(review=follow, text="Greet by name.", follows=focus, outcome="partly")
    focus_record(review=follow, text="Greet by name.", follows=focus, outcome="")
    focus.refresh_from_db()
    assert (focus.outcome, focus.is_open) == ("", False)
    assert [item.text for item in FocusItem.objects.all() if item.is_open] == ["Greet by name."]


def test_the_chain_shows_on_feedback_and_on_the_agents_page(client, two_weeks, monday):
    set_focus(client, two_weeks["first"])
    focus = FocusItem.objects.get()
    week = next_week(two_weeks, monday)
    later = next(
        a for a in Assignment.objects.filter(week=week, reviewee=two_weeks["ben"]) if selectors.focus_to_follow(a)
    )
    focus_record(
        review=review_submit(assignment=later, answers=answers()),
        text="Greet by name.",
        follows=focus,
        outcome="happened",
    )

    client.force_login(two_weeks["ben"].user)
    feedback = client.get(reverse("reviews:feedback")).content.decode()
    client.force_login(two_weeks["lead"])
    agent_page = client.get(
        reverse("reviews:agent_detail", args=[two_weeks["builder"].team.pk, two_weeks["ben"].pk])
    ).content.decode()

    assert "Now: <strong>“Greet by name.”</strong>" in feedback
    assert "Yes, it happened" in feedback
    assert two_weeks["first"].reviewer.name not in feedback.split("Your focus")[1].split("</section>")[0]
    assert "Focus over the weeks" in agent_page
    assert f"“{TRY}”" in agent_page and "“Greet by name.”" in agent_page
    assert f", {later.reviewer.name})" in agent_page  # who followed it up, for leads


def test_an_outcome_that_is_not_on_the_list_is_refused(two_weeks):
    review = review_submit(assignment=two_weeks["first"], answers=answers())
    focus_record(review=review, text=TRY)

    with pytest.raises(FocusError, match="^Choose whether the earlier focus happened from the list.$"):
        focus_record(review=review, text=TRY, follows=FocusItem.objects.get(), outcome="maybe")


def test_a_focus_too_long_is_refused_in_words_and_the_form_keeps_it(client, two_weeks):
    response = set_focus(client, two_weeks["first"], text="x" * 301)

    assert response.status_code == 400
    assert "Ensure this value has at most 300 characters (it has 301)." in response.content.decode()
    assert not FocusItem.objects.exists()
    with pytest.raises(FocusError, match="^Keep the thing to try under 300 characters; it has 301.$"):
        focus_record(review=review_submit(assignment=two_weeks["first"], answers=answers()), text="y" * 301)


def test_a_follow_up_in_a_review_the_agent_must_rate_first_is_not_told_yet(client, two_weeks, monday):
    review = review_submit(assignment=two_weeks["first"], answers=answers())
    focus_record(review=review, text=TRY)
    focus = FocusItem.objects.get()
    week = next_week(two_weeks, monday)
    later = next(
        a for a in Assignment.objects.filter(week=week, reviewee=two_weeks["ben"]) if selectors.focus_to_follow(a)
    )
    follow = review_submit(assignment=later, answers=answers())
    focus_record(review=follow, text="", follows=focus, outcome="happened")
    from reviews.models import Review

    Review.objects.filter(pk=follow.pk).update(self_review_first=True)
    client.force_login(two_weeks["ben"].user)

    feedback = client.get(reverse("reviews:feedback")).content.decode()

    assert f"Now: <strong>“{TRY}”</strong>" in feedback
    assert "Yes, it happened" not in feedback


def test_a_teammate_reading_a_highlight_does_not_see_its_focus(client, two_weeks):
    review = review_submit(assignment=two_weeks["first"], answers=answers(quality_note="Model.", share_as_example=True))
    focus_record(review=review, text=TRY)
    teammate = next(a for a in two_weeks["agents"] if a.pk not in (review.reviewer_id, review.reviewee_id))
    url = reverse("reviews:review_detail", args=[review.pk])

    client.force_login(teammate.user)
    highlight = client.get(url)
    client.force_login(two_weeks["ben"].user)
    own = client.get(url).content.decode()

    assert highlight.status_code == 200
    assert TRY not in highlight.content.decode()
    assert f"One thing to try: <strong>“{TRY}”</strong>" in own
