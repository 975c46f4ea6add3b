from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from . import selectors
from .models import ExclusionReason, SyncRun


def _require_lead(user) -> None:
    if not selectors.user_leads_any_team(user):
        raise PermissionDenied("Only team leads see the sync.")


@login_required
def sync_status(request):
    _require_lead(request.user)
    runs = selectors.recent_sync_runs()
    excluded_counts = selectors.excluded_counts_for(request.user)
    return render(
        request,
        "conversations/sync_status.html",
        {
            "runs": runs,
            "last_success": selectors.sync_health()["last_success"],
            "excluded_counts": [
                (reason, label, excluded_counts.get(reason, 0)) for reason, label in ExclusionReason.choices
            ],
            "uninvited_agents": selectors.uninvited_agents_for(request.user),
        },
    )


@login_required
def sync_run_detail(request, run_id: int):
    _require_lead(request.user)
    run = get_object_or_404(SyncRun, pk=run_id)
    return render(
        request,
        "conversations/sync_run_detail.html",
        {
            "run": run,
            "problems": run.problems.filter(skipped=True)[:500],
            "warnings": run.problems.filter(skipped=False)[:500],
        },
    )


@login_required
def excluded_conversations(request):
    _require_lead(request.user)
    reason = request.GET.get("reason", "")
    if reason not in ExclusionReason.values:
        reason = ""
    page = Paginator(selectors.excluded_conversations_for(request.user, reason=reason), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "conversations/excluded.html",
        {"page": page, "reason": reason, "reasons": ExclusionReason.choices},
    )
