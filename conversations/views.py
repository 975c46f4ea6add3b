"""The sync pages, for leads: recent runs, one run's problems, conversations left out.

Who may see them is reviews.access; the conversations and teammates listed are the lead's teams'."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from carousel.requests import AuthenticatedRequest
from reviews import access

from . import selectors
from .models import ExclusionReason, SyncRun


@login_required
def sync_status(request: AuthenticatedRequest) -> HttpResponse:
    access.require_sync_access(request.user)
    teams = access.led_teams(request.user)
    excluded_counts = selectors.excluded_counts(teams=teams)
    return render(
        request,
        "conversations/sync_status.html",
        {
            "runs": selectors.recent_sync_runs(),
            "last_success": selectors.sync_health()["last_success"],
            "excluded_counts": [
                (reason, label, excluded_counts.get(reason, 0)) for reason, label in ExclusionReason.choices
            ],
            "uninvited_agents": selectors.uninvited_agents(teams=teams),
        },
    )


@login_required
def sync_run_detail(request: AuthenticatedRequest, run_id: int) -> HttpResponse:
    access.require_sync_access(request.user)
    run = get_object_or_404(SyncRun, pk=run_id)
    return render(
        request,
        "conversations/sync_run_detail.html",
        {
            "run": run,
            "problems": run.problems.filter(skipped=True)[:500],
            "warnings": run.problems.filter(skipped=False)[:500],
            "show_payloads": access.may_see_payloads(request.user),
        },
    )


@login_required
def excluded_conversations(request: AuthenticatedRequest) -> HttpResponse:
    access.require_sync_access(request.user)
    reason = request.GET.get("reason", "")
    if reason not in ExclusionReason.values:
        reason = ""
    conversations = selectors.excluded_conversations(teams=access.led_teams(request.user), reason=reason)
    return render(
        request,
        "conversations/excluded.html",
        {
            "page": Paginator(conversations, 50).get_page(request.GET.get("page")),
            "reason": reason,
            "reasons": ExclusionReason.choices,
            "per_rule": selectors.rule_counts(teams=access.led_teams(request.user)),
        },
    )
