from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from conversations.models import Agent
from conversations.selectors import teams_led_by

from . import access, selectors, services
from .forms import NotificationSettingsForm, PullForm, SkipForm, TeamSettingsForm
from .models import AgentWeek, Assignment, NotificationSettings, ReviewWeek, SkipReason


def _reviewing_agent(user) -> Agent | None:
    """The signed-in user's teammate record, if they are an active agent who reviews."""
    agent = access.agent_of(user)
    return agent if agent is not None and agent.is_active else None


def _current_week(agent: Agent) -> ReviewWeek | None:
    if agent.team is None:
        return None
    week = ReviewWeek.objects.filter(
        team=agent.team, starts_at=services.current_week_start(team=agent.team, now=timezone.now())
    ).first()
    if week and services.is_reviewer(agent) and not AgentWeek.objects.filter(week=week, agent=agent).exists():
        # First time we see this agent this week: give them their (pro rata) batch now.
        services.quota_refresh(week=week)
    return week


@login_required
def home(request):
    """Agents land on their week; leads on their team's week; staff without a team on the sync."""
    if _reviewing_agent(request.user) is None:
        led = teams_led_by(request.user).first()
        if led is not None:
            return redirect("reviews:team_week", team_id=led.pk)
        if request.user.is_staff:
            return redirect("conversations:sync_status")
    return redirect("reviews:my_week")


@login_required
def my_week(request):
    agent = _reviewing_agent(request.user)
    if agent is None:
        return render(request, "reviews/not_linked.html", status=200)
    week = _current_week(agent)
    assignments = list(selectors.assignments_for_reviewer(agent=agent, week=week)) if week else []
    completion = next(iter(selectors.week_completion(week, agent=agent)), None) if week else None
    previous = ReviewWeek.objects.filter(team=agent.team, starts_at__lt=week.starts_at).first() if week else None
    last_week = next(iter(selectors.week_completion(previous, agent=agent)), None) if previous else None
    return render(
        request,
        "reviews/my_week.html",
        {
            "agent": agent,
            "week": week,
            "assignments": assignments,
            "completion": completion,
            "last_week": last_week,
            "pull_form": PullForm(),
            "skip_reasons": SkipReason.choices,
        },
    )


@login_required
@require_POST
def pull(request):
    agent = _reviewing_agent(request.user)
    if agent is None:
        raise Http404("You are not linked to a helpdesk teammate.")
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
def skip(request, assignment_id: int):
    assignment = get_object_or_404(
        Assignment.objects.select_related("week"), pk=assignment_id, reviewer__user=request.user
    )
    form = SkipForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(error for field_errors in form.errors.values() for error in field_errors)
        messages.error(request, f"Not handed back: {errors}")
        return redirect("reviews:my_week")
    try:
        replacement = services.assignment_skip(
            assignment=assignment, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
        )
    except services.QuotaError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:my_week")
    messages.success(
        request,
        "Handed back. " + ("A replacement is in your list." if replacement else "There was nothing to replace it."),
    )
    return redirect("reviews:my_week")


@login_required
def team_settings(request, team_id: int):
    team = access.get_led_team(request.user, team_id)
    settings = services.team_settings_get(team=team)
    form = TeamSettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved. The changes apply from the next weekly batch.")
        return redirect("reviews:team_week", team_id=team.pk)
    return render(request, "reviews/team_settings.html", {"team": team, "form": form})


@login_required
def notification_settings(request):
    preferences = NotificationSettings.objects.get_or_create(user=request.user)[0]
    form = NotificationSettingsForm(request.POST or None, instance=preferences)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Email settings saved.")
        return redirect("reviews:notifications")
    return render(request, "reviews/notification_settings.html", {"form": form})
