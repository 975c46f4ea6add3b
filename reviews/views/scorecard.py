"""A lead's scorecard pages: the criteria of the team's current version, a criterion's form,
archiving and reordering, each change a new version."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest

from .. import access, selectors, services
from ..forms import CriterionForm


def _based_on(request: AuthenticatedRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError as exc:
        raise Http404("No such scorecard version.") from exc


@login_required
def scorecard(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    current = selectors.scorecard_now(team=team)
    return render(
        request,
        "reviews/scorecard.html",
        {
            "team": team,
            "scorecard": current,
            "versions": selectors.scorecard_versions(team),
            "examples": selectors.level_example_rows(team, current),
        },
    )


@login_required
def criterion_edit(request: AuthenticatedRequest, team_id: int, key: str = "") -> HttpResponse:
    """A criterion's form; with no key, a new criterion's."""
    team = access.get_led_team(request.user, team_id)
    current = selectors.scorecard_now(team=team)
    criterion = current.criterion(key) if key else None
    if key and criterion is None:
        raise Http404("No such criterion on the scorecard.")
    form = CriterionForm(request.POST or None, criterion=criterion)
    if request.method == "POST" and form.is_valid():
        new_key = key or services.new_key(form.cleaned_data["name"], services.keys_used(team=team))
        try:
            saved = services.criterion_save(
                team=team, user=request.user, based_on=_based_on(request), criterion=form.spec(new_key)
            )
        except services.ScorecardError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _saved(saved.version, current.version))
            return redirect("reviews:scorecard", team_id=team.pk)
    return render(
        request,
        "reviews/criterion_form.html",
        {"team": team, "form": form, "criterion": criterion, "scorecard": current},
        status=400 if request.method == "POST" else 200,
    )


def _saved(version: int, before: int) -> str:
    if version == before:
        return f"Nothing changed: the scorecard stays at version {version}."
    return f"Saved as scorecard version {version}. Reviews already written keep the version they were made with."


@login_required
@require_POST
def criterion_archive(request: AuthenticatedRequest, team_id: int, key: str) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    try:
        saved = services.criterion_archive(team=team, user=request.user, based_on=_based_on(request), key=key)
    except services.ScorecardError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Archived: reviews from version {saved.version} on no longer ask it; earlier reviews keep their ratings.",
        )
    return redirect("reviews:scorecard", team_id=team.pk)


@login_required
@require_POST
def criterion_move(request: AuthenticatedRequest, team_id: int, key: str) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        raise Http404("Move a criterion up or down.")
    try:
        saved = services.criterion_move(
            team=team, user=request.user, based_on=_based_on(request), key=key, offset=offset
        )
    except services.ScorecardError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Order saved as scorecard version {saved.version}.")
    return redirect("reviews:scorecard", team_id=team.pk)
