"""Who may see what: every review page fetches its object through one of these (404 otherwise)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from conversations.models import Agent, Conversation, Team

from .models import Assignment, Review


def agent_of(user) -> Agent | None:
    return Agent.objects.filter(user=user).select_related("team").first() if user.is_authenticated else None


def get_led_team(user, team_id: int) -> Team:
    """Leads see their own teams and staff every team; anyone else gets a 404, not a hint."""
    teams = Team.objects.all() if user.is_staff else Team.objects.filter(leads=user)
    team = teams.filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team.")
    return team


def get_team_member_user(user, team_id: int, member_user_id: int):
    """A Carousel user with an agent in a team `user` leads (staff: any team); 404 otherwise."""
    team = get_led_team(user, team_id)
    agent = Agent.objects.filter(team=team, user_id=member_user_id).select_related("user").first()
    if agent is None or agent.user is None:
        raise Http404("No such teammate.")
    return agent.user


def led_team_ids(user) -> list[int]:
    return list(Team.objects.filter(leads=user).values_list("pk", flat=True))


def visible_conversations(user) -> QuerySet[Conversation]:
    """Assigned to me, handled by me, highlighted in my team, or in a team I lead."""
    if user.is_staff:
        return Conversation.objects.all()
    agent = agent_of(user)
    # A lead's teams are those the conversation belonged to when it was synced, so moving
    # an agent to another team later does not carry their history along.
    led = led_team_ids(user)
    # ...or it was handed out for review in one of the lead's teams' weeks.
    in_led_weeks = Assignment.objects.filter(conversation=OuterRef("pk"), week__team__in=led)
    rule = Q(team__in=led) | Exists(in_led_weeks)
    if agent is not None:
        assigned_to_me = Assignment.objects.active().filter(conversation=OuterRef("pk"), reviewer=agent)
        highlighted_in_my_team = Review.objects.highlights().filter(
            conversation=OuterRef("pk"), assignment__week__team=agent.team_id
        )
        rule |= Q(assignee=agent) | Exists(assigned_to_me)
        if agent.team_id:
            rule |= Exists(highlighted_in_my_team)
    return Conversation.objects.filter(rule)


def visible_reviews(user) -> QuerySet[Review]:
    """Reviews I wrote, reviews of my conversations, my team's highlights, my led teams' reviews."""
    if user.is_staff:
        return Review.objects.all()
    agent = agent_of(user)
    # Reviews belong to the team whose week they were made in.
    rule = Q(assignment__week__team__in=led_team_ids(user))
    if agent is not None:
        rule |= Q(reviewer=agent) | Q(reviewee=agent)
        if agent.team_id:
            rule |= Q(assignment__week__team=agent.team_id, share_as_example=True, unshared_at__isnull=True)
    return Review.objects.filter(rule)


def get_visible_conversation(user, conversation_id: int) -> Conversation:
    conversation = visible_conversations(user).select_related("assignee", "team").filter(pk=conversation_id).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def get_visible_review(user, review_id: int) -> Review:
    review = visible_reviews(user).with_people().filter(pk=review_id).first()
    if review is None:
        raise Http404("No such review.")
    return review


def get_own_assignment(user, assignment_id: int) -> Assignment:
    """Only the reviewer it is assigned to may open an assignment to review it."""
    assignment = (
        Assignment.objects.select_related("conversation__assignee", "week", "reviewee", "reviewer")
        .filter(pk=assignment_id, reviewer__user=user, status__in=Assignment.ACTIVE_STATUSES)
        .first()
    )
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


def leads_team(user, team_id: int | None) -> bool:
    return user.is_staff or (team_id is not None and Team.objects.filter(pk=team_id, leads=user).exists())
