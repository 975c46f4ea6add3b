"""1:1 coaching sessions: a lead starts one from an agent's page, the agent reads and
acknowledges it, either ticks off its action items."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest

from .. import access, selectors, services
from ..forms import OneOnOneForm
from ..models import OneOnOne


@login_required
def one_on_one_new(request: AuthenticatedRequest, team_id: int, agent_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    agent = access.get_team_agent(request.user, team, agent_id)
    today = timezone.localdate()
    form = OneOnOneForm(
        request.POST or None,
        new=True,
        initial={"held_on": today, "agenda": selectors.one_on_one_agenda(agent, team=team, today=today)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.one_on_one_create(
                team=team,
                agent=agent,
                lead=request.user,
                held_on=form.cleaned_data["held_on"],
                agenda=form.cleaned_data["agenda"],
                notes=form.cleaned_data["notes"],
                actions=form.actions(),
            )
        except services.CoachingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"1:1 saved: {agent.name} sees it and acknowledges it.")
            return redirect("reviews:one_on_one", one_on_one_id=session.pk)
    return render(
        request,
        "reviews/one_on_one_form.html",
        {"team": team, "agent": agent, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def one_on_one_detail(request: AuthenticatedRequest, one_on_one_id: int) -> HttpResponse:
    session = access.get_visible_one_on_one(request.user, one_on_one_id)
    runs = access.runs_one_on_one(request.user, session)
    form = None
    if runs:
        form = OneOnOneForm(request.POST or None, new=False, initial={"agenda": session.agenda, "notes": session.notes})
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only the team's leads change a 1:1.")
        if form.is_valid():
            try:
                services.one_on_one_update(
                    session=session,
                    agenda=form.cleaned_data["agenda"],
                    notes=form.cleaned_data["notes"],
                    actions=form.actions(),
                )
            except services.CoachingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "1:1 saved.")
                return redirect("reviews:one_on_one", one_on_one_id=session.pk)
    return _page(request, session, form, status=400 if request.method == "POST" else 200)


def _page(request: AuthenticatedRequest, session: OneOnOne, form: OneOnOneForm | None, status: int) -> HttpResponse:
    return render(
        request,
        "reviews/one_on_one.html",
        {
            "session": session,
            "team": session.team,
            "actions": session.action_items.all(),
            "form": form,
            "is_agent": access.is_one_on_one_agent(request.user, session),
        },
        status=status,
    )


@login_required
@require_POST
def one_on_one_acknowledge(request: AuthenticatedRequest, one_on_one_id: int) -> HttpResponse:
    session = access.get_visible_one_on_one(request.user, one_on_one_id)
    if not access.is_one_on_one_agent(request.user, session):
        raise PermissionDenied("Only the agent acknowledges their 1:1.")
    if services.one_on_one_acknowledge(session=session):
        messages.success(request, "Acknowledged: your lead sees that you have read it.")
    return redirect("reviews:one_on_one", one_on_one_id=session.pk)


@login_required
@require_POST
def action_item_mark(request: AuthenticatedRequest, one_on_one_id: int, item_id: int) -> HttpResponse:
    session = access.get_visible_one_on_one(request.user, one_on_one_id)
    item = access.get_one_on_one_action(request.user, session, item_id)
    services.action_item_mark(item=item, done=request.POST.get("done") == "yes")
    return redirect("reviews:one_on_one", one_on_one_id=session.pk)
