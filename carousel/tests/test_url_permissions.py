"""Walks every URL in the URLconf as each kind of person and checks the exact answer each gets,
that no page leaks another team's notes or transcripts, that no GET writes to the database,
and that every action changes the database when it is allowed and leaves it alone when not.

A new URL fails `test_every_url_has_rules` until its rules are written here.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse

from conversations.models import Agent, Conversation, Message, SyncProblem, SyncRun, Team
from reviews import services
from reviews.models import (
    Absence,
    ActionItem,
    Assignment,
    CalibrationAnswer,
    CalibrationScore,
    CalibrationSession,
    Criterion,
    Dispute,
    Invitation,
    LevelExample,
    NotificationSettings,
    OneOnOne,
    PublishedArticle,
    Rating,
    Review,
    ReviewComment,
    TeamSettings,
)
from reviews.services import week_assign
from reviews.tests.factories import MONDAY, answers, review_form

pytestmark = pytest.mark.django_db

SECRET_NOTE = "Confidential coaching note 7731"
SECRET_BODY = "Customer card ending 4242 was double charged"
PUBLIC = {
    "healthz",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # Its secret is the permission: tests in reviews/tests/test_people.py.
    "invitation_accept",
}
PEOPLE = ("outsider", "teammate", "reviewer", "reviewee", "lead", "other_lead", "staff")
# Those who must never see this team's notes or transcripts, on any page.
STRANGERS = ("outsider", "teammate", "other_lead")


def url_names() -> list[str]:
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            else:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


def _only(allowed: dict[str, int], refused: int) -> dict[str, int]:
    return {person: allowed.get(person, refused) for person in PEOPLE}


LEADS = {"lead": 200, "staff": 200}
PARTICIPANTS = {"reviewer": 200, "reviewee": 200}
# Per page: which objects its ids point at, and the exact status each person gets on a GET.
PAGES: dict[str, tuple[dict[str, str], dict[str, int]]] = {
    # Runs are per helpdesk, not per team: any lead sees them, never other teams' payloads.
    "conversations:sync_status": ({}, _only({**LEADS, "other_lead": 200}, 403)),
    "conversations:sync_run_detail": ({"run_id": "run"}, _only({**LEADS, "other_lead": 200}, 403)),
    "conversations:excluded": ({}, _only({**LEADS, "other_lead": 200}, 403)),
    "reviews:home": ({}, _only({}, 302)),
    "reviews:my_week": ({}, _only({}, 200)),
    "reviews:review": ({"assignment_id": "assignment"}, _only({"reviewer": 200}, 404)),
    "reviews:conversation": (
        {"conversation_id": "conversation"},
        _only({"reviewer": 200, "reviewee": 200, **LEADS}, 404),
    ),
    "reviews:feedback": ({}, _only({"outsider": 200, "teammate": 200, "reviewer": 200, "reviewee": 200}, 404)),
    "reviews:written": ({}, _only({"outsider": 200, "teammate": 200, "reviewer": 200, "reviewee": 200}, 404)),
    "reviews:review_detail": ({"review_id": "review"}, _only({"reviewer": 200, "reviewee": 200, **LEADS}, 404)),
    "reviews:highlights": ({}, _only({}, 200)),
    # The team sees its highlights, and their drafts; the other team does not.
    "reviews:highlight_article": (
        {"review_id": "highlight", "extension": "markdown"},
        _only({"outsider": 404, "other_lead": 404}, 200),
    ),
    # Everyone here has conversations or a team: each searches their own (tests/test_search.py).
    "reviews:search": ({}, _only({}, 200)),
    "reviews:teams": ({}, _only({}, 200)),
    "reviews:team_week": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:trends": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:agent_detail": ({"team_id": "team", "agent_id": "reviewee_agent"}, _only(LEADS, 404)),
    "reviews:one_on_one_new": ({"team_id": "team", "agent_id": "reviewee_agent"}, _only(LEADS, 404)),
    # Between the agent (the reviewee here) and the team's leads.
    "reviews:one_on_one": ({"one_on_one_id": "one_on_one"}, _only({"reviewee": 200, **LEADS}, 404)),
    "reviews:export": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:export_reviews": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:export_completion": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:team_settings": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:scorecard": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:criterion_new": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:criterion_edit": ({"team_id": "team", "key": "criterion"}, _only(LEADS, 404)),
    "reviews:reports": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:agreement": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:complaints": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:team_disputes": ({"team_id": "team"}, _only(LEADS, 404)),
    # Between the highlight's reviewer and reviewee (tests/test_disputes.py) and the team's leads.
    "reviews:dispute": ({"dispute_id": "open_dispute"}, _only(LEADS, 404)),
    "reviews:team_people": ({"team_id": "team"}, _only(LEADS, 404)),
    "reviews:team_calibrations": ({"team_id": "team"}, _only(LEADS, 404)),
    # Its participants (the reviewer and the reviewee among them) and the team's leads.
    "reviews:calibration": ({"session_id": "calibration"}, _only({**PARTICIPANTS, **LEADS}, 404)),
    "reviews:calibration_item": (
        {"session_id": "calibration", "item_id": "calibration_item"},
        _only({**PARTICIPANTS, **LEADS}, 404),
    ),
    # The reviewee rated their conversation already: on to its review.
    "reviews:own_rating": ({"conversation_id": "conversation"}, _only({"reviewee": 302}, 404)),
    "reviews:notifications": ({}, _only({}, 200)),
    "password_change": ({}, _only({}, 200)),
    "password_change_done": ({}, _only({}, 200)),
}


# Per page: the most statements any person's GET sends in the world below (session, user and
# the menu's included: two, three for a teammate). Tight on purpose: a page that starts querying per row fails here,
# and reviews/tests/ check the pages that must not grow with a team's size.
QUERY_BOUNDS = {
    "conversations:excluded": 8,  # the counts per rule (set aside, included) and a page with a row
    "conversations:sync_run_detail": 8,
    "conversations:sync_status": 10,
    "password_change": 2,
    "password_change_done": 2,
    "reviews:agent_detail": 22,  # and their 1:1s
    # The agenda: the last 1:1, the team's time zone, reviews (five with their ratings),
    # disputes, focus, open actions.
    "reviews:one_on_one_new": 17,
    "reviews:one_on_one": 11,
    # Whether it is shown only as an example of a level; for its leads, who it was sent to,
    # who they may send it to and whether they may review it themselves.
    "reviews:conversation": 22,
    "reviews:export": 6,
    "reviews:export_completion": 7,
    "reviews:export_reviews": 11,  # two more a week with reviews: its ratings and root causes
    "reviews:feedback": 26,  # with the focus items (and the reviews still to rate first) and the 1:1s
    # With the teams and criteria to filter by (the teams' newest scorecards, their levels).
    "reviews:highlights": 21,
    "reviews:highlight_article": 12,
    "reviews:search": 11,
    "reviews:home": 6,
    "reviews:my_week": 15,
    "reviews:notifications": 6,
    "reviews:review": 24,  # with the earlier focus to follow up and the review's own
    # The reviewee: the dispute window (from their own rating) and form; the focus it set, and
    # whether the reader may see it.
    "reviews:review_detail": 26,
    "reviews:scorecard": 11,
    "reviews:criterion_new": 9,
    "reviews:criterion_edit": 9,
    "reviews:reports": 15,
    "reviews:agreement": 12,
    "reviews:complaints": 9,
    "reviews:team_disputes": 13,
    "reviews:dispute": 18,
    "reviews:team_people": 10,
    "reviews:team_calibrations": 9,
    "reviews:calibration": 18,  # the session's scorecard version is four
    "reviews:calibration_item": 23,
    "reviews:own_rating": 8,
    "reviews:team_settings": 6,
    "reviews:team_week": 17,
    "reviews:teams": 6,
    "reviews:trends": 12,
    "reviews:written": 16,
}

# --- The world: a team whose week is under way, with a review and a highlight ---------------


@pytest.fixture
def world(team_of_five, build, monday):
    builder, agents = team_of_five
    # One review per conversation, so each persona's view is fixed: second opinions' rules
    # (blind until both are in) have their own tests in reviews/tests/test_second_opinions.py.
    TeamSettings.objects.create(team=builder.team, second_opinion_percent=0)
    week = week_assign(team=builder.team)
    assignment = Assignment.objects.filter(week=week).select_related("conversation").first()
    Message.objects.create(
        conversation=assignment.conversation,
        external_id="1",
        author_kind="customer",
        created_at=MONDAY,
        body_html=f"<p>{SECRET_BODY}</p>",
        body_text=SECRET_BODY,
    )
    review = services.review_submit(assignment=assignment, answers=answers(quality_note=SECRET_NOTE))
    # A second review, shared with the team: what the highlight actions work on.
    other = (
        Assignment.objects.filter(week=week)
        .exclude(reviewer__in=[assignment.reviewer_id, assignment.reviewee_id])
        .exclude(reviewee__in=[assignment.reviewer_id, assignment.reviewee_id])
        .first()
    )
    highlight = services.review_submit(
        assignment=other, answers=answers(quality_note="A model answer", share_as_example=True)
    )
    # One the reviewer has not reviewed yet: what a hand-back works on.
    open_assignment = Assignment.objects.filter(
        week=week, reviewer=assignment.reviewer, status=Assignment.Status.ASSIGNED
    ).first()
    involved = {assignment.reviewer_id, assignment.reviewee_id, other.reviewer_id, other.reviewee_id}
    teammate = next(a for a in agents if a.pk not in involved)
    users = get_user_model().objects
    lead = users.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    other_team = build("Other team")
    outsider = other_team.agent("Olga")
    other_lead = users.create_user("olead@ledgerly.example", email="olead@ledgerly.example", password="pw")
    other_team.team.leads.add(other_lead)
    staff = users.create_user("staff@ledgerly.example", email="staff@ledgerly.example", password="pw", is_staff=True)
    # The reviewee typed a wrong password too often: a pause their lead can lift.
    AccessAttempt.objects.create(
        username=assignment.reviewee.user.email, ip_address="10.0.0.9", user_agent="walk", failures_since_start=5
    )
    # A helpdesk teammate with no account yet, and a coming holiday: what the people page acts on.
    newcomer = Agent.objects.create(
        source="file", external_id="nia", name="Nia", email="nia@ledgerly.example", team=builder.team
    )
    # Too short to be offered for review: what a lead may include anyway. Nia has no account,
    # so only the team's leads see it.
    set_aside = builder.conversations(newcomer, 1, exclusion_reason="short")[0]
    absence = Absence.objects.create(
        agent=assignment.reviewee, starts_on=date(2027, 2, 1), ends_on=date(2027, 2, 5), created_by=lead
    )
    run = SyncRun.objects.create(source="file", status="succeeded")
    SyncProblem.objects.create(run=run, external_id="9", message="bad", payload_excerpt=SECRET_BODY)
    # An open dispute of the highlight, which its team's leads may give to a teammate to
    # resolve (the review stays undisputed: a disputed review is no longer edited).
    open_dispute = Dispute.objects.create(review=highlight, reason="Unfair.", opened_by=other.reviewee.user)
    # A calibration on the reviewee's conversation (so the reviewer scores it and the reviewee
    # does not), still blind; and a revealed one, whose answers the leads record.
    participants = [assignment.reviewer, assignment.reviewee, other.reviewer]
    calibration = services.calibration_start(
        team=builder.team,
        by=lead,
        title="Week 48",
        conversations=[assignment.conversation],
        participants=participants,
    )
    revealed = services.calibration_start(
        team=builder.team,
        by=lead,
        title="Week 47",
        conversations=[assignment.conversation],
        participants=participants,
    )
    for session in (calibration, revealed):
        services.calibration_score(item=session.items.get(), participant=other.reviewer, ratings=answers()["ratings"])
    services.calibration_reveal(session=revealed)
    example = LevelExample.objects.create(
        team=builder.team, criterion_key="tone", level=3, conversation=other.conversation, reason="Warm."
    )
    # The team rates its own conversations first; the reviewee has rated this one.
    Review.objects.filter(pk=review.pk).update(self_review_first=True)
    services.own_rating_submit(
        conversation=assignment.conversation, agent=assignment.reviewee, ratings=answers()["ratings"]
    )
    one_on_one = services.one_on_one_create(
        team=builder.team,
        agent=assignment.reviewee,
        lead=lead,
        held_on=date(2026, 11, 20),
        agenda="Reviews",
        notes="Kind and clear.",
        actions=[services.ActionAnswer("Read the refund policy", date(2026, 12, 1))],
    )
    return {
        "objects": {
            "one_on_one": one_on_one.pk,
            "markdown": "md",
            "action_item": one_on_one.action_items.get().pk,
            "team": builder.team.pk,
            "assignment": assignment.pk,
            "open_assignment": open_assignment.pk,
            "conversation": assignment.conversation_id,
            "review": review.pk,
            "highlight": highlight.pk,
            "reviewee_agent": assignment.reviewee_id,
            "reviewee_user": assignment.reviewee.user_id,
            "run": run.pk,
            "newcomer": newcomer.pk,
            "absence": absence.pk,
            "criterion": "tone",
            "open_dispute": open_dispute.pk,
            "teammate_agent": teammate.pk,
            "calibration": calibration.pk,
            "calibration_item": calibration.items.get().pk,
            "revealed_calibration": revealed.pk,
            "revealed_item": revealed.items.get().pk,
            "example": example.pk,
            "set_aside": set_aside.pk,
            "other_conversation": other.conversation_id,
            "participant_agents": [agent.pk for agent in participants],
        },
        "people": {
            "outsider": outsider.user,
            "teammate": teammate.user,
            "reviewer": assignment.reviewer.user,
            "reviewee": assignment.reviewee.user,
            "lead": lead,
            "other_lead": other_lead,
            "staff": staff,
        },
    }


def url_for(name: str, kwargs_spec: dict[str, str], world) -> str:
    return reverse(name, kwargs={key: world["objects"][ref] for key, ref in kwargs_spec.items()})


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Actions: what each does to the database, and who may do it -----------------------------


def _assignments_of(person: str) -> Callable[[Any], object]:
    return lambda world: Assignment.objects.filter(reviewer__user=world["people"][person]).count()


def _review_field(field: str, ref: str = "review") -> Callable[[Any], object]:
    return lambda world: getattr(Review.objects.get(pk=world["objects"][ref]), field)


ANSWERS = review_form(quality=3, quality_note="Changed by the walk")


def _rating_note(key: str) -> Callable[[Any], object]:
    return lambda world: Rating.objects.get(review=world["objects"]["review"], criterion__key=key).note


def _criteria(world) -> list[tuple[int, str]]:
    """The team's scorecard versions' criteria, by version: what a scorecard action changes."""
    return list(
        Criterion.objects.filter(scorecard__team=world["objects"]["team"])
        .order_by("scorecard__version", "position")
        .values_list("scorecard__version", "name")
    )


CRITERION_FORM = {
    "version": 1,
    "name": "Product knowledge",
    "scale": "four_point",
    "weight": 2,
    "low_levels": 1,
}

# name -> (ids, form data, what the action changes, {person: status}); a 302 means the action
# happened (its effect is checked) unless the person is listed in `unchanged`.
ACTIONS: dict[str, tuple[dict[str, str], dict[str, object], Callable[[Any], object], dict[str, int], set[str]]] = {
    "reviews:pull": (
        {},
        {"count": 1},
        lambda world: Assignment.objects.filter(kind=Assignment.Kind.PULLED).count(),
        # The other team has no conversations to pull: told so, nothing changes.
        _only({"outsider": 302, "teammate": 302, "reviewer": 302, "reviewee": 302}, 404),
        {"outsider"},
    ),
    "reviews:batch_join": (
        {},
        {},
        lambda world: Assignment.objects.count(),
        # Everyone in the team already has their batch, and the other team's week is not made.
        _only({"outsider": 302, "teammate": 302, "reviewer": 302, "reviewee": 302}, 404),
        {"outsider", "teammate", "reviewer", "reviewee"},
    ),
    "reviews:skip": (
        {"assignment_id": "open_assignment"},
        {"reason": "automated"},
        lambda world: Assignment.objects.get(pk=world["objects"]["open_assignment"]).status,
        _only({"reviewer": 302}, 404),
        set(),
    ),
    "reviews:review": (
        {"assignment_id": "assignment"},
        ANSWERS,
        _rating_note("quality"),
        _only({"reviewer": 302}, 404),
        set(),
    ),
    "reviews:review_seen": (
        {"review_id": "review"},
        {},
        _review_field("seen_at"),
        # Leads and the reviewer may read the review but not mark it seen for the reviewee.
        _only({"reviewee": 302, "reviewer": 403, "lead": 403, "staff": 403}, 404),
        set(),
    ),
    "reviews:review_comment": (
        {"review_id": "review"},
        {"body": "Thanks!"},
        lambda world: ReviewComment.objects.count(),
        _only({"reviewee": 302, "reviewer": 302, "lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:highlight_unshare": (
        {"review_id": "highlight"},
        {},
        _review_field("unshared_at", "highlight"),
        # Every teammate sees the highlight; only the team's leads take it back.
        _only({"outsider": 404, "other_lead": 404, "lead": 302, "staff": 302}, 403),
        set(),
    ),
    "reviews:sign_in_unlock": (
        {"team_id": "team"},
        {"user_id": "reviewee_user"},
        lambda world: AccessAttempt.objects.count(),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:team_settings": (
        {"team_id": "team"},
        {
            "reviews_per_week": 7,
            "week_starts_on": 0,
            "week_starts_at": "00:00",
            "time_zone": "UTC",
            "lookback_days": 7,
            "max_lookback_days": 28,
            "lowest_csat_percent": 20,
            "highest_csat_percent": 20,
            "midweek_joiners": "pro_rata",
            "second_opinion_percent": 10,
            "ramp_weeks": 4,
            "ramp_multiplier": 2,
            "dispute_days": 7,
            "spotlight_percent": 0,
            "complaint_tags": "complaint",
            "escalation_tags": "escalation",
            "slow_close_hours": 72,
            "many_back_and_forths": 6,
        },
        lambda world: list(TeamSettings.objects.filter(team=world["objects"]["team"]).values_list("reviews_per_week")),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:criterion_new": (
        {"team_id": "team"},
        CRITERION_FORM,
        _criteria,
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:criterion_edit": (
        {"team_id": "team", "key": "criterion"},
        {**CRITERION_FORM, "name": "Warmth", "scale": "three_point"},
        _criteria,
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:criterion_archive": (
        {"team_id": "team", "key": "criterion"},
        {"version": 1},
        _criteria,
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:criterion_move": (
        {"team_id": "team", "key": "criterion"},
        {"version": 1, "direction": "up"},
        _criteria,
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:invite": (
        {"team_id": "team"},
        {"agent_id": "newcomer"},
        lambda world: Invitation.objects.count(),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:lead_change": (
        {"team_id": "team"},
        {"agent_id": "reviewee_agent", "lead": "yes"},
        lambda world: sorted(Team.objects.get(pk=world["objects"]["team"]).leads.values_list("pk", flat=True)),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:absence_create": (
        {"team_id": "team"},
        {"agent": "reviewee_agent", "starts_on": "2027-03-01", "ends_on": "2027-03-03"},
        lambda world: Absence.objects.count(),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:start_date_set": (
        {"team_id": "team"},
        {"start-agent": "reviewee_agent", "start-started_on": "2026-11-16"},
        lambda world: list(Agent.objects.filter(started_on__isnull=False).values_list("pk", "started_on")),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:review_helpful": (
        {"review_id": "review"},
        {"helpfulness": "2"},
        _review_field("helpfulness"),
        # Leads and the reviewer may read the review but never rate it for the reviewee.
        _only({"reviewee": 302, "reviewer": 403, "lead": 403, "staff": 403}, 404),
        set(),
    ),
    "reviews:dispute_open": (
        {"review_id": "review"},
        {"criterion": "", "reason": "The customer asked for exactly this."},
        lambda world: Dispute.objects.count(),
        _only({"reviewee": 302, "reviewer": 403, "lead": 403, "staff": 403}, 404),
        set(),
    ),
    "reviews:dispute_assign": (
        {"dispute_id": "open_dispute"},
        {"agent": "teammate_agent"},
        lambda world: Dispute.objects.get(pk=world["objects"]["open_dispute"]).resolver_id,
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:absence_delete": (
        {"team_id": "team", "absence_id": "absence"},
        {},
        lambda world: Absence.objects.filter(pk=world["objects"]["absence"]).exists(),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:team_calibrations": (
        {"team_id": "team"},
        {"title": "Week 49", "conversations": "other_conversation", "participants": "participant_agents"},
        lambda world: CalibrationSession.objects.count(),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:calibration_item": (
        {"session_id": "calibration", "item_id": "calibration_item"},
        ANSWERS,
        lambda world: CalibrationScore.objects.filter(item=world["objects"]["calibration_item"]).count(),
        # The reviewee handled the conversation; leads run the session but do not score.
        _only({"reviewer": 302, "reviewee": 403, "lead": 403, "staff": 403}, 404),
        set(),
    ),
    "reviews:calibration_reveal": (
        {"session_id": "calibration"},
        {},
        lambda world: CalibrationSession.objects.get(pk=world["objects"]["calibration"]).revealed_at,
        _only({"reviewer": 403, "reviewee": 403, "lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:calibration_answers": (
        {"session_id": "revealed_calibration", "item_id": "revealed_item"},
        {"quality_level": "2", "quality_reason": "Accurate and complete."},
        lambda world: CalibrationAnswer.objects.count(),
        _only({"reviewer": 403, "reviewee": 403, "lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:conversation_include": (
        {"conversation_id": "set_aside"},
        {"note": "Short, but the refusal is worth coaching."},
        lambda world: Conversation.objects.get(pk=world["objects"]["set_aside"]).exclusion_reason,
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:conversation_send": (
        {"conversation_id": "conversation"},
        {"agent": "teammate_agent", "note": "Please look at the refund."},
        lambda world: Assignment.objects.filter(kind=Assignment.Kind.REQUESTED).count(),
        # Its reviewer and reviewee see the conversation, and may not send it.
        _only({"reviewer": 403, "reviewee": 403, "lead": 302, "staff": 302}, 404),
        set(),
    ),
    # Neither the lead nor staff here is linked to a teammate of their own to review with.
    "reviews:conversation_review_myself": (
        {"conversation_id": "conversation"},
        {},
        lambda world: Assignment.objects.filter(kind=Assignment.Kind.REQUESTED).count(),
        _only({"reviewer": 403, "reviewee": 403, "lead": 403, "staff": 403}, 404),
        set(),
    ),
    "reviews:one_on_one_new": (
        {"team_id": "team", "agent_id": "reviewee_agent"},
        {"held_on": "2026-11-24", "agenda": "Tone", "notes": "Went well.", "action_1": "Read the refund policy"},
        lambda world: OneOnOne.objects.count(),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:one_on_one": (
        {"one_on_one_id": "one_on_one"},
        {"agenda": "Changed", "notes": "Changed too."},
        lambda world: OneOnOne.objects.get(pk=world["objects"]["one_on_one"]).notes,
        # The agent reads it and may not change it.
        _only({"reviewee": 403, "lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:one_on_one_acknowledge": (
        {"one_on_one_id": "one_on_one"},
        {},
        lambda world: OneOnOne.objects.get(pk=world["objects"]["one_on_one"]).acknowledged_at,
        _only({"reviewee": 302, "lead": 403, "staff": 403}, 404),
        set(),
    ),
    "reviews:action_item_mark": (
        {"one_on_one_id": "one_on_one", "item_id": "action_item"},
        {"done": "yes"},
        lambda world: ActionItem.objects.get(pk=world["objects"]["action_item"]).done_at is not None,
        _only({"reviewee": 302, "lead": 302, "staff": 302}, 404),
        set(),
    ),
    # The team's leads, to an Intercom workspace: this one is on the file import.
    "reviews:highlight_publish": (
        {"review_id": "highlight"},
        {},
        lambda world: PublishedArticle.objects.count(),
        _only({"outsider": 404, "other_lead": 404}, 403),
        set(),
    ),
    "reviews:level_example_remove": (
        {"team_id": "team", "example_id": "example"},
        {},
        lambda world: LevelExample.objects.filter(pk=world["objects"]["example"]).exists(),
        _only({"lead": 302, "staff": 302}, 404),
        set(),
    ),
    "reviews:notifications": (
        {},
        {"weekly_email": "on"},
        lambda world: NotificationSettings.objects.count(),
        _only({}, 302),
        set(),
    ),
}
POST_ONLY = {name for name in ACTIONS if name not in PAGES}


def test_every_url_has_rules():
    assert set(url_names()) - PUBLIC == set(PAGES) | POST_ONLY
    assert set(QUERY_BOUNDS) == set(PAGES)


@pytest.mark.parametrize("name", sorted(set(PAGES) | POST_ONLY))
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name):
    kwargs_spec = PAGES[name][0] if name in PAGES else ACTIONS[name][0]
    url = url_for(name, kwargs_spec, world)
    response = client.post(url) if name in POST_ONLY else client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_person_gets_exactly_what_the_rules_say_leaks_nothing_and_writes_nothing(client, world, name):
    kwargs_spec, statuses = PAGES[name]
    for person, expected in statuses.items():
        client.force_login(world["people"][person])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url_for(name, kwargs_spec, world))
            body = body_of(response)  # a streamed file sends its queries as it is read

        assert response.status_code == expected, f"{person} on {name}"
        assert len(queries) <= QUERY_BOUNDS[name], f"{person} on {name}: {len(queries)} queries"
        if expected == 302:
            assert not response.url.startswith(reverse("login")), f"{person} on {name}"
        writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert not writes, f"GET {name} as {person} wrote: {writes}"
        if person in STRANGERS:
            assert SECRET_NOTE.encode() not in body, f"{person} saw the review note on {name}"
            assert SECRET_BODY.encode() not in body, f"{person} saw the transcript on {name}"


@pytest.mark.parametrize("name", sorted(POST_ONLY))
def test_actions_refuse_a_get(client, world, name):
    client.force_login(world["people"]["staff"])

    assert client.get(url_for(name, ACTIONS[name][0], world)).status_code == 405


def _post_as(client, world, name: str, person: str) -> tuple[int, bool]:
    """(status, whether the database changed) for one person posting the action's form."""
    kwargs_spec, data, effect, _, _ = ACTIONS[name]
    form = {key: world["objects"].get(value, value) if isinstance(value, str) else value for key, value in data.items()}
    before = effect(world)
    client.force_login(world["people"][person])
    response = client.post(url_for(name, kwargs_spec, world), form)
    if response.status_code == 302:
        assert not response.url.startswith(reverse("login"))
    return response.status_code, effect(world) != before


def _allowed(name: str) -> list[str]:
    _, _, _, statuses, unchanged = ACTIONS[name]
    return [person for person, status in statuses.items() if status == 302 and person not in unchanged]


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_refused_actions_change_nothing(client, world, name):
    for person, status in ACTIONS[name][3].items():
        if person not in _allowed(name):
            assert _post_as(client, world, name, person) == (status, False), f"{person} on {name}"


@pytest.mark.parametrize("name,person", [(name, person) for name in sorted(ACTIONS) for person in _allowed(name)])
def test_allowed_actions_happen(client, world, name, person):
    assert _post_as(client, world, name, person) == (302, True)
