"""Calibration sessions: a lead picks conversations and teammates, everyone scores blind on the
team's scorecard, the lead reveals the spread and records the agreed answer, which can become
an example of its level on the scorecard. Nothing here touches reviews, their scores or the
quota: calibration has its own tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from conversations.models import Agent, Conversation, Team

from ..models import (
    NOTE_MAX_LENGTH,
    CalibrationAnswer,
    CalibrationItem,
    CalibrationScore,
    CalibrationSession,
    Criterion,
    LevelExample,
)
from ..scorecards import SCORECARD_PREFETCH, RatingAnswer
from .reviewing import ReviewError, _answers_checked
from .scorecards import scorecard_current

# Enough for an hour's meeting; more and the spread is read by nobody.
MOST_CONVERSATIONS = 10


class CalibrationError(Exception):
    """A request the calibration rules refuse; the message is shown to the user."""


def calibration_start(
    *,
    team: Team,
    by: User,
    title: str,
    conversations: Sequence[Conversation],
    participants: Sequence[Agent],
    now: datetime | None = None,
) -> CalibrationSession:
    """A session on the team's current scorecard, in the order the conversations were chosen.
    Every conversation needs two participants who did not handle it, or there is no spread."""
    now = now or timezone.now()
    conversations = list({conversation.pk: conversation for conversation in conversations}.values())
    title = title.strip()
    if not title:
        raise CalibrationError("Give the session a title, such as the week or the topic.")
    if not conversations:
        raise CalibrationError("Choose at least one conversation to calibrate on.")
    if len(conversations) > MOST_CONVERSATIONS:
        raise CalibrationError(f"Choose at most {MOST_CONVERSATIONS} conversations: a session is one meeting.")
    if any(conversation.team_id != team.pk for conversation in conversations):
        raise CalibrationError(f"Choose conversations of {team.name} only.")
    if any(agent.team_id != team.pk or not agent.is_active or agent.user_id is None for agent in participants):
        raise CalibrationError(f"Choose active teammates of {team.name} who can sign in.")
    for conversation in conversations:
        scorers = [agent for agent in participants if agent.pk != conversation.assignee_id]
        if len(scorers) < 2:
            raise CalibrationError(
                f"“{conversation}” needs two participants besides the teammate who handled it: choose more people."
            )
    with transaction.atomic():
        session = CalibrationSession.objects.create(
            team=team, title=title, scorecard=scorecard_current(team=team, now=now), created_by=by, created_at=now
        )
        session.participants.set(participants)
        CalibrationItem.objects.bulk_create(
            [
                CalibrationItem(
                    session=session, conversation=conversation, handler_id=conversation.assignee_id, position=position
                )
                for position, conversation in enumerate(conversations, start=1)
            ]
        )
    return session


def _criteria(session: CalibrationSession) -> list[Criterion]:
    return list(
        Criterion.objects.filter(scorecard_id=session.scorecard_id)
        .prefetch_related(*(path.removeprefix("criteria__") for path in SCORECARD_PREFETCH))
        .order_by("position")
    )


def calibration_score(
    *, item: CalibrationItem, participant: Agent, ratings: dict[str, RatingAnswer], now: datetime | None = None
) -> None:
    """The participant's levels and notes for one conversation; a second submission replaces
    the first until the lead reveals the spread."""
    now = now or timezone.now()
    if participant.pk == item.handler_id:
        raise CalibrationError("You handled this conversation, so the others score it.")
    criteria = _criteria(item.session)
    try:
        checked = _answers_checked(criteria, ratings)
    except ReviewError as exc:
        raise CalibrationError(str(exc)) from None
    with transaction.atomic():
        # Locked so a reveal cannot land between the check and the write.
        session = CalibrationSession.objects.select_for_update().get(pk=item.session_id)
        if session.is_revealed:
            raise CalibrationError("The lead has revealed the scores: this session takes no more.")
        CalibrationScore.objects.filter(item=item, participant=participant).delete()
        CalibrationScore.objects.bulk_create(
            [
                CalibrationScore(
                    item=item,
                    participant=participant,
                    criterion=criterion,
                    level=checked[criterion.pk].level,
                    note=checked[criterion.pk].note,
                    scored_at=now,
                )
                for criterion in criteria
            ]
        )


def calibration_reveal(*, session: CalibrationSession, now: datetime | None = None) -> None:
    """Ends the blind scoring: from now on everyone in the session sees everyone's scores."""
    with transaction.atomic():
        if not CalibrationScore.objects.filter(item__session=session).exists():
            raise CalibrationError("Nobody has scored yet: there is no spread to reveal.")
        revealed = CalibrationSession.objects.filter(pk=session.pk, revealed_at__isnull=True).update(
            revealed_at=now or timezone.now()
        )
    if not revealed:
        raise CalibrationError("The scores are revealed already.")


@dataclass(frozen=True)
class AgreedAnswer:
    """What the lead records for one criterion: the level (None for N/A), why, and whether the
    conversation becomes the scorecard's example of that level."""

    level: int | None
    reason: str
    as_example: bool = False


def calibration_answers_record(
    *, item: CalibrationItem, by: User, answers: dict[str, AgreedAnswer], now: datetime | None = None
) -> None:
    """The agreed answers for one conversation, by criterion key; recorded again, they replace
    the old. A level chosen as an example appears beside its definition on the review form."""
    now = now or timezone.now()
    session = CalibrationSession.objects.get(pk=item.session_id)
    if not session.is_revealed:
        raise CalibrationError("Reveal the scores first: the agreed answer comes after the discussion.")
    criteria = {criterion.key: criterion for criterion in _criteria(session)}
    if not answers:
        raise CalibrationError("Record the agreed level and why for at least one criterion.")
    for key, answer in answers.items():
        criterion = criteria.get(key)
        if criterion is None:
            raise CalibrationError("That criterion is not on this session's scorecard.")
        if answer.level is None and not criterion.allow_na:
            raise CalibrationError(f"{criterion.name} cannot be N/A: choose the agreed level.")
        if answer.level is not None and not 1 <= answer.level <= criterion.size:
            raise CalibrationError(f"{criterion.name} has no level {answer.level}.")
        if not answer.reason.strip():
            raise CalibrationError(f"Say why {criterion.name} is that level: it is what the team learns from.")
        if len(answer.reason) > NOTE_MAX_LENGTH:
            raise CalibrationError(f"Keep each reason to {NOTE_MAX_LENGTH:,} characters.")
        if answer.as_example and answer.level is None:
            raise CalibrationError(f"N/A is not a level of {criterion.name}, so it cannot have an example.")
    with transaction.atomic():
        for key, answer in answers.items():
            criterion = criteria[key]
            recorded, _ = CalibrationAnswer.objects.update_or_create(
                item=item,
                criterion=criterion,
                defaults={
                    "level": answer.level,
                    "reason": answer.reason.strip(),
                    "recorded_by": by,
                    "recorded_at": now,
                },
            )
            examples = LevelExample.objects.filter(
                team_id=session.team_id, criterion_key=key, conversation_id=item.conversation_id
            )
            if not answer.as_example or answer.level is None:
                # Recorded again without the box ticked: the conversation is no longer its example.
                examples.delete()
            else:
                # One level per conversation and criterion: a new agreement moves the example.
                LevelExample.objects.update_or_create(
                    team_id=session.team_id,
                    criterion_key=key,
                    conversation_id=item.conversation_id,
                    defaults={
                        "scale": criterion.scale,
                        "level": answer.level,
                        "reason": answer.reason.strip(),
                        "answer": recorded,
                        "added_by": by,
                        "added_at": now,
                    },
                )


def level_example_remove(*, example: LevelExample) -> None:
    """The lead takes an example off the scorecard; the session keeps its agreed answer."""
    example.delete()
