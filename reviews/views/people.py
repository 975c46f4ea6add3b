"""A lead's people page: the team's teammates, their accounts and invitations, who leads,
and who is away when."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest
from conversations.models import Agent, Team

from .. import access, selectors, services
from ..forms import AbsenceForm, StartDateForm
from ..models import INVITATION_DAYS


def _people_page(
    request: AuthenticatedRequest,
    team: Team,
    form: AbsenceForm | None = None,
    start_form: StartDateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    people = selectors.team_people(team, today=timezone.localdate(now), now=now)
    agents = [teammate.agent for teammate in people.teammates]
    context = {
        "team": team,
        "people": people,
        "absence_form": form or AbsenceForm(agents=agents),
        "start_form": start_form or StartDateForm(agents=agents),
        "invitation_days": INVITATION_DAYS,
    }
    return render(request, "reviews/team_people.html", context, status=status)


def _posted_id(request: AuthenticatedRequest, name: str) -> int:
    try:
        return int(request.POST.get(name, ""))
    except ValueError as exc:
        raise Http404("No such teammate.") from exc


@login_required
def team_people(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    return _people_page(request, access.get_led_team(request.user, team_id))


@login_required
@require_POST
def invite(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    agent = access.get_team_agent(request.user, team, _posted_id(request, "agent_id"))
    try:
        invitation = services.invitation_send(agent=agent, invited_by=request.user)
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Invitation sent to {invitation.email}; the link works for {INVITATION_DAYS} days.")
    return redirect("reviews:team_people", team_id=team.pk)


@login_required
@require_POST
def lead_change(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    agent = access.get_team_agent(request.user, team, _posted_id(request, "agent_id"))
    if agent.user is None:
        messages.error(request, f"{agent.name} has no Carousel account yet: invite them first.")
        return redirect("reviews:team_people", team_id=team.pk)
    is_lead = request.POST.get("lead") == "yes"
    try:
        services.lead_set(team=team, user=agent.user, is_lead=is_lead, by=request.user)
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{agent.name} {'now leads' if is_lead else 'no longer leads'} {team}.")
    return redirect("reviews:team_people", team_id=team.pk)


@login_required
@require_POST
def absence_create(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    form = AbsenceForm(request.POST, agents=Agent.objects.filter(team=team, is_active=True))
    if not form.is_valid():
        return _people_page(request, team, form=form, status=400)
    agent = access.get_team_agent(request.user, team, form.cleaned_data["agent"])
    absence = services.absence_add(
        agent=agent, starts_on=form.cleaned_data["starts_on"], ends_on=form.cleaned_data["ends_on"], by=request.user
    )
    days = f"{absence.starts_on:%a %-d %b} to {absence.ends_on:%a %-d %b}"
    messages.success(request, f"{agent.name} is away {days}; their quota shrinks for those days.")
    return redirect("reviews:team_people", team_id=team.pk)


@login_required
@require_POST
def absence_delete(request: AuthenticatedRequest, team_id: int, absence_id: int) -> HttpResponse:
    absence = access.get_team_absence(request.user, team_id, absence_id)
    services.absence_remove(absence=absence)
    messages.success(request, f"Removed {absence.agent.name}'s absence; weeks already made keep their quota.")
    return redirect("reviews:team_people", team_id=team_id)


@login_required
@require_POST
def start_date_set(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    form = StartDateForm(request.POST, agents=Agent.objects.filter(team=team, is_active=True))
    if not form.is_valid():
        return _people_page(request, team, start_form=form, status=400)
    agent = access.get_team_agent(request.user, team, form.cleaned_data["agent"])
    services.start_date_set(agent=agent, started_on=form.cleaned_data["started_on"])
    messages.success(
        request,
        f"{agent.name} started on {form.cleaned_data['started_on']:%a %-d %b %Y}; weeks made from now ramp by it.",
    )
    return redirect("reviews:team_people", team_id=team.pk)
