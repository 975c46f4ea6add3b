"""Read-side queries: the current week, completion per agent and team, skips per reason,
feedback, trends. Nothing here writes; scoping to what a person may see is reviews.access."""

from __future__ import annotations

import statistics
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, cast

import numpy as np
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, Least, Lower, Trim
from django.utils import timezone

from conversations.models import Agent, Conversation, Team

from . import agreement, services
from .access import own_rating_due
from .models import (
    CSAT_OUTSIDE_AGENT,
    LOW_CSAT_AT_MOST,
    Absence,
    ActionItem,
    AgentWeek,
    Assignment,
    CalibrationAnswer,
    CalibrationItem,
    CalibrationScore,
    CalibrationSession,
    CsatCause,
    Dispute,
    FocusItem,
    Helpfulness,
    Invitation,
    LevelExample,
    OneOnOne,
    Rating,
    Review,
    ReviewQuerySet,
    ReviewWeek,
    Scale,
    Scorecard,
    SelfReview,
    TeamSettings,
)
from .scorecards import (
    DEFAULT_SPEC,
    SCORECARD_PREFETCH,
    CriterionSpec,
    LevelSpec,
    ScorecardSpec,
    criterion_spec,
    scorecard_spec,
)
from .search import with_tag
from .spotlight import STRONGLY_NEGATIVE


def scorecard_now(*, team: Team | None) -> ScorecardSpec:
    """The team's latest scorecard version, or the default until a review first saves it
    (and for an agent in no team)."""
    return scorecard_spec(services.scorecard_latest(team=team) if team is not None else None)


def scorecard_of_review(review: Review) -> ScorecardSpec:
    """The version a review was made with, which it shows for ever: from its ratings, which
    hold every criterion of it (`with_ratings`, and `with_people` for the version)."""
    return ScorecardSpec(
        version=review.scorecard.version,
        criteria=tuple(criterion_spec(rating.criterion) for rating in review.ratings.all()),
        pk=review.scorecard_id,
    )


def asks_csat_cause(conversation: Conversation) -> bool:
    """A low CSAT rating: the reviewer says whether it was the agent's doing."""
    return conversation.csat_rating is not None and conversation.csat_rating <= LOW_CSAT_AT_MOST


def current_week(agent: Agent) -> ReviewWeek | None:
    """The agent's team's week under way, once its batch has been made."""
    if agent.team is None:
        return None
    starts_at = services.current_week_start(team=agent.team, now=timezone.now())
    return ReviewWeek.objects.filter(team=agent.team, starts_at=starts_at).first()


def has_reviews_to_do(agent: Agent) -> bool:
    """Conversations handed to the agent in a week still running, or sent by a lead, and not
    yet reviewed."""
    return Assignment.objects.filter(
        Q(week__ends_at__gt=timezone.now()) | Q(kind=Assignment.Kind.REQUESTED),
        reviewer=agent,
        status=Assignment.Status.ASSIGNED,
    ).exists()


def previous_week(week: ReviewWeek) -> ReviewWeek | None:
    return ReviewWeek.objects.filter(team=week.team_id, starts_at__lt=week.starts_at).order_by("-starts_at").first()


def counted_toward_quota(completed: int, required: int) -> int:
    """Reviews beyond what the week required are welcome but do not lift completion past 100%."""
    return min(completed, required)


@dataclass(frozen=True)
class AgentCompletion:
    """An agent's week with its assigned and completed counts: the KPI, never the scores."""

    agent_week: AgentWeek
    assigned: int
    completed: int

    @property
    def agent(self) -> Agent:
        return self.agent_week.agent

    @property
    def quota(self) -> int:
        return self.agent_week.quota

    @property
    def required(self) -> int:
        return self.agent_week.required

    @property
    def shortfall(self) -> int:
        return self.agent_week.shortfall

    @property
    def is_away(self) -> bool:
        return self.agent_week.is_away

    @property
    def joined_midweek(self) -> bool:
        return self.agent_week.joined_midweek

    @property
    def remaining(self) -> int:
        return self.required - counted_toward_quota(self.completed, self.required)

    @property
    def is_behind(self) -> bool:
        return self.remaining > 0


def week_completion(
    week: ReviewWeek, *, agent: Agent | None = None, agent_ids: list[int] | None = None
) -> list[AgentCompletion]:
    """Required, assigned and completed reviews per agent (or one agent, or some): the KPI.
    Scores play no part."""
    # Only this week's assignments are joined (on the (week, reviewer) index), not every
    # assignment each agent ever had.
    # Conversations a lead sent are counted apart (`lead_requests`).
    this_week = FilteredRelation(
        "agent__assignments_to_review",
        condition=Q(agent__assignments_to_review__week=week)
        & ~Q(agent__assignments_to_review__kind=Assignment.Kind.REQUESTED),
    )
    agent_weeks = AgentWeek.objects.filter(week=week)
    if agent is not None:
        agent_weeks = agent_weeks.filter(agent=agent)
    if agent_ids is not None:
        agent_weeks = agent_weeks.filter(agent__in=agent_ids)
    rows = (
        agent_weeks.select_related("agent__user")
        .annotate(
            this_week=this_week,
            assigned=Count("this_week", filter=Q(this_week__status__in=Assignment.ACTIVE_STATUSES)),
            completed=Count("this_week", filter=Q(this_week__status=Assignment.Status.COMPLETED)),
        )
        .order_by("agent__name")
    )
    return [AgentCompletion(agent_week=row, assigned=row.assigned, completed=row.completed) for row in rows]


def team_completion_percent(rows: list[AgentCompletion]) -> int | None:
    required = sum(row.required for row in rows)
    if not required:
        return None
    return round(100 * sum(counted_toward_quota(row.completed, row.required) for row in rows) / required)


def skip_counts(week: ReviewWeek) -> dict[str, int]:
    rows = (
        Assignment.objects.toward_quota()
        .filter(week=week, status=Assignment.Status.SKIPPED)
        .values("skip_reason")
        .annotate(total=Count("id"))
        .order_by()
    )
    return {row["skip_reason"]: row["total"] for row in rows}


def assignments_for_reviewer(*, agent: Agent, week: ReviewWeek) -> QuerySet[Assignment]:
    return (
        Assignment.objects.toward_quota()
        .filter(week=week, reviewer=agent)
        .exclude(status=Assignment.Status.RELEASED)
        .select_related("conversation", "reviewee")
        .order_by("status", "created_at")
    )


@dataclass(frozen=True)
class BatchProgress:
    """Where one conversation sits in its reviewer's week: conversation 2 of the 6 in their
    list, 1 of the 5 required done (as My week counts it), what comes next."""

    position: int
    total: int  # conversations in the list, pulled ones too
    done: int
    required: int  # the week's required reviews, as on My week
    next_id: int | None  # the next conversation still to review, after this one or else before


def batch_progress(assignment: Assignment) -> BatchProgress:
    """In two queries; the order is the order conversations were handed out, which a review
    does not change."""
    rows = list(
        Assignment.objects.toward_quota()
        .filter(week_id=assignment.week_id, reviewer_id=assignment.reviewer_id, status__in=Assignment.ACTIVE_STATUSES)
        .order_by("created_at", "pk")
        .values_list("pk", "status")
    )
    ids = [pk for pk, _ in rows]
    here = ids.index(assignment.pk) if assignment.pk in ids else len(ids)
    to_do = [pk for pk, status in rows if status == Assignment.Status.ASSIGNED and pk != assignment.pk]
    after = [pk for pk in to_do if ids.index(pk) > here]
    required = AgentWeek.objects.filter(week_id=assignment.week_id, agent_id=assignment.reviewer_id)
    return BatchProgress(
        position=here + 1,
        total=len(ids),
        done=sum(status == Assignment.Status.COMPLETED for _, status in rows),
        required=required.values_list("required", flat=True).first() or 0,
        next_id=next(iter(after or to_do), None),
    )


@dataclass(frozen=True)
class SecondOpinion:
    """The other review of a conversation two teammates review the same week."""

    shared: bool  # someone else reviews this conversation too
    review: Review | None  # theirs, once the reader may see it (access.visible_reviews)


def second_opinion(assignment: Assignment, *, visible: ReviewQuerySet) -> SecondOpinion:
    others = Assignment.objects.active().filter(week_id=assignment.week_id, conversation_id=assignment.conversation_id)
    if not others.exclude(pk=assignment.pk).exists():
        return SecondOpinion(shared=False, review=None)
    review = (
        visible.filter(assignment__week_id=assignment.week_id, conversation_id=assignment.conversation_id)
        .exclude(assignment=assignment)
        .with_people()
        .with_ratings()
        .first()
    )
    return SecondOpinion(shared=True, review=review)


def reviews_for_export(
    *, weeks: list[ReviewWeek], start: date | None, end: date | None, reviewee_id: int | None
) -> ReviewQuerySet:
    """The reviews made in these weeks, reviewed between the dates (inclusive), of one agent."""
    reviews = Review.objects.filter(assignment__week__in=weeks)
    if start:
        reviews = reviews.filter(created_at__date__gte=start)
    if end:
        reviews = reviews.filter(created_at__date__lte=end)
    if reviewee_id is not None:
        reviews = reviews.filter(reviewee_id=reviewee_id)
    return reviews


def weeks_between(weeks: list[ReviewWeek], start: date | None, end: date | None) -> list[ReviewWeek]:
    """The weeks with a day between the dates (inclusive), dated as the review export dates reviews."""
    return [
        week
        for week in weeks
        if (start is None or timezone.localdate(week.ends_at - timedelta(microseconds=1)) >= start)
        and (end is None or timezone.localdate(week.starts_at) <= end)
    ]


def feedback_for(agent: Agent, *, week_label: str = "") -> ReviewQuerySet:
    """Reviews of the agent's own conversations, newest first."""
    reviews = (
        Review.objects.filter(reviewee=agent).with_people().with_ratings().annotate(comment_count=Count("comments"))
    )
    if week_label:
        reviews = reviews.filter(assignment__week__label=week_label)
    return reviews.order_by("-created_at", "-id")


@dataclass(frozen=True)
class CriterionSummary:
    criterion: CriterionSpec
    counts: list[tuple[str, int]]  # (level label, ratings at that level), lowest first
    not_applicable: int
    score: float | None  # mean of the ratings' places on their scales


@dataclass(frozen=True)
class LevelSummary:
    """An agent's ratings so far: a running picture for them, not a ranking against others."""

    reviews: int
    score: float | None
    criteria: list[CriterionSummary]
    csat_low: int  # reviews that asked about a low CSAT rating
    csat_outside: int  # of those, outside the agent's control


RatingCounts = dict[tuple[int | None, str], dict[tuple[str, int | None], tuple[int, float]]]


def _rating_counts(reviews: QuerySet[Review], *, by_week: bool) -> RatingCounts:
    """(week id or None, criterion key) -> {(scale, level): (ratings, sum of their scores)}, in
    one query. A criterion is followed by its key across versions; its levels are compared
    only on the same scale, its score on any."""
    week = "review__assignment__week_id" if by_week else None
    fields = [field for field in (week, "criterion__key", "criterion__scale", "level") if field]
    rows = (
        Rating.objects.filter(review__in=reviews.order_by().values("pk"))
        .values(*fields)
        .annotate(total=Count("id"), score_sum=Sum("score"))
        .order_by()
        .values_list(*fields, "total", "score_sum")
    )
    counts: RatingCounts = {}
    for row in rows:
        *group, scale, level, total, score_sum = row if by_week else (None, *row)
        counts.setdefault(tuple(group), {})[(scale, level)] = (total, score_sum or 0.0)
    return counts


def _criterion_summary(criterion: CriterionSpec, counts: RatingCounts, week_id: int | None) -> CriterionSummary:
    levels = counts.get((week_id, criterion.key), {})
    rated = [value for (_, level), value in levels.items() if level is not None]
    total = sum(number for number, _ in rated)
    return CriterionSummary(
        criterion=criterion,
        counts=[(level.label, levels.get((criterion.scale, level.value), (0, 0.0))[0]) for level in criterion.levels],
        not_applicable=sum(number for (_, level), (number, _) in levels.items() if level is None),
        score=sum(score for _, score in rated) / total if total else None,
    )


def level_summary(reviews: QuerySet[Review], *, scorecard: ScorecardSpec) -> LevelSummary:
    """Counts per level of each criterion of the scorecard, the mean quality score and the
    low CSAT ratings in context: two queries."""
    counts = _rating_counts(reviews, by_week=False)
    totals = reviews.order_by().aggregate(
        reviews=Count("id"),
        score=Avg("score"),
        csat_low=Count("id", filter=~Q(csat_cause="")),
        csat_outside=Count("id", filter=Q(csat_cause__in=CSAT_OUTSIDE_AGENT)),
    )
    return LevelSummary(
        reviews=totals["reviews"],
        score=totals["score"],
        criteria=[_criterion_summary(criterion, counts, None) for criterion in scorecard.criteria],
        csat_low=totals["csat_low"],
        csat_outside=totals["csat_outside"],
    )


def reviews_written_by(agent: Agent) -> ReviewQuerySet:
    return (
        Review.objects.filter(reviewer=agent)
        .with_people()
        .with_ratings()
        .annotate(comment_count=Count("comments"))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class HighlightFilters:
    team_id: int | None = None
    criterion: str = ""  # a criterion key
    level: int | None = None  # with `criterion`: rated at this level
    tag: str = ""


def team_highlights(
    visible: ReviewQuerySet, team_ids: list[int] | None, filters: HighlightFilters = HighlightFilters()
) -> ReviewQuerySet:
    """Of the reviews the reader may see (`access.visible_reviews`), the highlights of these
    teams, narrowed by team, a criterion rated at a level, and a conversation tag."""
    reviews = visible.highlights().with_people().with_ratings().select_related("published_article")
    if team_ids is not None:
        reviews = reviews.filter(assignment__week__team__in=team_ids)
    if filters.team_id is not None:
        reviews = reviews.filter(assignment__week__team=filters.team_id)
    if filters.criterion:
        rated = Rating.objects.filter(review=OuterRef("pk"), criterion__key=filters.criterion)
        if filters.level is not None:
            rated = rated.filter(level=filters.level)
        reviews = reviews.filter(Exists(rated))
    if filters.tag:
        reviews = reviews.filter(conversation__in=with_tag(Conversation.objects.all(), filters.tag).values("pk"))
    return reviews.order_by("-created_at", "-id")


def highlight_criteria(team_ids: list[int] | None) -> list[CriterionSpec]:
    """The criteria of these teams' scorecards now (the default's for a team without one yet),
    each key once: what the highlights library filters by."""
    scorecards = Scorecard.objects.all() if team_ids is None else Scorecard.objects.filter(team__in=team_ids)
    newest = Scorecard.objects.filter(team=OuterRef("team")).order_by("-version").values("pk")[:1]
    # Each team's newest version with its criteria and their levels, in three queries however
    # many teams; the filter needs no more of them.
    latest = scorecards.filter(pk=Subquery(newest)).prefetch_related("criteria__levels").order_by("team__name")
    criteria: dict[str, CriterionSpec] = {}
    teams_with_one = 0
    for scorecard in latest:
        teams_with_one += 1
        for criterion in sorted(scorecard.criteria.all(), key=lambda criterion: criterion.position):
            levels = tuple(LevelSpec(level.value, level.label) for level in criterion.levels.all())
            criteria.setdefault(criterion.key, CriterionSpec(criterion.key, criterion.name, criterion.scale, levels))
    teams = Team.objects.count() if team_ids is None else len(team_ids)
    if teams_with_one < teams:  # a team on the default scorecard still
        for spec in DEFAULT_SPEC.criteria:
            criteria.setdefault(spec.key, spec)
    return list(criteria.values())


def acknowledgement_rate(week: ReviewWeek) -> int | None:
    # From the week's assignments, each looking up its review (one at most) on the index: a
    # join lets PostgreSQL read every review ever written instead.
    reviewed = Review.objects.filter(assignment=OuterRef("pk"))
    counts = (
        Assignment.objects.toward_quota()
        .filter(week=week)
        .aggregate(
            total=Count("id", filter=Exists(reviewed)),
            seen=Count("id", filter=Exists(reviewed.filter(seen_at__isnull=False))),
        )
    )
    return round(100 * counts["seen"] / counts["total"]) if counts["total"] else None


@dataclass
class WeekCell:
    required: int = 0
    completed: int = 0
    quota: int = 0
    is_away: bool = False
    present: bool = False


class AgentName(NamedTuple):
    """An agent as a list of names needs them: a big team's 500 without model instances."""

    pk: int
    name: str


@dataclass
class TeamWeeks:
    weeks: list[ReviewWeek]
    agents: list[AgentName]  # everyone with a batch in these weeks, by name
    totals: dict[int, tuple[int, int]]  # week id -> (completed within required, required)

    def percent(self, week: ReviewWeek) -> int | None:
        done, required = self.totals.get(week.pk, (0, 0))
        return round(100 * done / required) if required else None

    def percents(self) -> list[tuple[ReviewWeek, int | None]]:
        return [(week, self.percent(week)) for week in self.weeks]


def _completed_in_week() -> Coalesce:
    """An agent-week's completed reviews, counted on the (week, reviewer) index."""
    completed = (
        Assignment.objects.toward_quota()
        .filter(week=OuterRef("week"), reviewer=OuterRef("agent"), status=Assignment.Status.COMPLETED)
        .order_by()
        .values("reviewer")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(completed, output_field=IntegerField()), 0)


def team_weeks(team: Team, *, weeks: int = 8) -> TeamWeeks:
    """The team's last N weeks, who had a batch in them and each week's completion, in three
    queries whatever the team's size. The week totals are summed in the database: a year of a
    big team is tens of thousands of agent-weeks, and a page shows a few of them
    (`team_week_cells`)."""
    recent = list(ReviewWeek.objects.filter(team=team).order_by("-starts_at")[:weeks])
    recent.reverse()
    sums = (
        AgentWeek.objects.filter(week__in=recent)
        .annotate(completed=_completed_in_week())
        .order_by()
        .values("week_id")
        .annotate(
            within=Sum(Least("completed", "required", output_field=IntegerField())),
            required_total=Sum("required"),
        )
        .values_list("week_id", "within", "required_total")
    )
    totals = {week_id: (within or 0, required or 0) for week_id, within, required in sums}
    names = (
        Agent.objects.filter(pk__in=AgentWeek.objects.filter(week__in=recent).values("agent_id"))
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
    return TeamWeeks(weeks=recent, agents=list(map(AgentName._make, names)), totals=totals)


def team_week_cells(weeks: list[ReviewWeek], agent_ids: list[int]) -> dict[tuple[int, int], WeekCell]:
    """(agent id, week id) -> completion, for the agents a page shows, in one query."""
    rows = (
        AgentWeek.objects.filter(week__in=weeks, agent__in=agent_ids)
        .annotate(completed=_completed_in_week())
        .values_list("agent_id", "week_id", "required", "completed", "quota", "is_away")
    )
    return {
        (agent_id, week_id): WeekCell(required, completed, quota, is_away, True)
        for agent_id, week_id, required, completed, quota, is_away in rows
    }


@dataclass(frozen=True)
class WeekTrend:
    label: str
    reviews: int
    score: float | None  # the mean quality score of the week's reviews
    criteria: dict[str, CriterionSummary]  # by criterion key, the scorecard's criteria only
    csat_low: int
    csat_outside: int

    def shares(self, key: str) -> list[tuple[str, int]]:
        """Each level's share of the criterion's ratings that week (N/A left out), lowest first."""
        summary = self.criteria[key]
        rated = sum(count for _, count in summary.counts)
        return [(label, _percent(count, rated)) for label, count in summary.counts]

    @property
    def share_rows(self) -> list[list[tuple[str, int]]]:
        """The shares of every criterion, in the scorecard's order: a table's row."""
        return [self.shares(key) for key in self.criteria]

    @property
    def csat_outside_percent(self) -> int | None:
        return _percent(self.csat_outside, self.csat_low) if self.csat_low else None


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def review_trends(*, reviews: QuerySet[Review], weeks: list[ReviewWeek], scorecard: ScorecardSpec) -> list[WeekTrend]:
    """Per week: each criterion's levels and score, the quality score and low CSAT in
    context, for the criteria of `scorecard` (the team's current one): two queries."""
    reviews = reviews.filter(assignment__week__in=weeks)
    counts = _rating_counts(reviews, by_week=True)
    rows = (
        reviews.values("assignment__week_id")
        .annotate(
            total=Count("id"),
            score=Avg("score"),
            csat_low=Count("id", filter=~Q(csat_cause="")),
            csat_outside=Count("id", filter=Q(csat_cause__in=CSAT_OUTSIDE_AGENT)),
        )
        .order_by()
    )
    by_week: dict[int, Any] = {row["assignment__week_id"]: row for row in rows}
    trends = []
    for week in weeks:
        row = by_week.get(week.pk, {})
        trends.append(
            WeekTrend(
                label=week.label,
                reviews=row.get("total", 0),
                score=row.get("score"),
                criteria={
                    criterion.key: _criterion_summary(criterion, counts, week.pk) for criterion in scorecard.criteria
                },
                csat_low=row.get("csat_low", 0),
                csat_outside=row.get("csat_outside", 0),
            )
        )
    return trends


@dataclass(frozen=True)
class CauseCounts:
    criterion: CriterionSpec
    low_ratings: int  # ratings at the criterion's low levels in the weeks
    causes: list[tuple[str, int]]  # root cause, times ticked; most often first


@dataclass(frozen=True)
class TeamReport:
    trends: list[WeekTrend]
    causes: list[CauseCounts]  # the criteria with root causes, in the scorecard's order
    csat: list[tuple[str, int]]  # low CSAT ratings by what the reviewer said caused them
    csat_low: int
    csat_outside: int

    @property
    def csat_outside_percent(self) -> int | None:
        return _percent(self.csat_outside, self.csat_low) if self.csat_low else None


def team_report(team: Team, *, weeks: list[ReviewWeek], scorecard: ScorecardSpec) -> TeamReport:
    """The score per criterion and week, the root causes ticked per criterion (the checklist
    steps most often missed, which point at unclear documentation rather than at people) and
    low CSAT in context, for the current scorecard's criteria: five queries."""
    reviews = Review.objects.filter(assignment__week__team=team, assignment__week__in=weeks)
    in_weeks = Rating.objects.filter(review__in=reviews.order_by().values("pk"))
    ticked: dict[str, dict[str, int]] = {}
    for key, label, total in (
        Rating.root_causes.through.objects.filter(rating__in=in_weeks.values("pk"))
        .values("rating__criterion__key", "rootcause__label")
        .annotate(total=Count("pk"))
        .order_by()
        .values_list("rating__criterion__key", "rootcause__label", "total")  # type: ignore[misc]
    ):
        ticked.setdefault(key, {})[label] = ticked.get(key, {}).get(label, 0) + total
    low = dict(
        in_weeks.filter(level__lte=F("criterion__low_levels"))
        .values("criterion__key")
        .annotate(total=Count("pk"))
        .order_by()
        .values_list("criterion__key", "total")
    )
    by_cause = dict(
        reviews.exclude(csat_cause="")
        .values("csat_cause")
        .annotate(total=Count("pk"))
        .order_by()
        .values_list("csat_cause", "total")
    )
    return TeamReport(
        trends=review_trends(reviews=reviews, weeks=weeks, scorecard=scorecard),
        causes=[
            CauseCounts(
                criterion=criterion,
                low_ratings=low.get(criterion.key, 0),
                causes=sorted(
                    ((label, ticked.get(criterion.key, {}).get(label, 0)) for label in criterion.root_causes),
                    key=lambda pair: -pair[1],
                ),
            )
            for criterion in scorecard.criteria
            if criterion.root_causes
        ],
        csat=[(label, by_cause.get(value, 0)) for value, label in CsatCause.choices],
        csat_low=sum(by_cause.values()),
        csat_outside=sum(by_cause.get(value, 0) for value in CSAT_OUTSIDE_AGENT),
    )


def scorecard_versions(team: Team) -> QuerySet[Scorecard]:
    """The team's versions, newest first, with how many reviews each was used for."""
    return (
        Scorecard.objects.filter(team=team)
        .select_related("created_by")
        .annotate(review_count=Count("reviews"))
        .order_by("-version")
    )


def agent_coaching(agent: Agent, *, weeks: list[ReviewWeek], scorecard: ScorecardSpec) -> dict:
    """Reviews given and received per week, and the levels received: coaching, not the KPI."""
    given = dict(
        Review.objects.filter(reviewer=agent, assignment__week__in=weeks)
        .values("assignment__week_id")
        .annotate(total=Count("id"))
        .order_by()
        .values_list("assignment__week_id", "total")
    )
    received = review_trends(reviews=Review.objects.filter(reviewee=agent), weeks=weeks, scorecard=scorecard)
    return {
        "weeks": [(week, given.get(week.pk, 0), trend) for week, trend in zip(weeks, received, strict=True)],
        "notes": Review.objects.filter(reviewee=agent, assignment__week__in=weeks)
        .with_people()
        .with_ratings()
        .order_by("-created_at")[:100],
    }


def locked_out_members(team: Team) -> QuerySet[Agent]:
    """Teammates whose sign-in axes has paused (too many wrong passwords, from some address)."""
    # Axes keeps a row per (email, address, browser) and pauses a pair when its rows add up
    # to the limit; it counts by the email as typed, normalised (carousel.auth.email_normalised).
    # The paused emails first: there are seldom any, and then the teammates need no look.
    paused = set(
        AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )
    if not paused:
        return Agent.objects.none()
    return (
        Agent.objects.filter(team=team, user__isnull=False)
        .annotate(email_lower=Lower(Trim("user__email")))
        .filter(email_lower__in=paused)
        .select_related("user")
        .order_by("name")
    )


@dataclass(frozen=True)
class Teammate:
    """One row of a team's people page."""

    agent: Agent
    is_lead: bool
    invitation: Invitation | None  # the unused one still open, if any
    absences: list[Absence]  # today's and later ones
    ramp_weight: float  # this week's onboarding weight: 1 once past the ramp
    weeks_since_one_on_one: int | None  # None: never had one

    @property
    def ramp_percent(self) -> int:
        return round(100 * self.ramp_weight)


@dataclass(frozen=True)
class TeamPeople:
    teammates: list[Teammate]
    other_leads: list[Any]  # leads with no helpdesk teammate in the team (users)


def team_people(team: Team, *, today: date, now: datetime) -> TeamPeople:
    """The team's active teammates with their account, lead role, open invitation, coming
    absences, onboarding weight and last 1:1, and its other leads, in five queries however many."""
    settings_ = services.team_settings_get(team=team)
    week_start = settings_.week_start_at(now).date()
    leads = list(team.leads.order_by("email"))
    lead_ids = {lead.pk for lead in leads}
    agents = (
        Agent.objects.filter(team=team, is_active=True)
        .select_related("user")
        .annotate(
            last_one_on_one=Max(
                "one_on_ones__held_on", filter=Q(one_on_ones__team=team, one_on_ones__held_on__lte=today)
            )
        )
        .prefetch_related(
            Prefetch(
                "invitations",
                queryset=Invitation.objects.filter(accepted_at__isnull=True, expires_at__gt=now),
                to_attr="open_invitations",
            ),
            Prefetch("absences", queryset=Absence.objects.filter(ends_on__gte=today), to_attr="coming_absences"),
        )
    )
    teammates = [
        Teammate(
            agent=agent,
            is_lead=agent.user_id in lead_ids,
            invitation=agent.open_invitations[0] if agent.open_invitations else None,
            absences=agent.coming_absences,
            ramp_weight=settings_.ramp_weight(agent.started_on, week_start),
            weeks_since_one_on_one=(today - agent.last_one_on_one).days // 7 if agent.last_one_on_one else None,
        )
        for agent in agents
    ]
    linked = {teammate.agent.user_id for teammate in teammates}
    return TeamPeople(teammates, [lead for lead in leads if lead.pk not in linked])


# --- Agreement between reviewers (second opinions) ------------------------------------------


@dataclass(frozen=True)
class _Opinions:
    """The conversations two teammates reviewed in the same week: per (week, conversation),
    each reviewer's {criterion key: (scale, level, score)}."""

    by_conversation: dict[tuple[int, int], dict[int, dict[str, tuple[str, int | None, float | None]]]]


def _opinions(weeks: list[ReviewWeek], *, reviewer: Agent | None = None) -> _Opinions:
    """In one query; `reviewer`: only the conversations they were one of the two on."""
    seconded = Assignment.objects.filter(
        week__in=weeks, role=Assignment.Role.SECOND, status=Assignment.Status.COMPLETED
    )
    if reviewer is not None:
        reviewed = Review.objects.filter(reviewer=reviewer, assignment__week__in=weeks).values("conversation")
        seconded = seconded.filter(conversation__in=reviewed)
    # A lead may send the same conversation to a third reviewer: agreement is the two's.
    rows = Rating.objects.filter(
        review__assignment__week__in=weeks,
        review__conversation__in=seconded.values("conversation"),
        review__assignment__kind__in=[kind for kind in Assignment.Kind.values if kind != Assignment.Kind.REQUESTED],
    ).values_list(
        "review__assignment__week_id",
        "review__conversation_id",
        "review__reviewer_id",
        "criterion__key",
        "criterion__scale",
        "level",
        "score",
    )
    by_conversation: dict[tuple[int, int], dict[int, dict[str, tuple[str, int | None, float | None]]]] = {}
    for week_id, conversation_id, reviewer_id, key, scale, level, score in rows.order_by():
        by_conversation.setdefault((week_id, conversation_id), {}).setdefault(reviewer_id, {})[key] = (
            scale,
            level,
            score,
        )
    return _Opinions({pair: reviews for pair, reviews in by_conversation.items() if len(reviews) >= 2})


def _units(opinions: _Opinions, criterion: CriterionSpec) -> tuple[np.ndarray, np.ndarray]:
    """The week of each conversation and its `agreement.value_counts`: how many reviewers
    gave each level of the criterion, on the criterion's own scale."""
    week_ids, units = [], []
    for (week_id, _), reviews in opinions.by_conversation.items():
        week_ids.append(week_id)
        units.append(
            [
                rating[1]
                for ratings in reviews.values()
                if (rating := ratings.get(criterion.key)) is not None and rating[0] == criterion.scale
            ]
        )
    return np.asarray(week_ids, dtype=np.int64), agreement.value_counts(units, criterion.size)


def _score_pairs(opinions: _Opinions) -> list[tuple[int, int, int, float, float]]:
    """(conversation, reviewer, other reviewer, their score, the other's) per criterion both rated."""
    pairs = []
    for (_, conversation_id), reviews in opinions.by_conversation.items():
        (first, mine), (second, theirs) = list(reviews.items())[:2]
        for key, (scale, _, score) in mine.items():
            other = theirs.get(key)
            if other is not None and other[0] == scale and score is not None and other[2] is not None:
                pairs.append((conversation_id, first, second, score, other[2]))
    return pairs


@dataclass(frozen=True)
class CriterionAgreement:
    criterion: CriterionSpec
    overall: agreement.Agreement

    @property
    def measure(self) -> str:
        return "nominal" if self.criterion.size == 2 else "ordinal"


@dataclass(frozen=True)
class PeriodAgreement:
    label: str
    values: list[tuple[float | None, int]]  # (alpha, conversations) per criterion


@dataclass(frozen=True)
class ReviewerLeniency:
    agent: Agent
    leniency: agreement.Leniency


@dataclass(frozen=True)
class ReviewerHelpfulness:
    agent: Agent
    rated: int  # reviews their reviewees rated
    very: int  # of them, "very helpful"
    mean: float  # 1 (not helpful) to 3 (very helpful)

    @property
    def very_percent(self) -> int:
        return round(100 * self.very / self.rated)


@dataclass(frozen=True)
class TeamAgreement:
    conversations: int  # reviewed by two teammates in the window
    criteria: list[CriterionAgreement]
    periods: list[PeriodAgreement]
    reviewers: list[ReviewerLeniency]
    helpfulness: list[ReviewerHelpfulness]
    calibrate_below: float = agreement.CALIBRATE_BELOW

    @property
    def to_calibrate(self) -> list[CriterionAgreement]:
        return [row for row in self.criteria if row.overall.calibrate]


# The trend's periods: alpha on one week's few second opinions would be mostly noise.
TREND_PERIOD_WEEKS = 4


def team_agreement(team: Team, *, weeks: list[ReviewWeek], scorecard: ScorecardSpec) -> TeamAgreement:
    """Agreement per criterion of the current scorecard over the weeks (oldest first), its
    trend in four-week periods, each reviewer's leniency and how helpful their reviewees
    found their reviews: three queries."""
    opinions = _opinions(weeks)
    periods = [weeks[start : start + TREND_PERIOD_WEEKS] for start in range(0, len(weeks), TREND_PERIOD_WEEKS)]
    criteria, by_period = [], []
    for criterion in scorecard.criteria:
        nominal = criterion.size == 2
        week_ids, counts = _units(opinions, criterion)
        criteria.append(CriterionAgreement(criterion, agreement.agreement_of(counts, nominal=nominal)))
        # Alpha rests on sums over conversations, so a period is a slice of the same counts.
        in_periods = [counts[np.isin(week_ids, [week.pk for week in period])] for period in periods]
        by_period.append(
            [(agreement.alpha_of(part, nominal=nominal), agreement.rated_twice(part)) for part in in_periods]
        )
    labels = [period[0].label if len(period) == 1 else f"{period[0].label} to {period[-1].label}" for period in periods]
    trend = [PeriodAgreement(label, [values[index] for values in by_period]) for index, label in enumerate(labels)]
    rows = agreement.leniency(_score_pairs(opinions))
    helpfulness = list(
        Review.objects.filter(assignment__week__in=weeks, helpfulness__isnull=False)
        .order_by()
        .values("reviewer")
        .annotate(rated=Count("pk"), very=Count("pk", filter=Q(helpfulness=Helpfulness.VERY)), mean=Avg("helpfulness"))
        .values_list("reviewer", "rated", "very", "mean")
    )
    agents = Agent.objects.in_bulk({row.reviewer_id for row in rows} | {row[0] for row in helpfulness})
    return TeamAgreement(
        conversations=len(opinions.by_conversation),
        criteria=criteria,
        periods=trend,
        reviewers=[ReviewerLeniency(agents[row.reviewer_id], row) for row in rows],
        helpfulness=sorted(
            (ReviewerHelpfulness(agents[reviewer], rated, very, mean) for reviewer, rated, very, mean in helpfulness),
            key=lambda row: (-row.mean, row.agent.name),
        ),
    )


OWN_LENIENCY_WEEKS = 12


def own_leniency(agent: Agent) -> agreement.Leniency | None:
    """The reviewer's own leniency beside the other reviewers of the same conversations, over
    the last twelve weeks they reviewed in."""
    wrote = Review.objects.filter(reviewer=agent, assignment__week=OuterRef("pk"))
    weeks = list(ReviewWeek.objects.filter(Exists(wrote)).order_by("-starts_at")[:OWN_LENIENCY_WEEKS])
    rows = agreement.leniency(_score_pairs(_opinions(weeks, reviewer=agent)))
    return next((row for row in rows if row.reviewer_id == agent.pk), None)


# --- Disputes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeRate:
    label: str  # a criterion's name, or "The whole review"
    resolved: int
    changed: int

    @property
    def accepted_percent(self) -> int | None:
        return round(100 * self.changed / self.resolved) if self.resolved else None


@dataclass(frozen=True)
class ReviewerDisputes:
    agent: Agent
    disputes: int
    changed: int


@dataclass(frozen=True)
class OpenDispute:
    dispute: Dispute
    age_days: int
    criterion_label: str


@dataclass(frozen=True)
class TeamDisputes:
    open: list[OpenDispute]  # oldest first
    resolved: int
    median_days_to_resolve: float | None
    by_criterion: list[DisputeRate]
    by_reviewer: list[ReviewerDisputes]


def team_disputes(team: Team, *, weeks: list[ReviewWeek], scorecard: ScorecardSpec, now: datetime) -> TeamDisputes:
    """The team's open disputes (any week) and, for reviews of these weeks, how disputes
    ended per criterion, how long they took and how many each reviewer's reviews drew:
    three queries."""
    names = {criterion.key: criterion.name for criterion in scorecard.criteria}

    def label(key: str) -> str:
        return names.get(key, key) or "The whole review"

    open_disputes = [
        OpenDispute(dispute, (now - dispute.opened_at).days, label(dispute.criterion_key))
        for dispute in Dispute.objects.filter(review__assignment__week__team=team, status=Dispute.Status.OPEN)
        .select_related("review__conversation", "review__reviewer", "review__reviewee", "resolver")
        .order_by("opened_at", "pk")
    ]
    rows = list(
        Dispute.objects.filter(review__assignment__week__in=weeks).values_list(
            "criterion_key", "status", "opened_at", "resolved_at", "review__reviewer_id"
        )
    )
    rates: dict[str, list[int]] = {}
    per_reviewer: dict[int, list[int]] = {}
    durations = []
    for key, status, opened_at, resolved_at, reviewer_id in rows:
        counts = per_reviewer.setdefault(reviewer_id, [0, 0])
        counts[0] += 1
        counts[1] += status == Dispute.Status.CHANGED
        if status == Dispute.Status.OPEN or resolved_at is None:
            continue
        rate = rates.setdefault(key, [0, 0])
        rate[0] += 1
        rate[1] += status == Dispute.Status.CHANGED
        durations.append((resolved_at - opened_at).total_seconds() / 86400)
    agents = Agent.objects.in_bulk(per_reviewer)
    order = ["", *names]
    return TeamDisputes(
        open=open_disputes,
        resolved=len(durations),
        median_days_to_resolve=statistics.median(durations) if durations else None,
        by_criterion=[
            DisputeRate(label(key), *rates[key])
            for key in sorted(rates, key=lambda key: (order.index(key) if key in order else len(order), key))
        ],
        by_reviewer=sorted(
            (ReviewerDisputes(agents[pk], total, changed) for pk, (total, changed) in per_reviewer.items()),
            key=lambda row: (-row.disputes, row.agent.name),
        ),
    )


# --- Calibration sessions -------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    conversation: Conversation
    disagreed: bool  # its two reviewers gave it different scores


def calibration_candidates(team: Team, *, now: datetime, limit: int = 40) -> list[Candidate]:
    """What a lead may calibrate on: first the conversations whose two reviewers disagreed in
    the last eight weeks (the drift a session is for), then the team's latest reviewable ones."""
    disagreed_ids = set(
        Review.objects.filter(assignment__week__team=team, created_at__gte=now - timedelta(weeks=8))
        .values("conversation")
        .annotate(reviews=Count("pk"), low=Min("score"), high=Max("score"))
        .filter(reviews__gte=2, low__lt=F("high"))
        .values_list("conversation", flat=True)[:limit]
    )
    # Not one a teammate still has to review: a session would show them others' scores first.
    waiting = Assignment.objects.filter(conversation=OuterRef("pk"), status=Assignment.Status.ASSIGNED)
    conversations = (
        Conversation.objects.reviewable()
        .filter(team=team)
        .exclude(Exists(waiting))
        .select_related("assignee")
        .order_by("-closed_at", "-id")
    )
    disagreed = list(conversations.filter(pk__in=disagreed_ids))
    recent = conversations.filter(closed_at__gte=now - timedelta(days=28)).exclude(pk__in=disagreed_ids)[
        : max(limit - len(disagreed), 0)
    ]
    return [Candidate(conversation, True) for conversation in disagreed] + [
        Candidate(conversation, False) for conversation in recent
    ]


@dataclass(frozen=True)
class SessionRow:
    session: CalibrationSession
    conversations: int
    participants: int
    scored: int  # participants who scored at least once


def calibration_sessions(team: Team) -> list[SessionRow]:
    sessions = CalibrationSession.objects.filter(team=team).annotate(
        conversation_count=Count("items", distinct=True),
        participant_count=Count("participants", distinct=True),
        scored_count=Count("items__scores__participant", distinct=True),
    )
    return [
        SessionRow(session, session.conversation_count, session.participant_count, session.scored_count)
        for session in sessions
    ]


@dataclass(frozen=True)
class MySession:
    session: CalibrationSession
    to_score: int  # conversations the agent scores in it
    scored: int


# How long a revealed session stays on My week: the meeting that discusses it.
REVEALED_SHOWN_DAYS = 14


def calibrations_of(agent: Agent, *, now: datetime) -> list[MySession]:
    """The sessions the agent takes part in: those still blind with conversations for them to
    score, and those revealed in the last two weeks."""
    sessions = (
        CalibrationSession.objects.filter(participants=agent)
        .filter(Q(revealed_at__isnull=True) | Q(revealed_at__gte=now - timedelta(days=REVEALED_SHOWN_DAYS)))
        .annotate(
            to_score=Count("items", filter=~Q(items__handler=agent), distinct=True),
            scored=Count("items", filter=Q(items__scores__participant=agent), distinct=True),
        )
    )
    return [
        MySession(session, session.to_score, session.scored)
        for session in sessions
        if session.to_score or session.is_revealed
    ]


@dataclass(frozen=True)
class LevelSpread:
    label: str
    count: int
    names: list[str]  # who chose it
    agreed: bool  # the level the session agreed on


@dataclass(frozen=True)
class CriterionSpread:
    criterion: CriterionSpec
    levels: list[LevelSpread]  # every level of the scale, lowest first, N/A last if chosen
    scored: int
    apart: str  # "all agreed", "split" (yes/no, or N/A beside a level), "2 levels apart"; "" unscored
    notes: list[tuple[str, str]]  # (who, note)
    agreed: CalibrationAnswer | None

    @property
    def agreed_label(self) -> str:
        return self.criterion.label_of(self.agreed.level) if self.agreed is not None else ""


@dataclass(frozen=True)
class ItemBoard:
    item: CalibrationItem
    scorers: int  # participants who score it (all but who handled it)
    scored_by: set[int]  # agent ids
    spread: list[CriterionSpread]  # empty until revealed


@dataclass(frozen=True)
class ParticipantProgress:
    agent: Agent
    scored: int
    to_score: int


@dataclass(frozen=True)
class CalibrationBoard:
    session: CalibrationSession
    scorecard: ScorecardSpec
    items: list[ItemBoard]
    participants: list[ParticipantProgress]
    # Krippendorff's alpha per criterion over the session's conversations; None below two.
    alphas: list[tuple[CriterionSpec, float | None]]

    @property
    def scores_in(self) -> int:
        return sum(len(item.scored_by) for item in self.items)

    @property
    def scores_expected(self) -> int:
        return sum(item.scorers for item in self.items)


def calibration_scorecard(session: CalibrationSession) -> ScorecardSpec:
    """The version the session scores on, fixed when it started."""
    return scorecard_spec(Scorecard.objects.prefetch_related(*SCORECARD_PREFETCH).get(pk=session.scorecard_id))


def _apart(criterion: CriterionSpec, levels: list[int | None]) -> str:
    """How far a criterion's scores are from agreeing, in a few words."""
    if not levels:
        return ""
    if len(set(levels)) == 1:
        return "all agreed"
    chosen = [level for level in levels if level is not None]
    if criterion.scale == Scale.YES_NO or len(set(chosen)) <= 1:
        return "split"
    apart = max(chosen) - min(chosen)
    return f"{apart} level{'s' if apart > 1 else ''} apart"


def calibration_board(session: CalibrationSession, *, revealed: bool) -> CalibrationBoard:
    """Who has scored what; once `revealed`, the spread of levels per conversation and criterion,
    the agreed answers and alpha. In six queries, whatever the session's size."""
    scorecard = calibration_scorecard(session)
    items = list(session.items.select_related("conversation"))
    participants = sorted(session.participants.all(), key=lambda agent: agent.name)
    names = {agent.pk: agent.name for agent in participants}
    # Only who can still score counts toward "4 of 6": not a teammate since deactivated.
    able = [agent for agent in participants if agent.is_active and agent.user_id is not None]
    scores = list(
        CalibrationScore.objects.filter(item__session=session).values_list(
            "item_id", "participant_id", "criterion__key", "level", "note"
        )
    )
    answers = {
        (answer.item_id, answer.criterion.key): answer
        for answer in CalibrationAnswer.objects.filter(item__session=session).select_related("criterion")
    }
    scored_by: dict[int, set[int]] = {}
    levels: dict[tuple[int, str], list[tuple[int, int | None, str]]] = {}
    for item_id, participant_id, key, level, note in scores:
        scored_by.setdefault(item_id, set()).add(participant_id)
        levels.setdefault((item_id, key), []).append((participant_id, level, note))
    boards = []
    for item in items:
        scorers = sum(1 for agent in able if agent.pk != item.handler_id)
        spread = []
        if revealed:
            for criterion in scorecard.criteria:
                given = sorted(levels.get((item.pk, criterion.key), []), key=lambda row: names.get(row[0], ""))
                agreed = answers.get((item.pk, criterion.key))
                rows = [
                    LevelSpread(
                        level.label,
                        sum(1 for _, chosen_level, _ in given if chosen_level == level.value),
                        [names.get(who, "") for who, chosen_level, _ in given if chosen_level == level.value],
                        agreed is not None and agreed.level == level.value,
                    )
                    for level in criterion.levels
                ]
                not_applicable = [names.get(who, "") for who, chosen_level, _ in given if chosen_level is None]
                if not_applicable:
                    rows.append(
                        LevelSpread(
                            "N/A", len(not_applicable), not_applicable, agreed is not None and agreed.level is None
                        )
                    )
                spread.append(
                    CriterionSpread(
                        criterion=criterion,
                        levels=rows,
                        scored=len(given),
                        apart=_apart(criterion, [level for _, level, _ in given]),
                        notes=[(names.get(who, ""), note) for who, _, note in given if note],
                        agreed=agreed,
                    )
                )
        boards.append(ItemBoard(item, scorers, scored_by.get(item.pk, set()), spread))
    progress = [
        ParticipantProgress(
            agent,
            sum(1 for board in boards if agent.pk in board.scored_by),
            sum(1 for item in items if item.handler_id != agent.pk),
        )
        for agent in participants
    ]
    alphas = []
    if revealed:
        for criterion in scorecard.criteria:
            units = [[level for _, level, _ in levels.get((item.pk, criterion.key), [])] for item in items]
            alphas.append(
                (
                    criterion,
                    agreement.alpha(units, size=criterion.size, nominal=criterion.scale == Scale.YES_NO),
                )
            )
    return CalibrationBoard(session, scorecard, boards, progress, alphas)


def level_examples(team: Team | None) -> QuerySet[LevelExample]:
    """The team's agreed examples of its scorecard's levels, shown on the review form."""
    if team is None:
        return LevelExample.objects.none()
    return LevelExample.objects.filter(team=team).select_related("conversation")


@dataclass(frozen=True)
class ExampleRow:
    example: LevelExample
    criterion: str
    level: str


def level_example_rows(team: Team, scorecard: ScorecardSpec) -> list[ExampleRow]:
    """The examples as the scorecard page lists them, named by today's version; one of a
    criterion archived since is named by its key, one of an earlier scale by its number."""
    rows = []
    for example in level_examples(team):
        criterion = scorecard.criterion(example.criterion_key)
        if criterion is None:
            rows.append(ExampleRow(example, example.criterion_key, f"level {example.level}"))
        elif example.scale != criterion.scale:
            # Not shown on the review form: its level belongs to the criterion's earlier scale.
            rows.append(ExampleRow(example, criterion.name, f"level {example.level} of an earlier scale"))
        else:
            rows.append(ExampleRow(example, criterion.name, criterion.label_of(example.level)))
    return rows


@dataclass(frozen=True)
class OwnRatingRow:
    criterion: CriterionSpec
    own: str  # the agent's own level's label
    reviewer: str
    gap: int | None  # reviewer's level minus the agent's: negative, the agent rated themselves higher


def own_rating_gap(review: Review) -> list[OwnRatingRow] | None:
    """The agent's own rating of the reviewed conversation beside the review's (with_ratings);
    None if they did not rate it. Compared by criterion key on the review's scale."""
    own = SelfReview.objects.filter(conversation_id=review.conversation_id, agent_id=review.reviewee_id).first()
    if own is None:
        return None
    own_levels = dict(own.ratings.values_list("criterion__key", "level"))
    rows = []
    for rating in review.ratings.all():
        spec = criterion_spec(rating.criterion)
        if rating.criterion.key not in own_levels:
            continue
        level = own_levels[rating.criterion.key]
        rows.append(
            OwnRatingRow(
                spec,
                spec.label_of(level),
                spec.label_of(rating.level),
                None if level is None or rating.level is None else rating.level - level,
            )
        )
    return rows


def own_ratings_due(agent: Agent) -> QuerySet[Conversation]:
    """The agent's conversations whose reviews wait for the agent's own rating first."""
    waiting = Review.objects.filter(own_rating_due(agent))
    return Conversation.objects.filter(pk__in=waiting.values("conversation")).order_by("-closed_at", "-id").distinct()


# --- Conversations a lead sent for review -----------------------------------------------------


def assignment_of(agent: Agent, conversation: Conversation) -> Assignment | None:
    """The agent's own active assignment of the conversation, if they have one."""
    return Assignment.objects.active().filter(conversation=conversation, reviewer=agent).first()


def request_reviewers(conversation: Conversation) -> QuerySet[Agent]:
    """Who a lead may send the conversation to: its team's active teammates but its handler."""
    return (
        Agent.objects.filter(team=conversation.team, is_active=True)
        .exclude(conversations=conversation)
        .order_by("name")
    )


def conversation_requests(conversation: Conversation) -> QuerySet[Assignment]:
    """Who the conversation was sent to, by whom, and where it stands."""
    return (
        Assignment.objects.filter(conversation=conversation, kind=Assignment.Kind.REQUESTED)
        .exclude(status=Assignment.Status.RELEASED)
        .select_related("reviewer", "requested_by")
        .order_by("-created_at", "-pk")
    )


def requests_for_reviewer(agent: Agent, week: ReviewWeek | None) -> QuerySet[Assignment]:
    """On My week: what leads sent the agent still to review, whatever its week, and this
    week's done or handed back."""
    shown = Q(status=Assignment.Status.ASSIGNED)
    if week is not None:
        shown |= Q(week=week, status__in=[Assignment.Status.COMPLETED, Assignment.Status.SKIPPED])
    return (
        Assignment.objects.filter(shown, reviewer=agent, kind=Assignment.Kind.REQUESTED)
        .select_related("conversation", "reviewee", "requested_by")
        .order_by("status", "created_at", "pk")
    )


def week_requests(week: ReviewWeek) -> QuerySet[Assignment]:
    """On the team's week: the conversations its leads sent that week, counted apart."""
    return (
        Assignment.objects.filter(week=week, kind=Assignment.Kind.REQUESTED)
        .exclude(status=Assignment.Status.RELEASED)
        .select_related("conversation", "reviewer", "reviewee", "requested_by")
        .order_by("status", "created_at", "pk")
    )


# --- Recurring complaints ---------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintRow:
    topic: str
    source: str  # how it is counted: "tag", "reviewers" or "sentiment"
    counts: list[int]  # per week, oldest first

    @property
    def total(self) -> int:
        return sum(self.counts)


def recurring_complaints(team: Team, *, weeks: list[ReviewWeek], settings: TeamSettings) -> list[ComplaintRow]:
    """Complaint topics per week, most frequent first: the team's complaint tags on the
    conversations closed in each week, the topics its reviewers picked in each week's reviews,
    and customers strongly negative without a complaint tag; a conversation several reviewers
    gave one topic counts once. Two queries whatever the span. A conversation closed between two
    weeks (a week with no batch) is in no column."""
    if not weeks:
        return []
    complaint_tags = settings.complaint_tag_list
    starts = [week.starts_at for week in weeks]
    index = {week.pk: position for position, week in enumerate(weeks)}
    by_tag = {tag: [0] * len(weeks) for tag in complaint_tags}
    negative = [0] * len(weeks)
    conversations = Conversation.objects.filter(
        team=team, closed_at__gte=weeks[0].starts_at, closed_at__lt=weeks[-1].ends_at
    ).values_list("closed_at", "tags", "customer_sentiment")
    for closed_at, tags, sentiment in conversations.order_by():
        closed = cast(datetime, closed_at)  # closed in the span: never None
        position = bisect_right(starts, closed) - 1
        if closed >= weeks[position].ends_at:
            continue
        lowered = {tag.lower() for tag in tags or ()}
        matched = [tag for tag in complaint_tags if tag in lowered]
        for tag in matched:
            by_tag[tag][position] += 1
        if not matched and sentiment is not None and sentiment <= STRONGLY_NEGATIVE:
            negative[position] += 1
    picked: dict[str, list[int]] = {}
    chosen = (
        Review.objects.filter(assignment__week__in=weeks)
        .exclude(complaint_topic="")
        .values_list("assignment__week_id", "complaint_topic")
        .annotate(total=Count("conversation", distinct=True))
        .order_by()
    )
    for week_id, topic, total in chosen:
        picked.setdefault(topic, [0] * len(weeks))[index[week_id]] += total
    rows = [ComplaintRow(f"tagged “{tag}”", "tag", counts) for tag, counts in by_tag.items()]
    rows += [ComplaintRow(topic, "reviewers", counts) for topic, counts in picked.items()]
    rows.append(ComplaintRow("strongly negative customer, no complaint tag", "sentiment", negative))
    return sorted(rows, key=lambda row: -row.total)


# --- Focus items ----------------------------------------------------------------------------------


def focus_to_follow(assignment: Assignment) -> FocusItem | None:
    """The earlier focus a reviewer says happened or not: the one this review followed up, or
    else the reviewee's open focus set by someone else before the conversation closed (before
    it, the agent could not have tried it)."""
    followed = Q(follow_up__assignment=assignment)
    closed_at = assignment.conversation.closed_at
    open_one = (
        Q(agent_id=assignment.reviewee_id, outcome="", replaced_at__isnull=True, created_at__lte=closed_at)
        & ~Q(review__reviewer_id=assignment.reviewer_id)
        if closed_at is not None
        else Q(pk__in=[])
    )
    # In one query: the one followed up first, else the newest open one.
    return (
        FocusItem.objects.filter(followed | open_one)
        .order_by(Case(When(followed, then=0), default=1), "-created_at", "-pk")
        .first()
    )


def focus_of_review(review: Review | None) -> FocusItem | None:
    return FocusItem.objects.filter(review=review).first() if review is not None else None


def focus_chain(agent: Agent, *, team: Team | None = None, hidden: Q | None = None, limit: int = 26) -> list[FocusItem]:
    """The agent's focus items, newest first, each with who set it and who followed it up;
    `team`: only those set in its reviews (a lead's rights follow the team); `hidden`: the
    reviews the reader may not read yet, whose focus is left out and whose follow-up is not told."""
    items = FocusItem.objects.filter(agent=agent)
    if team is not None:
        items = items.filter(review__assignment__week__team=team)
    if hidden is None:
        return list(
            items.select_related("review__reviewer", "review__assignment__week", "follow_up__reviewer").order_by(
                "-created_at", "-pk"
            )[:limit]
        )
    unread = set(Review.objects.filter(hidden).values_list("pk", flat=True))
    shown = []
    for item in items.select_related("review__assignment__week").order_by("-created_at", "-pk")[:limit]:
        if item.review_id in unread:
            continue
        if item.follow_up_id in unread:
            # Told once the agent may read the review that said it (not saved).
            item.outcome, item.followed_at, item.follow_up = "", None, None
        shown.append(item)
    return shown


# --- 1:1 coaching -------------------------------------------------------------------------------

AGENDA_REVIEWS = 5  # the lowest-scored reviews the agenda lists; it counts them all
AGENDA_WEEKS = 4  # how far back a first 1:1 looks


def one_on_one_agenda(agent: Agent, *, team: Team, today: date) -> str:
    """The agenda a new 1:1 starts from, in plain text the lead edits: since the day after the
    last 1:1 in the team (or four weeks), the agent's reviews made in the team (the lowest
    first), highlights, disputes, focus items and the action items still open. It names no
    reviewer, since the agent reads it too, and leaves out reviews the agent has to rate
    themselves first."""
    last = OneOnOne.objects.filter(agent=agent, team=team, held_on__lte=today).order_by("-held_on", "-pk").first()
    since = last.held_on + timedelta(days=1) if last is not None else today - timedelta(weeks=AGENDA_WEEKS)
    zone = services.team_settings_get(team=team).zone
    start = datetime.combine(since, datetime.min.time(), tzinfo=zone)
    reviews = list(
        Review.objects.filter(reviewee=agent, assignment__week__team=team, created_at__gte=start)
        .exclude(own_rating_due(agent))
        .select_related("conversation", "assignment__week")
        .with_ratings()
        .order_by(F("score").asc(nulls_last=True), "-created_at")
    )
    lines = [f"Since {since:%a %-d %b %Y}" + (f" (the last 1:1 was on {last.held_on:%a %-d %b})" if last else "") + "."]
    scores = [review.score for review in reviews if review.score is not None]
    lines += ["", f"Reviews received: {len(reviews)}"]
    if scores:
        lines[-1] += f", quality score {statistics.mean(scores):.0f}%"
    for review in reviews[:AGENDA_REVIEWS]:
        levels = ", ".join(f"{rating.criterion.name} {rating.label.lower()}" for rating in review.ratings.all())
        lines.append(f"- {review.assignment.week.label}, “{review.conversation}”: {levels}")
    highlights = [review for review in reviews if review.is_highlighted]
    if highlights:
        lines += ["", "Shared as examples for the team:"]
        lines += [f"- “{review.conversation}”" for review in highlights]
    disputes = Dispute.objects.filter(
        review__reviewee=agent, review__assignment__week__team=team, opened_at__gte=start
    ).select_related("review__conversation")
    disputed = [f"- “{dispute.review.conversation}”: {dispute.get_status_display().lower()}" for dispute in disputes]
    if disputed:
        lines += ["", "Disputes:", *disputed]
    focus = FocusItem.objects.filter(agent=agent, review__assignment__week__team=team).filter(
        Q(created_at__gte=start) | Q(followed_at__gte=start)
    )
    focused = [
        f"- “{item.text}”: "
        + (item.get_outcome_display().lower() if item.outcome else "replaced" if item.replaced_at else "still open")
        for item in focus.exclude(review__in=Review.objects.filter(own_rating_due(agent))).order_by("created_at")
    ]
    if focused:
        lines += ["", "Focus:", *focused]
    actions = ActionItem.objects.filter(one_on_one__agent=agent, one_on_one__team=team, done_at__isnull=True).order_by(
        "due_on", "pk"
    )
    open_actions = [f"- {item.text}" + (f" (due {item.due_on:%-d %b})" if item.due_on else "") for item in actions]
    if open_actions:
        lines += ["", "Action items still open:", *open_actions]
    return "\n".join(lines)


def one_on_ones_of(agent: Agent, *, team: Team | None = None, limit: int = 12) -> list[OneOnOne]:
    """The agent's 1:1s, newest first; `team`: only that team's (a lead's rights follow it)."""
    sessions = OneOnOne.objects.filter(agent=agent)
    if team is not None:
        sessions = sessions.filter(team=team)
    return list(sessions.select_related("lead")[:limit])
