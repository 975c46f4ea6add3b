"""An agent's week: their batch, pulling more and handing one back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest

from .. import access, selectors, services
from ..forms import PullForm, SkipForm
from ..models import NOTE_MAX_LENGTH, Assignment, SkipReason


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Everyone lands where their work is: agents on their week, a lead on their team (or their
    teams), staff without a team on the sync; someone with none of these reads why."""
    agent = access.reviewing_agent(request.user)
    # A lead who answers conversations but has no batch (the team's settings) works from the team.
    if agent is not None and (selectors.has_reviews_to_do(agent) or services.is_reviewer(agent)):
        return redirect("reviews:my_week")
    led = list(access.led_teams(request.user)[:2])
    if len(led) == 1:
        return redirect("reviews:team_week", team_id=led[0].pk)
    if led:
        return redirect("reviews:teams")
    if agent is not None:
        return redirect("reviews:my_week")
    if access.can_see_sync(request.user):
        return redirect("conversations:sync_status")
    if access.agent_of(request.user) is not None:
        return redirect("reviews:feedback")  # deactivated in the helpdesk: their reviews stay
    return render(request, "reviews/not_linked.html")


@login_required
def my_week(request: AuthenticatedRequest) -> HttpResponse:
    agent = access.reviewing_agent(request.user)
    if agent is None:
        return render(request, "reviews/not_linked.html")
    week = selectors.current_week(agent)
    completion = next(iter(selectors.week_completion(week, agent=agent)), None) if week else None
    previous = selectors.previous_week(week) if week else None
    # Someone with a batch this week gets batches; otherwise the team's settings say.
    gets_batches = completion is not None or services.is_reviewer(agent)
    return render(
        request,
        "reviews/my_week.html",
        {
            "agent": agent,
            "week": week,
            "assignments": list(selectors.assignments_for_reviewer(agent=agent, week=week)) if week else [],
            "completion": completion,
            # A reviewer who joined after the batch was made gets theirs within the hour, or now.
            "batch_pending": week is not None and completion is None and gets_batches,
            "gets_batches": gets_batches,
            "last_week": next(iter(selectors.week_completion(previous, agent=agent)), None) if previous else None,
            "calibrations": selectors.calibrations_of(agent, now=timezone.now()),
            "requests": list(selectors.requests_for_reviewer(agent, week)),
            "pull_form": PullForm(),
            "skip_reasons": SkipReason.choices,
            "note_max_length": NOTE_MAX_LENGTH,
            "blind": week is not None
            and not access.sees_who_handled(
                request.user, week.team_id, blind=services.team_settings_get(team=week.team).blind_reviewee
            ),
        },
    )


@login_required
@require_POST
def batch_join(request: AuthenticatedRequest) -> HttpResponse:
    agent = access.get_reviewing_agent(request.user)
    week = selectors.current_week(agent)
    if week is None:
        messages.info(request, "Your team's batch for this week has not been made yet.")
    else:
        services.quota_refresh(week=week)
        messages.success(request, "Your batch for this week is ready.")
    return redirect("reviews:my_week")


@login_required
@require_POST
def pull(request: AuthenticatedRequest) -> HttpResponse:
    agent = access.get_reviewing_agent(request.user)
    form = PullForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose between 1 and 20 conversations.")
        return redirect("reviews:my_week")
    try:
        added = services.assignments_pull(agent=agent, count=form.cleaned_data["count"])
    except services.QuotaError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:my_week")
    if added:
        messages.success(request, f"Added {len(added)} conversation{'s' if len(added) != 1 else ''} to your week.")
    else:
        messages.info(request, "There are no more teammates' conversations to review right now.")
    return redirect("reviews:my_week")


@login_required
@require_POST
def skip(request: AuthenticatedRequest, assignment_id: int) -> HttpResponse:
    assignment = access.get_own_assignment(request.user, assignment_id, handed_back_too=True)
    form = SkipForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(error) for field_errors in form.errors.values() for error in field_errors)
        messages.error(request, f"Not handed back: {errors}")
        return redirect("reviews:my_week")
    try:
        replacement = services.assignment_skip(
            assignment=assignment, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
        )
    except services.QuotaError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:my_week")
    if assignment.kind == Assignment.Kind.REQUESTED:
        messages.success(request, "Handed back: the lead who sent it sees why on the conversation's page.")
    else:
        messages.success(
            request,
            "Handed back. " + ("A replacement is in your list." if replacement else "There was nothing to replace it."),
        )
    return redirect("reviews:my_week")
