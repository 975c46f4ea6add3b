"""One test (or a few) per rule in reviews.access, for the people who are hard to get right:
someone who is both an agent and a lead, a lead of two teams, highlights of another team,
agents moved to another team, and people who were deactivated."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from reviews import access, services
from reviews.models import Assignment, Review, TeamSettings
from reviews.tests.factories import answers


def _review(assignment: Assignment, *, shared: bool = False) -> Review:
    return services.review_submit(assignment=assignment, answers=answers(share_as_example=shared))


def _user(email: str, **extra):
    return get_user_model().objects.create_user(email, email=email, password="pw", **extra)


@pytest.fixture
def two_teams(build, monday):
    """Support and Billing, each with its week under way, a lead each and a review each."""
    teams = {}
    for name in ("Support", "Billing"):
        builder = build(name)
        agents = [builder.agent(f"{name} {n}") for n in range(4)]
        for agent in agents:
            builder.conversations(agent, 6)
        # One review per conversation: second opinions' rules have their own tests.
        TeamSettings.objects.create(team=builder.team, second_opinion_percent=0)
        week = services.week_assign(team=builder.team)
        assignment = Assignment.objects.filter(week=week).select_related("reviewer", "reviewee").first()
        lead = _user(f"lead@{name.lower()}.example")
        builder.team.leads.add(lead)
        teams[name] = {
            "builder": builder,
            "team": builder.team,
            "agents": agents,
            "week": week,
            "assignment": assignment,
            "review": _review(assignment),
            "lead": lead,
        }
    return teams


def _bystander(scene) -> object:
    """An agent of the team who neither wrote nor received the team's review."""
    assignment = scene["assignment"]
    return next(a for a in scene["agents"] if a.pk not in (assignment.reviewer_id, assignment.reviewee_id))


# --- The teams a person leads ---------------------------------------------------------------


def test_a_lead_leads_exactly_their_teams_and_staff_every_team(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    both = _user("both@example.com")
    support["team"].leads.add(both)
    billing["team"].leads.add(both)
    staff = _user("staff@example.com", is_staff=True)

    assert list(access.led_teams(support["lead"])) == [support["team"]]
    assert set(access.led_teams(both)) == {support["team"], billing["team"]}
    assert set(access.led_teams(staff)) == {support["team"], billing["team"]}
    assert not access.led_teams(support["agents"][0].user).exists()
    assert not access.led_teams(AnonymousUser()).exists()


def test_leading_one_team_gives_no_rights_in_another(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]

    assert access.get_led_team(support["lead"], support["team"].pk) == support["team"]
    with pytest.raises(Http404, match=r"^No such team\.$"):
        access.get_led_team(support["lead"], billing["team"].pk)
    assert access.leads_team(support["lead"], support["team"].pk)
    assert not access.leads_team(support["lead"], billing["team"].pk)
    assert not access.leads_team(support["lead"], None)
    assert not access.can_reply(support["lead"], billing["review"])


def test_a_lead_of_two_teams_acts_in_both(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    both = _user("both@example.com")
    support["team"].leads.add(both)
    billing["team"].leads.add(both)

    assert set(access.visible_reviews(both)) == {support["review"], billing["review"]}
    assert access.can_reply(both, support["review"]) and access.can_reply(both, billing["review"])
    assert set(access.highlight_team_ids(both)) == {support["team"].pk, billing["team"].pk}


def test_a_lead_who_also_answers_conversations_keeps_both_roles(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    agent = support["assignment"].reviewer
    billing["team"].leads.add(agent.user)  # answers in Support, leads Billing

    assert access.reviewing_agent(agent.user) == agent
    assert access.get_led_team(agent.user, billing["team"].pk) == billing["team"]
    assert {support["review"], billing["review"]} <= set(access.visible_reviews(agent.user))
    assert billing["assignment"].conversation in access.visible_conversations(agent.user)
    assert access.get_own_assignment(agent.user, support["assignment"].pk) == support["assignment"]
    assert set(access.highlight_team_ids(agent.user)) == {billing["team"].pk, support["team"].pk}


def test_a_lead_opens_their_teammates_pages_only(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    teammate = support["agents"][2]

    assert access.get_team_agent(support["lead"], support["team"], teammate.pk) == teammate
    with pytest.raises(Http404, match=r"^No such teammate\.$"):
        access.get_team_agent(support["lead"], support["team"], billing["agents"][0].pk)
    with pytest.raises(Http404):
        access.get_team_agent(billing["lead"], support["team"], teammate.pk)


def test_own_pages_need_a_linked_teammate_and_reviewing_an_active_one(two_teams):
    agent = two_teams["Support"]["agents"][0]
    lead = two_teams["Support"]["lead"]

    assert access.get_own_agent(agent.user) == access.get_reviewing_agent(agent.user) == agent
    with pytest.raises(Http404, match=r"^You are not linked to a helpdesk teammate\.$"):
        access.get_own_agent(lead)
    agent.is_active = False
    agent.save()
    assert access.get_own_agent(agent.user) == agent
    with pytest.raises(Http404, match=r"^You are not linked to an active helpdesk teammate\.$"):
        access.get_reviewing_agent(agent.user)


def test_the_team_member_a_lead_may_unlock_is_in_their_team(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    member = support["agents"][1].user

    assert access.get_team_member_user(support["lead"], support["team"].pk, member.pk) == member
    with pytest.raises(Http404, match=r"^No such teammate\.$"):
        access.get_team_member_user(support["lead"], support["team"].pk, billing["agents"][0].user_id)
    with pytest.raises(Http404):
        access.get_team_member_user(billing["lead"], support["team"].pk, member.pk)


# --- Conversations and reviews --------------------------------------------------------------


def test_an_agent_sees_their_own_and_assigned_conversations_only(two_teams):
    support = two_teams["Support"]
    assignment = support["assignment"]
    reviewer, reviewee = assignment.reviewer, assignment.reviewee

    assert assignment.conversation in access.visible_conversations(reviewer.user)
    assert assignment.conversation in access.visible_conversations(reviewee.user)
    assert assignment.conversation not in access.visible_conversations(_bystander(support).user)
    # A teammate's other conversations stay theirs.
    others = (
        support["builder"]
        .team.conversations.exclude(assignee=reviewer)
        .exclude(assignments__reviewer=reviewer, assignments__status__in=Assignment.ACTIVE_STATUSES)
    )
    assert not access.visible_conversations(reviewer.user).filter(pk__in=others).exists()


def test_a_review_is_seen_by_its_two_people_and_the_teams_leads(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    review = support["review"]

    assert review in access.visible_reviews(review.reviewer.user)
    assert review in access.visible_reviews(review.reviewee.user)
    assert review in access.visible_reviews(support["lead"])
    assert review not in access.visible_reviews(_bystander(support).user)
    assert review not in access.visible_reviews(billing["lead"])
    with pytest.raises(Http404, match=r"^No such review\.$"):
        access.get_visible_review(billing["lead"], review.pk)


def test_a_highlight_opens_that_conversation_to_its_team_and_nothing_else(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    shared = _review(
        Assignment.objects.filter(week=support["week"]).exclude(pk=support["assignment"].pk).first(), shared=True
    )
    bystander = _bystander(support).user

    visible = access.visible_conversations(bystander)
    assert shared.conversation in visible
    assert support["assignment"].conversation not in visible  # the unshared review's conversation
    assert shared in access.visible_reviews(bystander)
    assert support["review"] not in access.visible_reviews(bystander)
    # Another team's agents and lead see neither the highlight nor its conversation.
    assert shared not in access.visible_reviews(billing["agents"][0].user)
    assert shared.conversation not in access.visible_conversations(billing["agents"][0].user)
    assert shared not in access.visible_reviews(billing["lead"])
    assert access.highlight_team_ids(billing["agents"][0].user) == [billing["team"].pk]


def test_only_the_teams_leads_take_a_highlight_back(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    shared = _review(
        Assignment.objects.filter(week=support["week"]).exclude(pk=support["assignment"].pk).first(), shared=True
    )

    assert access.can_unshare(support["lead"], shared)
    assert not access.can_unshare(billing["lead"], shared)
    assert not access.can_unshare(shared.reviewer.user, shared)
    assert not access.can_unshare(support["lead"], support["review"])  # not a highlight
    assert access.unshareable(support["lead"], [shared, support["review"]]) == {shared.pk}
    assert access.unshareable(billing["lead"], [shared]) == set()


def test_a_highlight_taken_back_is_the_reviewers_and_reviewees_again(two_teams):
    support = two_teams["Support"]
    shared = _review(
        Assignment.objects.filter(week=support["week"]).exclude(pk=support["assignment"].pk).first(), shared=True
    )
    bystander = next(a.user for a in support["agents"] if a.pk not in (shared.reviewer_id, shared.reviewee_id))
    assert shared in access.visible_reviews(bystander)
    services.highlight_unshare(review=shared, user=support["lead"])

    assert shared not in access.visible_reviews(bystander)
    assert shared.conversation not in access.visible_conversations(bystander)
    assert shared in access.visible_reviews(shared.reviewee.user)


def test_only_the_person_reviewed_marks_a_review_seen_and_the_pair_and_leads_reply(two_teams):
    support = two_teams["Support"]
    review = support["review"]

    assert access.is_reviewee(review.reviewee.user, review)
    assert not access.is_reviewee(review.reviewer.user, review)
    assert not access.is_reviewee(support["lead"], review)
    assert access.can_reply(review.reviewer.user, review) and access.can_reply(review.reviewee.user, review)
    assert not access.can_reply(_bystander(support).user, review)


def test_a_lead_keeps_what_happened_in_their_team_after_an_agent_moves_on(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    moved = support["assignment"].reviewee
    moved.team = billing["team"]
    moved.save()

    assert support["review"] in access.visible_reviews(support["lead"])
    assert support["assignment"].conversation in access.visible_conversations(support["lead"])
    assert support["review"] not in access.visible_reviews(billing["lead"])
    assert support["assignment"].conversation not in access.visible_conversations(billing["lead"])


def test_only_the_reviewer_opens_an_assignment_and_not_once_handed_back(two_teams):
    support = two_teams["Support"]
    open_one = Assignment.objects.filter(
        week=support["week"], reviewer=support["assignment"].reviewer, status=Assignment.Status.ASSIGNED
    ).first()

    assert access.get_own_assignment(open_one.reviewer.user, open_one.pk) == open_one
    for someone in (open_one.reviewee.user, support["lead"], _user("staff@example.com", is_staff=True)):
        with pytest.raises(Http404):
            access.get_own_assignment(someone, open_one.pk)
    services.assignment_skip(assignment=open_one, reason="automated")
    with pytest.raises(Http404, match=r"^No such assignment\.$"):
        access.get_own_assignment(open_one.reviewer.user, open_one.pk)
    assert access.get_own_assignment(open_one.reviewer.user, open_one.pk, handed_back_too=True) == open_one


# --- The sync pages -------------------------------------------------------------------------


def test_the_sync_is_for_leads_and_staff_and_payloads_for_staff(two_teams):
    support = two_teams["Support"]
    staff = _user("staff@example.com", is_staff=True)

    access.require_sync_access(support["lead"])
    access.require_sync_access(staff)
    with pytest.raises(PermissionDenied, match=r"^Only team leads see the sync\.$"):
        access.require_sync_access(support["agents"][0].user)
    assert access.may_see_payloads(staff)
    assert not access.may_see_payloads(support["lead"])


def test_staff_see_the_sync_before_any_team_exists(db):
    assert access.can_see_sync(_user("staff@example.com", is_staff=True))
    assert not access.can_see_sync(_user("someone@example.com"))


def test_the_menu_offers_each_role_only_pages_with_something_for_them(two_teams):
    support, billing = two_teams["Support"], two_teams["Billing"]
    staff = _user("staff@example.com", is_staff=True)
    agent = _bystander(support)
    both = support["agents"][0]  # a lead who also answers conversations
    support["team"].leads.add(both.user)
    billing["team"].leads.add(support["lead"])
    gone = _bystander(billing)
    gone.is_active = False
    gone.save()

    assert access.menu(AnonymousUser()) == access.Menu()
    assert access.menu(agent.user) == access.Menu(my_week=True, feedback=True, highlights=True, search=True)
    lead_of_two = access.menu(support["lead"])
    assert lead_of_two == access.Menu(
        highlights=True, search=True, teams=(billing["team"], support["team"]), all_teams=True, sync=True
    )
    mixed = access.menu(both.user)
    assert (mixed.my_week, mixed.feedback, mixed.teams, mixed.all_teams, mixed.sync) == (
        True,
        True,
        (support["team"],),
        False,
        True,
    )
    assert access.menu(billing["lead"]).teams == (billing["team"],)
    assert access.menu(staff) == access.Menu(highlights=True, search=True, all_teams=True, sync=True, admin=True)
    assert access.menu(gone.user) == access.Menu(feedback=True, search=True)


def test_the_menu_counts_reviews_not_yet_seen_and_replies_waiting_for_an_answer(two_teams, django_assert_num_queries):
    support = two_teams["Support"]
    review = support["review"]
    reviewer, reviewee = review.reviewer.user, review.reviewee.user

    assert access.menu(reviewee).new_feedback == 1
    assert access.menu(reviewer).new_replies == 0
    services.review_acknowledge(review=review)
    assert access.menu(reviewee).new_feedback == 0

    services.review_comment_add(review=review, author=reviewee, body="Thanks, but the refund was policy.")
    assert (access.menu(reviewer).new_replies, access.menu(reviewee).new_feedback) == (1, 0)
    services.review_comment_add(review=review, author=reviewer, body="Fair point, I missed that.")
    assert (access.menu(reviewer).new_replies, access.menu(reviewee).new_feedback) == (0, 1)
    # Other people's threads never count: a bystander of the same team.
    assert access.menu(_bystander(support).user).new_feedback == 0
    with django_assert_num_queries(3):  # the teammate, their counters, the teams led
        access.menu(reviewee)
    with django_assert_num_queries(2):  # a lead with no teammate: no counters to count
        access.menu(support["lead"])


def test_the_last_reply_by_time_decides_whose_turn_it_is_whatever_order_they_were_stored(two_teams):
    from datetime import timedelta

    from reviews.tests.factories import MONDAY

    review = two_teams["Support"]["review"]
    reviewer, reviewee = review.reviewer.user, review.reviewee.user
    # Stored second but written first (an import, a clock skew): the reviewee spoke last.
    services.review_comment_add(review=review, author=reviewee, body="Later word", now=MONDAY + timedelta(hours=2))
    services.review_comment_add(review=review, author=reviewer, body="Earlier word", now=MONDAY + timedelta(hours=1))

    assert access.menu(reviewer).new_replies == 1


def test_a_deactivated_account_has_no_menu_at_all(two_teams):
    agent_user = two_teams["Support"]["assignment"].reviewee.user
    agent_user.is_active = False
    agent_user.save()

    assert access.menu(agent_user) == access.Menu()


def test_a_lead_reaches_exactly_the_absence_asked_for_in_their_own_team(two_teams):
    from datetime import date

    from reviews.models import Absence

    support, billing = two_teams["Support"], two_teams["Billing"]
    first, second = (
        Absence.objects.create(agent=support["agents"][n], starts_on=date(2026, 12, 7), ends_on=date(2026, 12, 8))
        for n in (0, 1)
    )
    elsewhere = Absence.objects.create(
        agent=billing["agents"][0], starts_on=date(2026, 12, 7), ends_on=date(2026, 12, 8)
    )

    assert access.get_team_absence(support["lead"], support["team"].pk, second.pk) == second
    assert access.get_team_absence(support["lead"], support["team"].pk, first.pk) == first
    with pytest.raises(Http404, match=r"^No such absence\.$"):
        access.get_team_absence(support["lead"], support["team"].pk, elsewhere.pk)
    with pytest.raises(Http404, match=r"^No such team\.$"):
        access.get_team_absence(support["lead"], billing["team"].pk, elsewhere.pk)


# --- Deactivated people ---------------------------------------------------------------------


def test_an_agent_deactivated_in_the_helpdesk_reads_their_own_but_no_longer_reviews(two_teams):
    support = two_teams["Support"]
    review = support["review"]
    shared = _review(
        Assignment.objects.filter(week=support["week"]).exclude(reviewer=review.reviewee).first(), shared=True
    )
    reviewer = review.reviewer
    reviewer.is_active = False
    reviewer.save()
    open_one = Assignment.objects.filter(week=support["week"], reviewer=reviewer).exclude(pk=review.assignment_id)

    assert access.reviewing_agent(reviewer.user) is None
    assert access.agent_of(reviewer.user) == reviewer
    assert review in access.visible_reviews(reviewer.user)  # what they wrote
    with pytest.raises(Http404):
        access.get_own_assignment(reviewer.user, open_one.first().pk)
    if shared.reviewer_id != reviewer.pk and shared.reviewee_id != reviewer.pk:
        assert shared not in access.visible_reviews(reviewer.user)  # the team's highlights
    assert access.highlight_team_ids(reviewer.user) == []


def test_a_deactivated_account_sees_and_does_nothing(two_teams):
    support = two_teams["Support"]
    lead, agent_user = support["lead"], support["assignment"].reviewer.user
    staff = _user("staff@example.com", is_staff=True)
    for user in (lead, agent_user, staff):
        user.is_active = False
        user.save()

    for user in (lead, agent_user, staff):
        assert not access.led_teams(user).exists()
        assert not access.visible_reviews(user).exists()
        assert not access.visible_conversations(user).exists()
        assert access.agent_of(user) is None
        assert not access.can_see_sync(user)
        assert access.highlight_team_ids(user) == []


def test_a_conversation_out_of_reach_is_not_found_and_says_so(two_teams, client):
    support, billing = two_teams["Support"], two_teams["Billing"]
    conversation = support["assignment"].conversation

    with pytest.raises(Http404, match=r"^No such conversation\.$"):
        access.get_visible_conversation(billing["lead"], conversation.pk)
    client.force_login(billing["lead"])
    page = client.get(f"/conversations/{conversation.pk}/")
    assert page.status_code == 404 and "No such conversation." in page.content.decode()
    refused = client.post("/week/pull/", {"count": 1})
    assert refused.status_code == 404 and "not linked to an active helpdesk teammate" in refused.content.decode()
