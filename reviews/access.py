"""Who may see and do what. Every rule lives here; views (in both apps) only call these.

Objects a person may not see come back as a 404, never a hint that they exist. Three kinds
of people meet here, and one person can be several at once:

- an **agent**: the helpdesk teammate linked to the user (`agent_of`); an agent deactivated
  in the helpdesk keeps reading what they wrote and received, but no longer reviews and no
  longer sees their team's highlights;
- a **lead** of one or more teams (`led_teams`), whose rights follow the team a conversation
  or review belongs to, never the team the agent is in today;
- **staff**, who lead every team.

A deactivated Carousel account (`user.is_active` false) is nobody: it sees and does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from conversations.models import Agent, Conversation, Team

from .models import (
    Absence,
    ActionItem,
    Assignment,
    CalibrationItem,
    CalibrationSession,
    Dispute,
    LevelExample,
    OneOnOne,
    Review,
    ReviewComment,
    ReviewQuerySet,
    SelfReview,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    Person = User | AnonymousUser


def _is_someone(user: Person) -> bool:
    return user.is_authenticated and user.is_active


def _is_staff(user: Person) -> bool:
    return _is_someone(user) and user.is_staff


# --- Who someone is -------------------------------------------------------------------------


def agent_of(user: Person) -> Agent | None:
    """The helpdesk teammate linked to this account, active or not."""
    if not _is_someone(user) or user.pk is None:
        return None
    return Agent.objects.filter(user_id=user.pk).select_related("team").first()


def reviewing_agent(user: Person) -> Agent | None:
    """The linked teammate if they are active in the helpdesk: only they review and pull."""
    agent = agent_of(user)
    return agent if agent is not None and agent.is_active else None


def get_own_agent(user: Person) -> Agent:
    """Feedback and reviews written are an agent's own pages: anyone with a linked teammate."""
    agent = agent_of(user)
    if agent is None:
        raise Http404("You are not linked to a helpdesk teammate.")
    return agent


def get_reviewing_agent(user: Person) -> Agent:
    """Pulling more, asking for a batch: only an active teammate."""
    agent = reviewing_agent(user)
    if agent is None:
        raise Http404("You are not linked to an active helpdesk teammate.")
    return agent


def led_teams(user: Person) -> QuerySet[Team]:
    """The teams this person leads: every team for staff, none for a deactivated account."""
    if not _is_someone(user):
        return Team.objects.none()
    if _is_staff(user):
        return Team.objects.all()
    return Team.objects.filter(leads=user.pk)


def leads_team(user: Person, team_id: int | None) -> bool:
    return team_id is not None and led_teams(user).filter(pk=team_id).exists()


def get_led_team(user: Person, team_id: int) -> Team:
    """A team's pages (weeks, trends, settings, scorecard, exports): its leads and staff."""
    team = led_teams(user).filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team.")
    return team


def get_team_agent(user: Person, team: Team, agent_id: int) -> Agent:
    """A teammate's coaching page: an agent now in a team `user` leads (see `get_led_team`)."""
    agent = Agent.objects.filter(pk=agent_id, team=get_led_team(user, team.pk)).first()
    if agent is None:
        raise Http404("No such teammate.")
    return agent


def get_team_member_user(user: Person, team_id: int, member_user_id: int) -> User:
    """A Carousel account with a teammate in a team `user` leads, for the lead to unlock."""
    team = get_led_team(user, team_id)
    agent = Agent.objects.filter(team=team, user_id=member_user_id).select_related("user").first()
    if agent is None or agent.user is None:
        raise Http404("No such teammate.")
    return agent.user


def get_team_absence(user: Person, team_id: int, absence_id: int) -> Absence:
    """An absence of a teammate in a team `user` leads, for the lead to remove."""
    absence = Absence.objects.filter(pk=absence_id, agent__team=get_led_team(user, team_id)).first()
    if absence is None:
        raise Http404("No such absence.")
    return absence


def can_see_sync(user: Person) -> bool:
    """The sync pages: any lead, and staff even before a team exists. Runs are per helpdesk,
    not per team; the conversations and teammates they list are scoped with `led_teams`."""
    return _is_staff(user) or led_teams(user).exists()


def require_sync_access(user: Person) -> None:
    if not can_see_sync(user):
        raise PermissionDenied("Only team leads see the sync.")


def may_see_payloads(user: Person) -> bool:
    """Raw payload excerpts of refused records can hold any team's data: staff only."""
    return _is_staff(user)


# --- Conversations and reviews --------------------------------------------------------------


def _highlight_team_id(agent: Agent | None) -> int | None:
    """The team whose highlights an agent sees: their own, while they are active."""
    return agent.team_id if agent is not None and agent.is_active else None


def visible_conversations(user: Person) -> QuerySet[Conversation]:
    """Assigned to me, handled by me, highlighted in my team, or in a team I lead."""
    if not _is_someone(user):
        return Conversation.objects.none()
    if _is_staff(user):
        return Conversation.objects.all()
    agent = agent_of(user)
    # A lead's teams are those the conversation belonged to when it was synced, so moving
    # an agent to another team later does not carry their history along...
    led = led_teams(user)
    # ...or the team whose week it was handed out in.
    in_led_weeks = Assignment.objects.filter(conversation=OuterRef("pk"), week__team__in=led)
    # A teammate named to resolve a dispute reads what they judge.
    to_resolve = Dispute.objects.filter(
        review__conversation=OuterRef("pk"), resolver=user.pk, status=Dispute.Status.OPEN
    )
    rule: Q = Q(team__in=led) | Q(Exists(in_led_weeks)) | Q(Exists(to_resolve))
    if agent is not None:
        assigned_to_me = Assignment.objects.active().filter(conversation=OuterRef("pk"), reviewer=agent)
        rule |= Q(assignee=agent) | Q(Exists(assigned_to_me))
        team_id = _highlight_team_id(agent)
        if team_id is not None:
            highlighted = Review.objects.highlights().filter(
                conversation=OuterRef("pk"), assignment__week__team=team_id
            )
            # The agreed examples of a level, linked from the review form.
            example = LevelExample.objects.filter(conversation=OuterRef("pk"), team=team_id)
            rule |= Q(Exists(highlighted)) | Q(Exists(example))
    return Conversation.objects.filter(rule)


@dataclass(frozen=True)
class SearchScope:
    conversations: QuerySet[Conversation]
    teams: list[Team]  # led, whose people results can be narrowed to
    agent: Agent | None  # the searcher's own teammate


def search_scope(user: Person) -> SearchScope:
    """What search looks through: a lead's teams' conversations (as `visible_conversations`
    scopes them), and an agent's own and those assigned to them to review. Nobody else searches."""
    if not _is_someone(user):
        raise Http404("Search is for agents and leads.")
    teams = list(led_teams(user).order_by("name"))
    agent = agent_of(user)
    if _is_staff(user):
        return SearchScope(Conversation.objects.all(), teams, agent)
    if agent is None and not teams:
        raise Http404("Search is for agents and leads.")
    rule = Q(pk__in=[])
    if teams:
        in_led_weeks = Assignment.objects.filter(conversation=OuterRef("pk"), week__team__in=teams)
        rule |= Q(team__in=teams) | Q(Exists(in_led_weeks))
    if agent is not None:
        # One small set of ids, not a check per row: the database finds an agent's hundred
        # conversations first instead of walking the newest of every team's.
        own = Conversation.objects.filter(assignee=agent).order_by().values("pk")
        assigned = Assignment.objects.active().filter(reviewer=agent).order_by().values("conversation")
        rule |= Q(pk__in=own.union(assigned))
    return SearchScope(Conversation.objects.filter(rule), teams, agent)


def still_mine_to_review(scope: SearchScope) -> Exists | None:
    """Per conversation: the searcher still has it to review. Search then counts it as not
    reviewed, so a second opinion stays blind."""
    if scope.agent is None:
        return None
    return Exists(
        Assignment.objects.filter(conversation=OuterRef("pk"), reviewer=scope.agent, status=Assignment.Status.ASSIGNED)
    )


def handler_hidden(scope: SearchScope) -> Exists | None:
    """Per conversation: who handled it is hidden from the searcher (`scores_blind`'s rule),
    in the results and from the "handled by" filter."""
    if scope.agent is None:
        return None
    return Exists(
        Assignment.objects.filter(
            conversation=OuterRef("pk"),
            reviewer=scope.agent,
            status=Assignment.Status.ASSIGNED,
            week__team__review_settings__blind_reviewee=True,
        ).exclude(week__team__in=[team.pk for team in scope.teams])
    )


def visible_reviews(user: Person) -> ReviewQuerySet:
    """Reviews I wrote, reviews of my conversations, my team's highlights, the other opinion
    on a conversation I reviewed, my led teams' reviews."""
    if not _is_someone(user):
        return Review.objects.none()
    if _is_staff(user):
        return Review.objects.all()
    agent = agent_of(user)
    # Reviews belong to the team whose week they were made in; a teammate named to resolve a
    # dispute reads the review they judge.
    to_resolve = Dispute.objects.filter(review=OuterRef("pk"), resolver=user.pk, status=Dispute.Status.OPEN)
    rule = Q(assignment__week__team__in=led_teams(user)) | Q(Exists(to_resolve))
    if agent is not None:
        # A second opinion and the review it seconds: each reviewer sees the other's once
        # their own is in, and so both are.
        mine_too = Review.objects.filter(
            reviewer=agent, conversation=OuterRef("conversation"), assignment__week=OuterRef("assignment__week")
        )
        as_agent = Q(reviewer=agent) | Q(reviewee=agent) | Q(Exists(mine_too))
        team_id = _highlight_team_id(agent)
        if team_id is not None:
            as_agent |= Q(assignment__week__team=team_id, share_as_example=True, unshared_at__isnull=True)
        # Never another's review of a conversation still waiting for mine (a highlight
        # would show it), so a second opinion stays blind.
        still_mine = Assignment.objects.filter(
            reviewer=agent, conversation=OuterRef("conversation"), status=Assignment.Status.ASSIGNED
        )
        rule |= as_agent & ~Q(Exists(still_mine)) & ~own_rating_due(agent)
    return Review.objects.filter(rule)


def own_rating_due(agent: Agent) -> Q:
    """Reviews of the agent's conversations written to be read only after the agent rated the
    conversation themselves (the team's "rate your own first"), while they have not."""
    rated = SelfReview.objects.filter(conversation=OuterRef("conversation"), agent=agent)
    return Q(reviewee=agent, self_review_first=True) & ~Q(Exists(rated))


def get_own_rating_conversation(user: Person, conversation_id: int) -> Conversation:
    """A conversation the reader handled and was reviewed on with "rate your own first": only
    they rate it themselves."""
    agent = agent_of(user)
    conversation = (
        Conversation.objects.filter(
            pk=conversation_id, reviews__reviewee=agent, reviews__self_review_first=True
        ).first()
        if agent is not None
        else None
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def sees_own_rating(user: Person, review: Review) -> bool:
    """The agent's own rating of a reviewed conversation, beside the review: the agent and the
    team's leads."""
    return is_reviewee(user, review) or leads_team(user, review.assignment.week.team_id)


def highlight_team_ids(user: Person) -> list[int] | None:
    """Teams whose highlights the person may browse; None means every team (staff)."""
    if _is_staff(user):
        return None
    team_ids = list(led_teams(user).values_list("pk", flat=True))
    own = _highlight_team_id(agent_of(user))
    if own is not None and own not in team_ids:
        team_ids.append(own)
    return team_ids


def get_visible_highlight(user: Person, review_id: int) -> Review:
    """A highlight's knowledge-base draft: whoever may read the highlight."""
    review = visible_reviews(user).highlights().with_people().with_ratings().filter(pk=review_id).first()
    if review is None:
        raise Http404("No such highlight.")
    return review


def can_publish_article(user: Person, review: Review) -> bool:
    """Publishing a highlight to the helpdesk's knowledge base: the leads of the team it was
    shared in."""
    return leads_team(user, review.assignment.week.team_id)


def publishable(user: Person, reviews: Iterable[Review]) -> set[int]:
    """Of these highlights, the ids `user` may publish (`can_publish_article`), in one query."""
    led = set(led_teams(user).values_list("pk", flat=True))
    return {review.pk for review in reviews if review.assignment.week.team_id in led}


def sees_focus(user: Person, review: Review) -> bool:
    """The focus a review set is coaching between its reviewer, the agent and the team's leads,
    not for teammates reading a highlight."""
    return can_reply(user, review)


def highlight_teams(team_ids: list[int] | None) -> QuerySet[Team]:
    """The teams of `highlight_team_ids`, by name."""
    teams = Team.objects.all() if team_ids is None else Team.objects.filter(pk__in=team_ids)
    return teams.order_by("name")


def get_visible_conversation(user: Person, conversation_id: int) -> Conversation:
    conversation = visible_conversations(user).select_related("assignee", "team").filter(pk=conversation_id).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def get_visible_review(user: Person, review_id: int) -> Review:
    review = visible_reviews(user).with_people().with_ratings().filter(pk=review_id).first()
    if review is None:
        raise Http404("No such review.")
    return review


def get_own_assignment(user: Person, assignment_id: int, *, handed_back_too: bool = False) -> Assignment:
    """Only the active reviewer it is assigned to may open an assignment. Once handed back it
    no longer opens; `handed_back_too` finds it anyway, so a second "hand back" is told why."""
    agent = reviewing_agent(user)
    statuses = Assignment.Status.values if handed_back_too else Assignment.ACTIVE_STATUSES
    assignment = (
        Assignment.objects.select_related(
            "conversation__assignee", "week__team", "reviewee", "reviewer", "requested_by"
        )
        .filter(pk=assignment_id, reviewer=agent, status__in=statuses)
        .first()
        if agent is not None
        else None
    )
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


def _in_thread(agent: Agent | None, review: Review) -> bool:
    return agent is not None and agent.pk in (review.reviewer_id, review.reviewee_id)


def can_reply(user: Person, review: Review) -> bool:
    """The reviewer, the person reviewed and the leads of the team the review was made in."""
    return _in_thread(agent_of(user), review) or leads_team(user, review.assignment.week.team_id)


def is_reviewee(user: Person, review: Review) -> bool:
    """Only the person reviewed marks a review as seen."""
    agent = agent_of(user)
    return agent is not None and agent.pk == review.reviewee_id


def can_unshare(user: Person, review: Review) -> bool:
    """A highlight is taken back by the leads of the team it was shared in."""
    return review.is_highlighted and leads_team(user, review.assignment.week.team_id)


def unshareable(user: Person, reviews: Iterable[Review]) -> set[int]:
    """Of these reviews, the ids of the highlights `user` may take back (`can_unshare`), in one query."""
    led = set(led_teams(user).values_list("pk", flat=True))
    return {review.pk for review in reviews if review.is_highlighted and review.assignment.week.team_id in led}


@dataclass(frozen=True)
class Shown:
    """What the reader may see of some reviews, by review id."""

    scores: set[int]  # the quality score
    reviewers: set[int]  # who wrote it, by name ("a teammate" otherwise)


def review_shown(user: Person, reviews: Iterable[Review]) -> Shown:
    """The quality score is coaching information, not for teammates: the reader's own
    conversations' and every review in a team they lead. The reviewer's name is every
    review's, but a review written anonymously (the team's setting when it was written)
    names its reviewer only to the reviewer and the team's leads."""
    if not _is_someone(user):
        return Shown(set(), set())
    agent = agent_of(user)
    led = None if _is_staff(user) else set(led_teams(user).values_list("pk", flat=True))
    scores, reviewers = set(), set()
    for review in reviews:
        leads = led is None or review.assignment.week.team_id in led
        if leads or (agent is not None and review.reviewee_id == agent.pk):
            scores.add(review.pk)
        if leads or not review.anonymous or (agent is not None and review.reviewer_id == agent.pk):
            reviewers.add(review.pk)
    return Shown(scores, reviewers)


def can_include(user: Person, conversation: Conversation) -> bool:
    """Offering a set-aside conversation for review after all, and reading why one was: the
    leads of its team."""
    return leads_team(user, conversation.team_id)


def can_send_for_review(user: Person, conversation: Conversation) -> bool:
    """Sending a conversation for review outside the batch, to a teammate or to themselves,
    and seeing who it was sent to: the leads of its team."""
    return leads_team(user, conversation.team_id)


def lead_as_reviewer(user: Person, conversation: Conversation, *, sends: bool | None = None) -> Agent | None:
    """The lead's own teammate, to review the conversation themselves: a lead of its team
    (`sends`, when the caller knows), active in the helpdesk, who did not handle it."""
    if not (can_send_for_review(user, conversation) if sends is None else sends):
        return None
    agent = reviewing_agent(user)
    return agent if agent is not None and agent.pk != conversation.assignee_id else None


def get_visible_one_on_one(user: Person, one_on_one_id: int) -> OneOnOne:
    """A 1:1 is between the agent and the leads of its team."""
    session = OneOnOne.objects.select_related("agent", "team", "lead").filter(pk=one_on_one_id).first()
    if session is None or not (runs_one_on_one(user, session) or is_one_on_one_agent(user, session)):
        raise Http404("No such 1:1.")
    return session


def runs_one_on_one(user: Person, session: OneOnOne) -> bool:
    """Its notes and action items are written by the leads of its team."""
    return leads_team(user, session.team_id)


def is_one_on_one_agent(user: Person, session: OneOnOne) -> bool:
    """Only the agent met acknowledges it."""
    agent = agent_of(user)
    return agent is not None and agent.pk == session.agent_id


def get_one_on_one_action(user: Person, session: OneOnOne, item_id: int) -> ActionItem:
    """An action item is ticked off by either side of its 1:1 (`get_visible_one_on_one` first)."""
    item = ActionItem.objects.filter(pk=item_id, one_on_one=session).first()
    if item is None:
        raise Http404("No such action item.")
    return item


def sees_who_handled(user: Person, team_id: int, *, blind: bool) -> bool:
    """Whether a reviewer sees who handled the conversations they score in a team's week:
    not when the team reviews blind, unless they lead the team."""
    return not blind or leads_team(user, team_id)


def scores_blind(user: Person, conversation: Conversation) -> bool:
    """Whether the conversation's page hides who handled it from this reader: they still
    have it to review in a team that reviews blind, and do not lead that team; or they see
    it only as an example of a level."""
    if not _is_someone(user):
        return False
    waiting = Assignment.objects.filter(
        reviewer__user=user.pk,
        conversation=conversation,
        status=Assignment.Status.ASSIGNED,
        week__team__review_settings__blind_reviewee=True,
    ).values_list("week__team_id", flat=True)
    if any(not leads_team(user, team_id) for team_id in waiting):
        return True
    return shown_as_example(user, conversation)


def shown_as_example(user: Person, conversation: Conversation) -> bool:
    """The reader opens the conversation only as their team's example of a level (a calibration
    agreed it): they learn from it without learning whose it was. Its handler, whoever
    reviewed it and the team's leads still see the name."""
    if not LevelExample.objects.filter(conversation=conversation).exists():
        return False
    agent = agent_of(user)
    if agent is None or agent.pk == conversation.assignee_id or leads_team(user, conversation.team_id):
        return False
    return not Assignment.objects.filter(conversation=conversation, reviewer=agent).exists()


# --- Disputes -------------------------------------------------------------------------------


def get_visible_dispute(user: Person, dispute_id: int) -> Dispute:
    """A dispute is between the reviewer and the person reviewed; the team's leads (staff
    among them) and the teammate named to resolve it see it too. Nobody else."""
    if not _is_someone(user):
        raise Http404("No such dispute.")
    rule = Q(review__assignment__week__team__in=led_teams(user)) | Q(resolver=user.pk)
    agent = agent_of(user)
    if agent is not None:
        rule |= Q(review__reviewer=agent) | Q(review__reviewee=agent)
    dispute = Dispute.objects.select_related("resolver").filter(rule, pk=dispute_id).first()
    if dispute is None:
        raise Http404("No such dispute.")
    dispute.review = Review.objects.with_people().with_ratings().get(pk=dispute.review_id)
    return dispute


def sees_disputes(user: Person, review: Review) -> bool:
    """A review's disputes, listed with it: its two sides and the team's leads."""
    return _in_thread(agent_of(user), review) or leads_team(user, review.assignment.week.team_id)


def can_resolve(user: Person, dispute: Dispute) -> bool:
    """The team's leads, or the teammate a lead named; never the reviewer or the person
    reviewed, who are its two sides."""
    review = dispute.review
    agent = agent_of(user)
    if agent is not None and agent.pk in (review.reviewer_id, review.reviewee_id):
        return False
    named = dispute.resolver_id is not None and dispute.resolver_id == user.pk
    return named or leads_team(user, review.assignment.week.team_id)


# --- Calibration ---------------------------------------------------------------------------


def get_visible_calibration(user: Person, session_id: int) -> CalibrationSession:
    """A calibration session: the team's leads and its participants."""
    if not _is_someone(user):
        raise Http404("No such calibration session.")
    rule = Q(team__in=led_teams(user))
    agent = agent_of(user)
    if agent is not None:
        rule |= Q(participants=agent)
    session = CalibrationSession.objects.filter(rule, pk=session_id).select_related("team").distinct().first()
    if session is None:
        raise Http404("No such calibration session.")
    return session


def get_calibration_item(user: Person, session_id: int, item_id: int) -> CalibrationItem:
    session = get_visible_calibration(user, session_id)
    item = CalibrationItem.objects.filter(session=session, pk=item_id).select_related("conversation").first()
    if item is None:
        raise Http404("No such conversation in this session.")
    item.session = session
    return item


def runs_calibration(user: Person, session: CalibrationSession) -> bool:
    """Revealing the spread and recording the agreed answers: the team's leads."""
    return leads_team(user, session.team_id)


def calibration_participant(user: Person, session: CalibrationSession) -> Agent | None:
    """The reader's teammate if they take part in the session."""
    agent = agent_of(user)
    return agent if agent is not None and session.participants.filter(pk=agent.pk).exists() else None


def calibration_scorer(user: Person, item: CalibrationItem) -> Agent | None:
    """The participant who scores this conversation: an active participant who did not
    handle it, while the session is still blind."""
    agent = reviewing_agent(user)
    if agent is None or item.session.is_revealed or agent.pk == item.handler_id:
        return None
    return agent if item.session.participants.filter(pk=agent.pk).exists() else None


def sees_calibration_scores(user: Person, session: CalibrationSession) -> bool:
    """Everyone's scores, by name: nobody while the session is blind, then its leads and participants."""
    return session.is_revealed


def get_team_level_example(user: Person, team_id: int, example_id: int) -> LevelExample:
    """A level example of a team `user` leads, for the lead to remove."""
    example = LevelExample.objects.filter(pk=example_id, team=get_led_team(user, team_id)).first()
    if example is None:
        raise Http404("No such example.")
    return example


@dataclass(frozen=True)
class Menu:
    """What the menu offers one person: only pages that have something for them."""

    my_week: bool = False  # an active teammate, who reviews
    feedback: bool = False  # a linked teammate, active or not: Feedback and Reviews I wrote
    highlights: bool = False
    search: bool = False  # their own conversations, or a team's
    teams: tuple[Team, ...] = ()  # led by name; staff reach every other team from Teams
    all_teams: bool = False  # the Teams page: more than one team, or staff
    sync: bool = False
    admin: bool = False
    new_feedback: int = 0  # reviews received and not yet marked seen, or with a reply to answer
    new_replies: int = 0  # reviews written whose last reply is someone else's


def menu(user: Person) -> Menu:
    """The menu: the teammate, their counters (only if there is one: a lead without a
    teammate is spared the costly query), and the teams led by name.

    The counters are what waits for this person: a review received and not yet marked seen,
    and a thread on a review they wrote or received whose last word is someone else's.
    """
    if not _is_someone(user) or user.pk is None:
        return Menu()
    staff = _is_staff(user)
    last_author = ReviewComment.objects.filter(review=OuterRef("pk")).order_by("-created_at", "-id")
    answer_due = Q(last_author__isnull=False) & ~Q(last_author=user.pk)

    def waiting(role: str, condition: Q) -> Coalesce:
        reviews = (
            Review.objects.filter(**{role: OuterRef("pk")})
            .annotate(last_author=Subquery(last_author.values("author_id")[:1]))
            .filter(condition)
            .order_by()
            .values(role)
            .annotate(total=Count("pk"))
            .values("total")
        )
        return Coalesce(Subquery(reviews), 0)

    agent = Agent.objects.filter(user_id=user.pk).first()
    new_feedback = new_replies = 0
    if agent is not None:
        new_feedback, new_replies = (
            Agent.objects.filter(pk=agent.pk)
            .annotate(
                new_feedback=waiting("reviewee", Q(seen_at__isnull=True) | answer_due),
                new_replies=waiting("reviewer", answer_due),
            )
            .values_list("new_feedback", "new_replies")
            .get()
        )
    teams = tuple(Team.objects.filter(leads=user.pk).order_by("name"))
    return Menu(
        my_week=agent is not None and agent.is_active,
        feedback=agent is not None,
        highlights=staff or bool(teams) or _highlight_team_id(agent) is not None,
        search=staff or bool(teams) or agent is not None,
        teams=teams,
        all_teams=staff or len(teams) > 1,
        sync=staff or bool(teams),
        admin=staff,
        new_feedback=new_feedback,
        new_replies=new_replies,
    )
