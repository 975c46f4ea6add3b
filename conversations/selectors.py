"""Read-side queries for the sync pages; callers scope them with reviews.access.led_teams."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import Agent, Conversation, ExclusionReason, SyncRun, Team


def excluded_conversations(*, teams: QuerySet[Team], reason: str = "") -> QuerySet[Conversation]:
    conversations = Conversation.objects.excluded().filter(team__in=teams).select_related("assignee", "team")
    if reason:
        conversations = conversations.filter(exclusion_reason=reason)
    return conversations.order_by("-updated_at")


def excluded_counts(*, teams: QuerySet[Team]) -> dict[str, int]:
    rows = excluded_conversations(teams=teams).order_by().values("exclusion_reason").annotate(total=Count("id"))
    return {row["exclusion_reason"]: row["total"] for row in rows}


def rule_counts(*, teams: QuerySet[Team]) -> list[tuple[str, int, int]]:
    """Per exclusion rule, in one query: its label, the conversations it sets aside now and
    those leads included anyway. A rule often overruled is a threshold to change."""
    mine = Conversation.objects.filter(team__in=teams)
    totals = mine.aggregate(
        **{f"excluded_{value}": Count("id", filter=Q(exclusion_reason=value)) for value in ExclusionReason.values},
        **{f"included_{value}": Count("id", filter=Q(included_rule=value)) for value in ExclusionReason.values},
    )
    return [
        (label, totals[f"excluded_{value}"], totals[f"included_{value}"]) for value, label in ExclusionReason.choices
    ]


def recent_sync_runs(limit: int = 20) -> QuerySet[SyncRun]:
    return SyncRun.objects.annotate(problem_count=Count("problems")).order_by("-started_at")[:limit]


def uninvited_agents(*, teams: QuerySet[Team]) -> QuerySet[Agent]:
    return Agent.objects.unlinked().filter(team__in=teams).select_related("team")


def sync_health() -> dict[str, SyncRun | None]:
    """The last run that succeeded and the last that failed (skipped runs say nothing)."""
    return {
        "last_success": SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).order_by("-started_at").first(),
        "last_failure": SyncRun.objects.filter(status=SyncRun.Status.FAILED).order_by("-started_at").first(),
    }
