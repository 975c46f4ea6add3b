"""Weekly quota workflows: make each team's batches, keep them right as people change."""

from __future__ import annotations

import logging
import math
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from conversations.models import Agent, Conversation, Team

from ..allocation import Candidate, Mix, allocate, second_opinions
from ..models import (
    Absence,
    AgentWeek,
    Assignment,
    CalibrationItem,
    MidweekJoiners,
    ReviewWeek,
    SkipReason,
    TeamSettings,
    week_label,
    working_days_present,
)
from ..spotlight import SpotlightRules

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


@dataclass(frozen=True)
class _Crew:
    """What making a team's batches needs to know about its people, read before any lock."""

    team: Team
    settings: TeamSettings
    lead_ids: set[int]
    agents: list[Agent]  # active and able to sign in, leads among them
    starters: dict[int, date]  # agent id -> start date, of active agents who started lately

    def weights(self, week_start: date) -> dict[int, float]:
        """Reviewees on the onboarding ramp in the week starting then, and their weight."""
        weights = {pk: self.settings.ramp_weight(started_on, week_start) for pk, started_on in self.starters.items()}
        return {pk: weight for pk, weight in weights.items() if weight != 1.0}

    @property
    def reviewers(self) -> list[Agent]:
        """Active teammates who can sign in; leads only if the team says leads review."""
        if self.settings.leads_review:
            return self.agents
        return [agent for agent in self.agents if agent.user_id not in self.lead_ids]


# No ramp is longer: a start date before this many weeks ago never weighs.
RAMP_WEEKS_AT_MOST = 26


def _crews_load(teams: list[Team], settings: dict[int, TeamSettings], *, absent_since: date) -> list[_Crew]:
    """Leads, agents, their absences ending on or after `absent_since` and recent starters
    (signed in or not), of any number of teams in four queries, not four a team."""
    ids = [team.pk for team in teams]
    leads: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in Team.leads.through.objects.filter(team_id__in=ids).values_list("team_id", "user_id"):
        leads[team_id].add(user_id)
    agents: dict[int | None, list[Agent]] = defaultdict(list)
    absences = Prefetch("absences", queryset=Absence.objects.filter(ends_on__gte=absent_since))
    for agent in Agent.objects.filter(team_id__in=ids, is_active=True, user__isnull=False).prefetch_related(absences):
        agents[agent.team_id].append(agent)
    starters: dict[int | None, dict[int, date]] = defaultdict(dict)
    recent = Agent.objects.filter(
        team_id__in=ids, is_active=True, started_on__gte=absent_since - timedelta(weeks=RAMP_WEEKS_AT_MOST)
    )
    for team_id, agent_id, started_on in recent.values_list("team_id", "pk", "started_on"):
        if started_on is not None:  # as filtered; said again for the type checker
            starters[team_id][agent_id] = started_on
    return [
        # A team whose lead never saved its settings works with the defaults.
        _Crew(
            team, settings.get(team.pk) or TeamSettings(team=team), leads[team.pk], agents[team.pk], starters[team.pk]
        )
        for team in teams
    ]


def agent_quota(agent: Agent, settings: TeamSettings, week_start: date) -> tuple[int, bool]:
    """(quota, away) for the week whose first local day is `week_start`: the team's quota,
    divided by the agent's onboarding weight, less the share of its working days they are
    away, rounded up; away all week (or in the helpdesk's away mode) is no quota at all.
    Reads `agent.absences` (prefetch them)."""
    if agent.is_away:
        return 0, True
    days_away = [(absence.starts_on, absence.ends_on) for absence in agent.absences.all()]
    present, working = working_days_present(week_start, days_away)
    if present == 0:
        return 0, True
    weight = settings.ramp_weight(agent.started_on, week_start)
    return math.ceil(settings.reviews_per_week * present / working / weight), False


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
        # A calibration showed its participants everyone's scores: not one to review blind.
        .exclude(Exists(CalibrationItem.objects.filter(conversation=OuterRef("pk"))))
    )
    if not settings.leads_are_reviewed and lead_ids:
        conversations = conversations.exclude(assignee__user__in=lead_ids)
    conversations = conversations.order_by("pk")
    if not settings.spotlight_percent:
        # Thousands of rows a team: tuples straight into Candidates, no model instances.
        rows = conversations.annotate(no_signal=Value("")).values_list("pk", "assignee_id", "csat_rating", "no_signal")
        return list(map(Candidate._make, rows))
    rules = SpotlightRules.of(settings)
    measures = conversations.values_list(
        "pk", "assignee_id", "csat_rating", "tags", "customer_sentiment", "reopens", "created_at", "closed_at",
        "back_and_forths",
    )  # fmt: skip
    return [
        Candidate(
            pk,
            assignee_id,
            csat,
            rules.signal(
                tags=tags or (),
                sentiment=sentiment,
                reopens=reopens,
                created_at=created_at,
                closed_at=closed_at,
                back_and_forths=back_and_forths,
            ),
        )
        for pk, assignee_id, csat, tags, sentiment, reopens, created_at, closed_at, back_and_forths in measures
    ]


def _mix(settings: TeamSettings) -> Mix:
    return Mix(settings.lowest_csat_percent, settings.highest_csat_percent, settings.spotlight_percent)


def _previous_pairs(week: ReviewWeek) -> set[tuple[int, int]]:
    previous = ReviewWeek.objects.filter(team_id=week.team_id, starts_at__lt=week.starts_at).order_by("-starts_at")
    # order_by(): the model's ordering would put created_at and id into the DISTINCT.
    pairs = Assignment.objects.filter(week__in=previous[:1]).order_by().values_list("reviewer_id", "reviewee_id")
    return set(pairs.distinct())


def _last_weeks(teams: list[Team], now: datetime) -> tuple[dict[int, datetime], dict[int, set[tuple[int, int]]]]:
    """For each team, when its last finished week ended and that week's (reviewer, reviewee)
    pairs, in two queries for all teams. Weeks never overlap, so the week that ended last is
    the one before a week being made now, running or about to start."""
    ended = ReviewWeek.objects.filter(team__in=teams, ends_at__lte=now)
    last = ended.filter(
        ends_at=Subquery(
            ended.filter(team=OuterRef("team"))
            .order_by()
            .values("team")
            .annotate(latest=Max("ends_at"))
            .values("latest")
        )
    )
    latest_end = dict(last.values_list("team_id", "ends_at"))
    pairs: dict[int, set[tuple[int, int]]] = defaultdict(set)
    rows = (
        Assignment.objects.filter(week__in=last).order_by().values_list("week__team_id", "reviewer_id", "reviewee_id")
    )
    for team_id, reviewer_id, reviewee_id in rows.distinct():
        pairs[team_id].add((reviewer_id, reviewee_id))
    return latest_end, pairs


def _assignment_rows(
    week: ReviewWeek,
    batches: dict[int, list[Candidate]],
    kind: str,
    now: datetime,
    role: str = Assignment.Role.FIRST,
) -> list[Assignment]:
    return [
        Assignment(
            week_id=week.pk,
            reviewer_id=reviewer,
            conversation_id=candidate.conversation_id,
            reviewee_id=candidate.reviewee_id,
            kind=kind,
            role=role,
            picked_because=candidate.reason if kind == Assignment.Kind.BATCH else "",
            created_at=now,
        )
        for reviewer, batch in batches.items()
        for candidate in batch
    ]


def _week_new(*, team: Team, settings: TeamSettings, starts_at: datetime, seed: int | None) -> ReviewWeek:
    """The team's week starting then, not yet saved."""
    local_start = starts_at.astimezone(settings.zone)
    label = week_label(local_start)
    # Seven local days, not 168 hours: a week that crosses a DST change is 167 or 169 hours.
    ends_at = settings.week_start_for_date(local_start.date() + timedelta(days=7))
    # After a change of start day, a short bridging week would share its name with the week
    # after it; it runs on to the end of that week instead.
    while week_label(ends_at) == label:
        ends_at = settings.week_start_for_date(ends_at.date() + timedelta(days=7))
    # In UTC, as the database gives them back: the caller may return this very instance.
    return ReviewWeek(
        team=team,
        label=label,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        seed=seed if seed is not None else secrets.randbits(62),
    )


def review_week_get_or_create(*, team: Team, starts_at: datetime, seed: int | None = None) -> ReviewWeek:
    week = _week_new(team=team, settings=team_settings_get(team=team), starts_at=starts_at, seed=seed)
    return ReviewWeek.objects.get_or_create(
        team=team,
        starts_at=starts_at,
        defaults={"label": week.label, "ends_at": week.ends_at, "seed": week.seed},
    )[0]


def _week_start(*, settings: TeamSettings, now: datetime, latest_end: datetime | None) -> datetime:
    """When the team's next week begins if none is under way: never before the last one ended."""
    start = settings.week_start_at(now)
    return max(start, latest_end) if latest_end else start


def current_week_start(*, team: Team, now: datetime) -> datetime:
    """When the team's week containing `now` began.

    A week already under way keeps its start even if a lead has since changed the start day
    or time; the new settings take effect when it ends, never overlapping it.
    """
    running = ReviewWeek.objects.filter(team=team, starts_at__lte=now, ends_at__gt=now).first()
    if running is not None:
        return running.starts_at
    latest_end = (
        ReviewWeek.objects.filter(team=team, ends_at__lte=now).order_by("-ends_at").values_list("ends_at", flat=True)
    ).first()
    return _week_start(settings=team_settings_get(team=team), now=now, latest_end=latest_end)


def week_assign(
    *, team: Team, starts_at: datetime | None = None, now: datetime | None = None, seed: int | None = None
) -> ReviewWeek:
    """Make every reviewer's batch for the team's week; running it again changes nothing."""
    now = now or timezone.now()
    starts_at = starts_at or current_week_start(team=team, now=now)
    crew = _crews_load([team], {team.pk: team_settings_get(team=team)}, absent_since=_absent_since(starts_at))[0]
    return _week_assign(crew, starts_at=starts_at, now=now, seed=seed)


def _absent_since(starts_at: datetime) -> date:
    """Absences that can touch a week starting then, whatever the team's time zone."""
    return (starts_at - timedelta(days=1)).date()


def _week_assign(
    crew: _Crew,
    *,
    starts_at: datetime,
    now: datetime,
    seed: int | None = None,
    may_exist: bool = True,
    previous_pairs: set[tuple[int, int]] | None = None,
) -> ReviewWeek:
    """`may_exist=False`: the caller has just seen that no week starts then, so none is looked for.
    `previous_pairs`: last week's pairs when the caller has read them, else they are read here."""
    try:
        return _week_assign_once(
            crew, starts_at=starts_at, now=now, seed=seed, may_exist=may_exist, previous_pairs=previous_pairs
        )
    except IntegrityError:
        # Another assigner (beat, a lead's command, a pull) made this week or took one of its
        # conversations while we chose: everything here rolled back; look again under the lock.
        return _week_assign_once(
            crew, starts_at=starts_at, now=now, seed=seed, may_exist=True, previous_pairs=previous_pairs
        )


def _week_assign_once(
    crew: _Crew,
    *,
    starts_at: datetime,
    now: datetime,
    seed: int | None,
    may_exist: bool,
    previous_pairs: set[tuple[int, int]] | None,
) -> ReviewWeek:
    settings = crew.settings
    with transaction.atomic():
        week = None
        if may_exist:
            # Serialises two assigners of the same week (beat and a lead running the command).
            week = ReviewWeek.objects.select_for_update().filter(team=crew.team, starts_at=starts_at).first()
            if week is not None and week.assigned_at is not None:
                return week
        if week is None:
            # Saved only with its batches, so a week that exists has them (or was made by
            # review_week_get_or_create); the unique start sends a second maker to the retry.
            week = _week_new(team=crew.team, settings=settings, starts_at=starts_at, seed=seed)
        reviewers = crew.reviewers
        first_day = starts_at.astimezone(settings.zone).date()
        quotas = {agent.pk: agent_quota(agent, settings, first_day) for agent in reviewers}
        needs = {pk: quota for pk, (quota, away) in quotas.items() if not away}

        def closed_in_last(days: int) -> list[Candidate]:
            return _candidates(
                team=crew.team,
                settings=settings,
                lead_ids=crew.lead_ids,
                closed_from=starts_at - timedelta(days=days),
                closed_before=starts_at,
            )

        lookback = settings.lookback_days
        candidates = closed_in_last(lookback)
        if len(candidates) < sum(needs.values()) and settings.max_lookback_days > lookback:
            lookback = settings.max_lookback_days
            candidates = closed_in_last(lookback)
        rng = random.Random(week.seed)
        batches = allocate(
            needs=needs,
            candidates=candidates,
            previous_pairs=_previous_pairs(week) if previous_pairs is None else previous_pairs,
            mix=_mix(settings),
            rng=rng,
            weights=crew.weights(first_day),
        )
        seconds = second_opinions(assigned=batches, percent=settings.second_opinion_percent, rng=rng)
        week.assigned_at, week.lookback_days_used = now, lookback
        if week.pk is None:
            week.save(force_insert=True)
        else:
            week.save(update_fields=["assigned_at", "lookback_days_used"])
        Assignment.objects.bulk_create(
            _assignment_rows(week, batches, Assignment.Kind.BATCH, now)
            + _assignment_rows(week, seconds, Assignment.Kind.BATCH, now, role=Assignment.Role.SECOND)
        )
        AgentWeek.objects.bulk_create(
            [
                AgentWeek(
                    week_id=week.pk,
                    agent_id=agent.pk,
                    quota=quotas[agent.pk][0],
                    # Second opinions count toward the quota like any review.
                    required=len(batches.get(agent.pk, ())) + len(seconds.get(agent.pk, ())),
                    is_away=quotas[agent.pk][1],
                )
                for agent in reviewers
            ]
        )
    return week


def quota_refresh(*, week: ReviewWeek, now: datetime | None = None) -> None:
    """Keep a running week right as people change: batches for newcomers, releases for leavers."""
    now = now or timezone.now()
    if week.assigned_at is None or not week.is_open(now):
        return
    team = week.team
    crew = _crews_load([team], {team.pk: team_settings_get(team=team)}, absent_since=_absent_since(week.starts_at))[0]
    _quota_refresh(crew, week=week, now=now)


def _quota_refresh(crew: _Crew, *, week: ReviewWeek, now: datetime) -> None:
    settings = crew.settings
    with transaction.atomic():
        week = ReviewWeek.objects.select_for_update().get(pk=week.pk)
        _release_deactivated(week, now)
        # Read under the lock: a second refresh of the same week finds the first one's newcomers.
        known = set(week.agent_weeks.values_list("agent_id", flat=True))
        newcomers = [agent for agent in crew.reviewers if agent.pk not in known]
        if not newcomers:
            return
        quota = settings.reviews_per_week
        if settings.midweek_joiners == MidweekJoiners.PRO_RATA:
            left = (week.ends_at - now) / (week.ends_at - week.starts_at)
            quota = math.ceil(settings.reviews_per_week * left)
        first_day = week.starts_at.astimezone(settings.zone).date()
        quotas = {}
        for agent in newcomers:
            share, away = agent_quota(agent, settings, first_day)
            quotas[agent.pk] = (min(quota, share), away)
        needs = {pk: share for pk, (share, away) in quotas.items() if not away}
        candidates = _candidates(
            team=crew.team,
            settings=settings,
            lead_ids=crew.lead_ids,
            closed_from=now - timedelta(days=settings.max_lookback_days),
            closed_before=now,
        )
        batches = allocate(
            needs=needs,
            candidates=candidates,
            mix=_mix(settings),
            rng=random.Random(week.seed + len(known)),
            weights=crew.weights(first_day),
        )
        Assignment.objects.bulk_create(_assignment_rows(week, batches, Assignment.Kind.BATCH, now))
        AgentWeek.objects.bulk_create(
            AgentWeek(
                week_id=week.pk,
                agent_id=agent.pk,
                quota=quotas[agent.pk][0],
                required=len(batches.get(agent.pk, ())),
                is_away=quotas[agent.pk][1],
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
    completed = (
        Assignment.objects.toward_quota()
        .filter(week=week, reviewer=OuterRef("agent_id"), status=Assignment.Status.COMPLETED)
        .order_by()
        .values("reviewer")
        .annotate(total=Count("pk"))
        .values("total")
    )
    # One UPDATE for every leaver, however many left.
    AgentWeek.objects.filter(week=week, agent_id__in=leavers).update(
        required=Least(F("quota"), Coalesce(Subquery(completed), 0))
    )


def due_weeks_assign(*, now: datetime | None = None) -> list[ReviewWeek]:
    """For beat: every team whose week has begun gets its batches, and newcomers to a running
    week theirs (pro rata), whether or not they ever open a page.

    Hourly, so it costs a few queries for all teams together; a team costs its own only when
    its week needs making or someone joined or left it since the last run.
    """
    now = now or timezone.now()
    teams = list(
        Team.objects.filter(Exists(Agent.objects.filter(team=OuterRef("pk"), is_active=True))).select_related(
            "review_settings"
        )
    )
    # hasattr: a team nobody has configured has no settings row yet.
    crews = _crews_load(
        teams,
        {team.pk: team.review_settings for team in teams if hasattr(team, "review_settings")},
        # A week made now began at most a week ago.
        absent_since=_absent_since(now - timedelta(days=7)),
    )
    running = {
        week.team_id: week for week in ReviewWeek.objects.filter(team__in=teams, starts_at__lte=now, ends_at__gt=now)
    }
    to_make = [team for team in teams if team.pk not in running or running[team.pk].assigned_at is None]
    latest_end, previous_pairs = _last_weeks(to_make, now) if to_make else ({}, {})
    changed = _weeks_with_people_changes([week for week in running.values() if week.assigned_at is not None], crews)
    weeks = []
    for crew in crews:
        week = running.get(crew.team.pk)
        try:
            if week is None:
                starts_at = _week_start(settings=crew.settings, now=now, latest_end=latest_end.get(crew.team.pk))
                week = _week_assign(
                    crew,
                    starts_at=starts_at,
                    now=now,
                    may_exist=False,
                    previous_pairs=previous_pairs.get(crew.team.pk, set()),
                )
            elif week.assigned_at is None:
                week = _week_assign(
                    crew, starts_at=week.starts_at, now=now, previous_pairs=previous_pairs.get(crew.team.pk, set())
                )
            elif week.pk in changed:
                _quota_refresh(crew, week=week, now=now)
        except Exception:
            # One team's trouble must not hold up every other team's week.
            logger.exception("Could not make the weekly batches of team %s", crew.team.pk)
            continue
        weeks.append(week)
    return weeks


def _weeks_with_people_changes(weeks: list[ReviewWeek], crews: list[_Crew]) -> set[int]:
    """Running weeks with a reviewer who has no batch yet or a leaver whose reviews are open."""
    if not weeks:
        return set()
    known: dict[int, set[int]] = defaultdict(set)
    for week_id, agent_id in AgentWeek.objects.filter(week__in=weeks).values_list("week_id", "agent_id"):
        known[week_id].add(agent_id)
    week_of_team = {week.team_id: week.pk for week in weeks}
    changed = {
        week_of_team[crew.team.pk]
        for crew in crews
        if crew.team.pk in week_of_team
        and any(agent.pk not in known[week_of_team[crew.team.pk]] for agent in crew.reviewers)
    }
    leaving = Assignment.objects.filter(week__in=weeks, status=Assignment.Status.ASSIGNED, reviewer__is_active=False)
    return changed | set(leaving.values_list("week_id", flat=True).distinct())


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
        .toward_quota()
        .filter(week=week)
        .values_list("reviewee_id")
        .annotate(total=Count("id"))
        .values_list("reviewee_id", "total")
    )
    first_day = week.starts_at.astimezone(settings.zone).date()
    starters = Agent.objects.filter(team=team, started_on__gte=first_day - timedelta(weeks=RAMP_WEEKS_AT_MOST))
    weight = {
        pk: settings.ramp_weight(started_on, first_day) for pk, started_on in starters.values_list("pk", "started_on")
    }
    rng = random.Random()
    # The least-reviewed teammates first (for their weight) keeps pulls fair to reviewees too.
    candidates.sort(key=lambda c: (received.get(c.reviewee_id, 0) / weight.get(c.reviewee_id, 1.0), rng.random()))
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
    requested = assignment.kind == Assignment.Kind.REQUESTED
    if not requested and not assignment.week.is_open(now):
        raise QuotaError(f"Week {assignment.week.label} has closed; its conversations can no longer be handed back.")
    skipped = Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.ASSIGNED).update(
        status=Assignment.Status.SKIPPED, skip_reason=reason, skip_note=note.strip(), closed_at=now
    )
    if not skipped:
        raise QuotaError("This conversation is no longer waiting for your review.")
    if requested:
        return None  # outside the batch: nothing to replace, and the lead sees it handed back
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
    """Marks the review done while it may be written (`Assignment.is_reviewable`); it counts
    for the week it belongs to."""
    now = now or timezone.now()
    if not assignment.is_reviewable(now):
        return False
    return bool(
        Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.ASSIGNED).update(
            status=Assignment.Status.COMPLETED, completed_at=now
        )
    )


def absence_add(*, agent: Agent, starts_on: date, ends_on: date, by: User, now: datetime | None = None) -> Absence:
    """Mark a teammate away. Weeks made later shrink their quota; a running week shrinks it
    now, and hands back to the pool the batch conversations they will not get to."""
    now = now or timezone.now()
    absence = Absence(agent=agent, starts_on=starts_on, ends_on=ends_on, created_by=by, created_at=now)
    absence.full_clean()
    with transaction.atomic():
        absence.save()
        if agent.team is not None:
            _running_week_shrink(agent, agent.team, now)
    return absence


def _running_week_shrink(agent: Agent, team: Team, now: datetime) -> None:
    week = ReviewWeek.objects.select_for_update().filter(team=team, starts_at__lte=now, ends_at__gt=now).first()
    agent_week = AgentWeek.objects.filter(week=week, agent=agent).first() if week else None
    if week is None or agent_week is None:
        return
    settings = team_settings_get(team=team)
    quota, away = agent_quota(agent, settings, week.starts_at.astimezone(settings.zone).date())
    if quota >= agent_week.quota:
        return
    mine = Assignment.objects.toward_quota().filter(week=week, reviewer=agent)
    completed = mine.filter(status=Assignment.Status.COMPLETED).count()
    open_batch = mine.filter(status=Assignment.Status.ASSIGNED, kind=Assignment.Kind.BATCH).order_by("-pk")
    surplus = list(open_batch.values_list("pk", flat=True)[: max(0, open_batch.count() + completed - quota)])
    Assignment.objects.filter(pk__in=surplus).update(status=Assignment.Status.RELEASED, closed_at=now)
    agent_week.quota, agent_week.is_away = quota, away
    agent_week.required = min(agent_week.required, quota)
    agent_week.save(update_fields=["quota", "required", "is_away"])


def absence_remove(*, absence: Absence) -> None:
    """Forget an absence entered by mistake; weeks already made keep the quota they were given."""
    absence.delete()
