"""Read-side queries, scoped to what the signed-in user may see."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import Agent, Conversation, SyncRun, Team


def teams_led_by(user) -> QuerySet[Team]:
    if user.is_staff:
        return Team.objects.all()
    return Team.objects.filter(leads=user)


def user_leads_any_team(user) -> bool:
    return user.is_staff or teams_led_by(user).exists()


def excluded_conversations_for(user, *, reason: str = "") -> QuerySet[Conversation]:
    conversations = Conversation.objects.excluded().select_related("assignee", "team")
    if not user.is_staff:
        conversations = conversations.filter(team__in=teams_led_by(user))
    if reason:
        conversations = conversations.filter(exclusion_reason=reason)
    return conversations.order_by("-updated_at")


def excluded_counts_for(user) -> dict[str, int]:
    conversations = excluded_conversations_for(user)
    rows = conversations.order_by().values("exclusion_reason").annotate(total=Count("id"))
    return {row["exclusion_reason"]: row["total"] for row in rows}


def recent_sync_runs(limit: int = 20) -> QuerySet[SyncRun]:
    return SyncRun.objects.annotate(problem_count=Count("problems")).order_by("-started_at")[:limit]


def uninvited_agents_for(user) -> QuerySet[Agent]:
    agents = Agent.objects.unlinked().select_related("team")
    if not user.is_staff:
        agents = agents.filter(team__in=teams_led_by(user))
    return agents


def sync_health() -> dict[str, SyncRun | None]:
    """The last run that succeeded and the last that failed (skipped runs say nothing)."""
    return {
        "last_success": SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).order_by("-started_at").first(),
        "last_failure": SyncRun.objects.filter(status=SyncRun.Status.FAILED).order_by("-started_at").first(),
    }
