"""Calibration sessions: a lead starts one from the team's pages, participants score each
conversation blind, the lead reveals the spread and records the agreed answers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest
from conversations.models import Agent, Conversation

from .. import access, selectors, services
from ..forms import AgreedAnswerForm, CalibrationStartForm, ScorecardForm
from ..models import CalibrationAnswer, CalibrationItem, CalibrationScore, LevelExample
from .reviewing import transcript_of


@login_required
def team_calibrations(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    agents = Agent.objects.filter(team=team, is_active=True, user__isnull=False).order_by("name")
    form = CalibrationStartForm(
        request.POST or None,
        candidates=selectors.calibration_candidates(team, now=timezone.now()),
        agents=agents,
        initial={"participants": [agent.pk for agent in agents]},
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["conversations"]
        by_id = Conversation.objects.in_bulk(chosen)
        try:
            session = services.calibration_start(
                team=team,
                by=request.user,
                title=form.cleaned_data["title"],
                conversations=[by_id[pk] for pk in chosen if pk in by_id],
                participants=list(agents.filter(pk__in=form.cleaned_data["participants"])),
            )
        except services.CalibrationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Session started: the participants see it on My week and score blind.")
            return redirect("reviews:calibration", session_id=session.pk)
    return render(
        request,
        "reviews/team_calibrations.html",
        {"team": team, "sessions": selectors.calibration_sessions(team), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def calibration_detail(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    session = access.get_visible_calibration(request.user, session_id)
    participant = access.calibration_participant(request.user, session)
    return render(
        request,
        "reviews/calibration.html",
        {
            "team": session.team,
            "session": session,
            "board": selectors.calibration_board(
                session, revealed=access.sees_calibration_scores(request.user, session)
            ),
            "runs": access.runs_calibration(request.user, session),
            "me": participant.pk if participant else None,
        },
    )


@login_required
@require_POST
def calibration_reveal(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    session = access.get_visible_calibration(request.user, session_id)
    if not access.runs_calibration(request.user, session):
        raise PermissionDenied("Only the team's leads reveal a calibration session.")
    try:
        services.calibration_reveal(session=session)
    except services.CalibrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Scores revealed: everyone in the session now sees the spread.")
    return redirect("reviews:calibration", session_id=session.pk)


def _item_page(
    request: AuthenticatedRequest,
    item: CalibrationItem,
    *,
    score_form: ScorecardForm | None = None,
    answer_form: AgreedAnswerForm | None = None,
    status: int = 200,
) -> HttpResponse:
    session = item.session
    revealed = access.sees_calibration_scores(request.user, session)
    board = selectors.calibration_board(session, revealed=revealed)
    item_board = next(entry for entry in board.items if entry.item.pk == item.pk)
    scorer = access.calibration_scorer(request.user, item)
    if score_form is None and scorer is not None:
        own = CalibrationScore.objects.filter(item=item, participant=scorer).select_related("criterion")
        initial = {}
        for score in own:
            initial[score.criterion.key] = "na" if score.level is None else str(score.level)
            initial[f"{score.criterion.key}_note"] = score.note
        score_form = ScorecardForm(scorecard=board.scorecard, initial=initial, root_causes=False)
    runs = access.runs_calibration(request.user, session)
    if answer_form is None and runs and revealed:
        recorded = {
            answer.criterion.key: (answer.level, answer.reason)
            for answer in CalibrationAnswer.objects.filter(item=item).select_related("criterion")
        }
        examples = LevelExample.objects.filter(team=session.team_id, conversation=item.conversation_id)
        answer_form = AgreedAnswerForm(
            scorecard=board.scorecard,
            recorded=recorded,
            examples=examples.values_list("criterion_key", flat=True),
        )
    agent = access.agent_of(request.user)
    positions = [entry.item.pk for entry in board.items]
    index = positions.index(item.pk)
    return render(
        request,
        "reviews/calibration_item.html",
        {
            "team": session.team,
            "session": session,
            "item": item,
            "board": board,
            "entry": item_board,
            "conversation": item.conversation,
            "transcript": transcript_of(item.conversation),
            # Scored on the conversation, not the person: participants do not see who handled it.
            "blind": not runs,
            "form": score_form if scorer is not None else None,
            "scored": scorer is not None and scorer.pk in item_board.scored_by,
            "answer_form": answer_form if runs else None,
            "next_id": positions[index + 1] if index + 1 < len(positions) else None,
            "position": index + 1,
            "handled_by_me": agent is not None and agent.pk == item.handler_id,
        },
        status=status,
    )


@login_required
def calibration_item(request: AuthenticatedRequest, session_id: int, item_id: int) -> HttpResponse:
    item = access.get_calibration_item(request.user, session_id, item_id)
    if request.method != "POST":
        return _item_page(request, item)
    scorer = access.calibration_scorer(request.user, item)
    if scorer is None:
        raise PermissionDenied("Only the session's participants score, before the lead reveals the scores.")
    form = ScorecardForm(request.POST, scorecard=selectors.calibration_scorecard(item.session), root_causes=False)
    if not form.is_valid():
        return _item_page(request, item, score_form=form, status=400)
    try:
        services.calibration_score(item=item, participant=scorer, ratings=form.ratings())
    except services.CalibrationError as exc:
        form.add_error(None, str(exc))
        return _item_page(request, item, score_form=form, status=400)
    next_id = request.POST.get("next_item", "")
    messages.success(request, "Your scores are saved; nobody sees them until the lead reveals the session.")
    if next_id.isdecimal() and CalibrationItem.objects.filter(session=item.session, pk=int(next_id)).exists():
        return redirect("reviews:calibration_item", session_id=item.session_id, item_id=int(next_id))
    return redirect("reviews:calibration", session_id=item.session_id)


@login_required
@require_POST
def calibration_answers(request: AuthenticatedRequest, session_id: int, item_id: int) -> HttpResponse:
    item = access.get_calibration_item(request.user, session_id, item_id)
    if not access.runs_calibration(request.user, item.session):
        raise PermissionDenied("Only the team's leads record the agreed answer.")
    scorecard = selectors.calibration_scorecard(item.session)
    form = AgreedAnswerForm(request.POST, scorecard=scorecard, recorded={})
    if not form.is_valid():
        return _item_page(request, item, answer_form=form, status=400)
    try:
        services.calibration_answers_record(item=item, by=request.user, answers=form.answers())
    except services.CalibrationError as exc:
        form.add_error(None, str(exc))
        return _item_page(request, item, answer_form=form, status=400)
    messages.success(request, "Agreed answers recorded.")
    return redirect("reviews:calibration_item", session_id=item.session_id, item_id=item.pk)


@login_required
@require_POST
def level_example_remove(request: AuthenticatedRequest, team_id: int, example_id: int) -> HttpResponse:
    example = access.get_team_level_example(request.user, team_id, example_id)
    services.level_example_remove(example=example)
    messages.success(request, "Example removed from the scorecard; the session keeps its agreed answer.")
    return redirect("reviews:scorecard", team_id=team_id)
