"""Read-side queries for the quota: completion per agent and team, skips per reason."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from conversations.models import Agent

from .models import AgentWeek, Assignment, Level, Review, ReviewWeek


@dataclass(frozen=True)
class AgentCompletion:
    agent: Agent
    quota: int
    required: int
    assigned: int
    completed: int
    is_away: bool
    joined_midweek: bool

    @property
    def shortfall(self) -> int:
        return self.quota - self.required

    @property
    def remaining(self) -> int:
        return max(self.required - self.completed, 0)

    @property
    def is_behind(self) -> bool:
        return self.remaining > 0


def week_completion(week: ReviewWeek) -> list[AgentCompletion]:
    """Required, assigned and completed reviews per agent: the KPI. Scores play no part."""
    active = Q(agent__assignments_to_review__week=week) & Q(
        agent__assignments_to_review__status__in=Assignment.ACTIVE_STATUSES
    )
    done = Q(agent__assignments_to_review__week=week) & Q(
        agent__assignments_to_review__status=Assignment.Status.COMPLETED
    )
    rows = (
        AgentWeek.objects.filter(week=week)
        .select_related("agent")
        .annotate(
            assigned=Count("agent__assignments_to_review", filter=active),
            completed=Count("agent__assignments_to_review", filter=done),
        )
        .order_by("agent__name")
    )
    return [
        AgentCompletion(
            agent=row.agent,
            quota=row.quota,
            required=row.required,
            assigned=row.assigned,
            completed=row.completed,
            is_away=row.is_away,
            joined_midweek=row.joined_midweek,
        )
        for row in rows
    ]


def team_completion_percent(rows: list[AgentCompletion]) -> int | None:
    required = sum(row.required for row in rows)
    if not required:
        return None
    return round(100 * sum(min(row.completed, row.required) for row in rows) / required)


def skip_counts(week: ReviewWeek) -> dict[str, int]:
    rows = (
        Assignment.objects.filter(week=week, status=Assignment.Status.SKIPPED)
        .values("skip_reason")
        .annotate(total=Count("id"))
        .order_by()
    )
    return {row["skip_reason"]: row["total"] for row in rows}


def assignments_for_reviewer(*, agent: Agent, week: ReviewWeek) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(week=week, reviewer=agent)
        .exclude(status=Assignment.Status.RELEASED)
        .select_related("conversation", "reviewee")
        .order_by("status", "created_at")
    )


def feedback_for(agent: Agent, *, week_label: str = "") -> QuerySet[Review]:
    """Reviews of the agent's own conversations, newest first."""
    reviews = Review.objects.filter(reviewee=agent).with_people().annotate(comment_count=Count("comments"))
    if week_label:
        reviews = reviews.filter(assignment__week__label=week_label)
    return reviews.order_by("-created_at", "-id")


def level_summary(reviews: QuerySet[Review]) -> dict[str, dict]:
    """Counts per level: a running picture for the agent, not a ranking against others."""
    totals = reviews.order_by().aggregate(
        **{f"quality_{level}": Count("id", filter=Q(quality=level)) for level in Level.values},
        **{f"tone_{level}": Count("id", filter=Q(tone=level)) for level in Level.values},
        process_yes=Count("id", filter=Q(followed_process=True)),
        process_no=Count("id", filter=Q(followed_process=False)),
    )
    return {
        "quality": [(label, totals[f"quality_{value}"]) for value, label in Level.choices],
        "tone": [(label, totals[f"tone_{value}"]) for value, label in Level.choices],
        "process": [("Yes", totals["process_yes"]), ("No", totals["process_no"])],
    }


def reviews_written_by(agent: Agent) -> QuerySet[Review]:
    return (
        Review.objects.filter(reviewer=agent)
        .with_people()
        .annotate(comment_count=Count("comments"))
        .order_by("-created_at", "-id")
    )


def team_highlights(team_ids: list[int] | None) -> QuerySet[Review]:
    reviews = Review.objects.highlights().with_people()
    if team_ids is not None:
        reviews = reviews.filter(reviewee__team__in=team_ids)
    return reviews.order_by("-created_at", "-id")


def acknowledgement_rate(week: ReviewWeek) -> int | None:
    counts = Review.objects.filter(assignment__week=week).aggregate(
        total=Count("id"), seen=Count("id", filter=Q(seen_at__isnull=False))
    )
    return round(100 * counts["seen"] / counts["total"]) if counts["total"] else None
