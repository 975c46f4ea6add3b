"""Weekly quota workflows: make each team's batches, keep them right as people change."""

from __future__ import annotations

import logging
import math
import random
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone

from conversations.models import Agent, Conversation, Team

from ..allocation import Candidate, Mix, allocate
from ..models import AgentWeek, Assignment, MidweekJoiners, ReviewWeek, SkipReason, TeamSettings, week_label

logger = logging.getLogger(__name__)


class QuotaError(Exception):
    """A request the quota rules refuse; the message is shown to the user."""


def team_settings_get(*, team: Team) -> TeamSettings:
    """The team's settings, or the defaults (unsaved) until a lead first saves them: reading
    them never writes, so pages that need them stay read-only."""
    return TeamSettings.objects.filter(team=team).first() or TeamSettings(team=team)


def _lead_user_ids(team: Team) -> set[int]:
    return set(team.leads.values_list("pk", flat=True))


def is_reviewer(agent: Agent) -> bool:
    """Whether the agent gets weekly batches: active, can sign in, and not a lead left out."""
    if agent.team is None or not agent.is_active or agent.user_id is None:
        return False
    return team_settings_get(team=agent.team).leads_review or not agent.team.leads.filter(pk=agent.user_id).exists()


def _reviewers(team: Team, settings: TeamSettings, lead_ids: set[int]) -> list[Agent]:
    """Active teammates who can sign in; leads only if the team says leads review."""
    agents = Agent.objects.filter(team=team, is_active=True, user__isnull=False)
    if not settings.leads_review:
        agents = agents.exclude(user__in=lead_ids)
    return list(agents)


def _candidates(
    *, team: Team, settings: TeamSettings, lead_ids: set[int], closed_from: datetime, closed_before: datetime
) -> list[Candidate]:
    """Reviewable conversations of the team's active agents never handed out or handed back."""
    taken = Assignment.objects.filter(
        conversation=OuterRef("pk"), status__in=[*Assignment.ACTIVE_STATUSES, Assignment.Status.SKIPPED]
    )
    conversations = (
        Conversation.objects.reviewable()
        .filter(
            assignee__team=team,
            assignee__is_active=True,
            closed_at__gte=closed_from,
            closed_at__lt=closed_before,
        )
        .exclude(Exists(taken))
    )
    if not settings.leads_are_reviewed and lead_ids:
        conversations = conversations.exclude(assignee__user__in=lead_ids)
    return [
        Candidate(conversation_id=pk, reviewee_id=assignee_id, csat_rating=rating)
        for pk, assignee_id, rating in conversations.values_list("pk", "assignee_id", "csat_rating").order_by("pk")
    ]


def _previous_pairs(week: ReviewWeek) -> set[tuple[int, int]]:
    previous = ReviewWeek.objects.filter(team_id=week.team_id, starts_at__lt=week.starts_at).order_by("-starts_at")
    return set(Assignment.objects.filter(week__in=previous[:1]).values_list("reviewer_id", "reviewee_id").distinct())


def _assignment_rows(week: ReviewWeek, batches: dict[int, list[Candidate]], kind: str, now: datetime):
    return [
        Assignment(
            week=week,
            reviewer_id=reviewer,
            conversation_id=candidate.conversation_id,
            reviewee_id=candidate.reviewee_id,
            kind=kind,
            created_at=now,
        )
        for reviewer, batch in batches.items()
        for candidate in batch
    ]


def review_week_get_or_create(*, team: Team, starts_at: datetime, seed: int | None = None) -> ReviewWeek:
    settings = team_settings_get(team=team)
    local_start = starts_at.astimezone(settings.zone)
    label = week_label(local_start)
    # Seven local days, not 168 hours: a week that crosses a DST change is 167 or 169 hours.
    ends_at = settings.week_start_for_date(local_start.date() + timedelta(days=7))
    # After a change of start day, a short bridging week would share its name with the week
    # after it; it runs on to the end of that week instead.
    while week_label(ends_at) == label:
        ends_at = settings.week_start_for_date(ends_at.date() + timedelta(days=7))
    return ReviewWeek.objects.get_or_create(
        team=team,
        starts_at=starts_at,
        defaults={
            "label": label,
            "ends_at": ends_at,
            "seed": seed if seed is not None else secrets.randbits(62),
        },
    )[0]


def current_week_start(*, team: Team, now: datetime) -> datetime:
    """When the team's week containing `now` began.

    A week already under way keeps its start even if a lead has since changed the start day
    or time; the new settings take effect when it ends, never overlapping it.
    """
    running = ReviewWeek.objects.filter(team=team, starts_at__lte=now, ends_at__gt=now).first()
    if running is not None:
        return running.starts_at
    start = team_settings_get(team=team).week_start_at(now)
    latest_end = (
        ReviewWeek.objects.filter(team=team, ends_at__lte=now).order_by("-ends_at").values_list("ends_at", flat=True)
    ).first()
    return max(start, latest_end) if latest_end else start


def week_assign(
    *, team: Team, starts_at: datetime | None = None, now: datetime | None = None, seed: int | None = None
) -> ReviewWeek:
    """Make every reviewer's batch for the team's week; running it again changes nothing."""
    now = now or timezone.now()
    settings = team_settings_get(team=team)
    starts_at = starts_at or current_week_start(team=team, now=now)
    week = review_week_get_or_create(team=team, starts_at=starts_at, seed=seed)
    with transaction.atomic():
        # Serialises two assigners of the same week (beat and a lead running the command).
        week = ReviewWeek.objects.select_for_update().get(pk=week.pk)
        if week.assigned_at is not None:
            return week
        lead_ids = _lead_user_ids(team)
        reviewers = _reviewers(team, settings, lead_ids)
        present = [agent for agent in reviewers if not agent.is_away]
        needs = {agent.pk: settings.reviews_per_week for agent in present}

        def closed_in_last(days: int) -> list[Candidate]:
            return _candidates(
                team=team,
                settings=settings,
                lead_ids=lead_ids,
                closed_from=starts_at - timedelta(days=days),
                closed_before=starts_at,
            )

        lookback = settings.lookback_days
        candidates = closed_in_last(lookback)
        if len(candidates) < sum(needs.values()) and settings.max_lookback_days > lookback:
            lookback = settings.max_lookback_days
            candidates = closed_in_last(lookback)
        batches = allocate(
            needs=needs,
            candidates=candidates,
            previous_pairs=_previous_pairs(week),
            mix=Mix(settings.lowest_csat_percent, settings.highest_csat_percent),
            rng=random.Random(week.seed),
        )
        Assignment.objects.bulk_create(_assignment_rows(week, batches, Assignment.Kind.BATCH, now))
        AgentWeek.objects.bulk_create(
            [
                AgentWeek(
                    week=week,
                    agent=agent,
                    quota=0 if agent.is_away else settings.reviews_per_week,
                    required=0 if agent.is_away else len(batches[agent.pk]),
                    is_away=agent.is_away,
                )
                for agent in reviewers
            ]
        )
        week.assigned_at, week.lookback_days_used = now, lookback
        week.save(update_fields=["assigned_at", "lookback_days_used"])
    return week


def quota_refresh(*, week: ReviewWeek, now: datetime | None = None) -> None:
    """Keep a running week right as people change: batches for newcomers, releases for leavers."""
    now = now or timezone.now()
    if week.assigned_at is None or not week.is_open(now):
        return
    team = week.team
    settings = team_settings_get(team=team)
    with transaction.atomic():
        week = ReviewWeek.objects.select_for_update().get(pk=week.pk)
        _release_deactivated(week, now)
        lead_ids = _lead_user_ids(team)
        known = set(week.agent_weeks.values_list("agent_id", flat=True))
        newcomers = [agent for agent in _reviewers(team, settings, lead_ids) if agent.pk not in known]
        if not newcomers:
            return
        quota = settings.reviews_per_week
        if settings.midweek_joiners == MidweekJoiners.PRO_RATA:
            left = (week.ends_at - now) / (week.ends_at - week.starts_at)
            quota = math.ceil(settings.reviews_per_week * left)
        needs = {agent.pk: quota for agent in newcomers if not agent.is_away}
        candidates = _candidates(
            team=team,
            settings=settings,
            lead_ids=lead_ids,
            closed_from=now - timedelta(days=settings.max_lookback_days),
            closed_before=now,
        )
        batches = allocate(needs=needs, candidates=candidates, rng=random.Random(week.seed + len(known)))
        Assignment.objects.bulk_create(_assignment_rows(week, batches, Assignment.Kind.BATCH, now))
        AgentWeek.objects.bulk_create(
            AgentWeek(
                week=week,
                agent=agent,
                quota=0 if agent.is_away else quota,
                required=0 if agent.is_away else len(batches[agent.pk]),
                is_away=agent.is_away,
                joined_midweek=True,
            )
            for agent in newcomers
        )


def _release_deactivated(week: ReviewWeek, now: datetime) -> None:
    """A deactivated agent's open reviews go back to the pool; they are not counted as behind."""
    leaving = Assignment.objects.filter(week=week, status=Assignment.Status.ASSIGNED, reviewer__is_active=False)
    leavers = set(leaving.values_list("reviewer_id", flat=True))
    if not leavers:
        return
    leaving.update(status=Assignment.Status.RELEASED, closed_at=now)
    for agent_week in AgentWeek.objects.filter(week=week, agent_id__in=leavers):
        agent_week.required = min(
            agent_week.quota,
            Assignment.objects.filter(week=week, reviewer_id=agent_week.agent_id, status="completed").count(),
        )
        agent_week.save(update_fields=["required"])


def due_weeks_assign(*, now: datetime | None = None) -> list[ReviewWeek]:
    """For beat: every team whose week has begun gets its batches, then newcomers theirs."""
    now = now or timezone.now()
    weeks = []
    teams = Team.objects.filter(Exists(Agent.objects.filter(team=OuterRef("pk"), is_active=True)))
    for team in teams:
        try:
            week = week_assign(team=team, now=now)
            quota_refresh(week=week, now=now)
        except Exception:
            # One team's trouble must not hold up every other team's week.
            logger.exception("Could not make the weekly batches of team %s", team.pk)
            continue
        weeks.append(week)
    return weeks


def _current_week(agent: Agent, now: datetime) -> ReviewWeek:
    if agent.team is None:
        raise QuotaError("You are not in a team yet, so there is nothing to review. Ask your lead to add you.")
    return week_assign(team=agent.team, now=now)


def assignments_pull(*, agent: Agent, count: int, now: datetime | None = None) -> list[Assignment]:
    """Hand an agent more conversations on demand; two agents pulling at once never share one."""
    if not 1 <= count <= 20:
        raise QuotaError("You can pull between 1 and 20 conversations at a time.")
    now = now or timezone.now()
    week = _current_week(agent, now)
    return _assignments_add(week=week, agent=agent, count=count, kind=Assignment.Kind.PULLED, now=now)


def _assignments_add(*, week: ReviewWeek, agent: Agent, count: int, kind: str, now: datetime) -> list[Assignment]:
    team = week.team
    settings = team_settings_get(team=team)
    candidates = [
        candidate
        for candidate in _candidates(
            team=team,
            settings=settings,
            lead_ids=_lead_user_ids(team),
            closed_from=now - timedelta(days=settings.max_lookback_days),
            closed_before=now,
        )
        if candidate.reviewee_id != agent.pk
    ]
    received = dict(
        Assignment.objects.active()
        .filter(week=week)
        .values_list("reviewee_id")
        .annotate(total=Count("id"))
        .values_list("reviewee_id", "total")
    )
    rng = random.Random()
    # The least-reviewed teammates first keeps pulls fair to reviewees too.
    candidates.sort(key=lambda c: (received.get(c.reviewee_id, 0), rng.random()))
    added: list[Assignment] = []
    with transaction.atomic():
        for candidate in candidates:
            # On PostgreSQL a conversation another puller is taking right now is skipped, not
            # waited for; the unique constraint below is the guarantee on every database.
            free = (
                Conversation.objects.select_for_update(skip_locked=True)
                .filter(pk=candidate.conversation_id)
                .values_list("pk", flat=True)
            )
            if not list(free):
                continue
            try:
                with transaction.atomic():
                    added.append(
                        Assignment.objects.create(
                            week=week,
                            reviewer=agent,
                            conversation_id=candidate.conversation_id,
                            reviewee_id=candidate.reviewee_id,
                            kind=kind,
                            created_at=now,
                        )
                    )
            except IntegrityError:
                continue  # someone else took it a moment ago
            if len(added) == count:
                break
    return added


def assignment_skip(
    *, assignment: Assignment, reason: str, note: str = "", now: datetime | None = None
) -> Assignment | None:
    """Hand a conversation back as not reviewable; returns its replacement, if the pool has one."""
    if reason not in SkipReason.values:
        raise QuotaError("Choose why this conversation cannot be reviewed.")
    if reason == SkipReason.OTHER and not note.strip():
        raise QuotaError("Say in a few words why this conversation cannot be reviewed.")
    now = now or timezone.now()
    if not assignment.week.is_open(now):
        raise QuotaError(f"Week {assignment.week.label} has closed; its conversations can no longer be handed back.")
    skipped = Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.ASSIGNED).update(
        status=Assignment.Status.SKIPPED, skip_reason=reason, skip_note=note.strip(), closed_at=now
    )
    if not skipped:
        raise QuotaError("This conversation is no longer waiting for your review.")
    replacements = _assignments_add(
        week=assignment.week, agent=assignment.reviewer, count=1, kind=Assignment.Kind.REPLACEMENT, now=now
    )
    if not replacements and AgentWeek.objects.filter(week=assignment.week, agent=assignment.reviewer).exists():
        # Nothing to replace it with: the agent is not behind for the team's lack of supply.
        AgentWeek.objects.filter(week=assignment.week, agent=assignment.reviewer, required__gt=0).update(
            required=F("required") - 1
        )
    return replacements[0] if replacements else None


def assignment_complete(*, assignment: Assignment, now: datetime | None = None) -> bool:
    """Marks the review done while its week is open; it counts for the week it belongs to."""
    now = now or timezone.now()
    if not assignment.week.is_open(now):
        return False
    return bool(
        Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.ASSIGNED).update(
            status=Assignment.Status.COMPLETED, completed_at=now
        )
    )
