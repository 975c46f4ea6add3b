"""A lead sends one conversation for review, to a teammate or to themselves: outside the
weekly batch, counted apart from the quota, and waiting past the week it was sent in."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import Agent, Conversation

from ..models import NOTE_MAX_LENGTH, Assignment
from .quota import week_assign


class RequestError(Exception):
    """A request the rules refuse; the message is shown to the lead."""


def review_request(
    *, conversation: Conversation, reviewer: Agent, by: User, note: str = "", now: datetime | None = None
) -> Assignment:
    """Hand `conversation` to `reviewer` with the lead's note, in its team's running week."""
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise RequestError(f"Keep the note under {NOTE_MAX_LENGTH} characters; it has {len(note)}.")
    if conversation.team is None or conversation.assignee_id is None:
        raise RequestError("Nobody in a team handled this conversation, so there is nobody to review.")
    if conversation.exclusion_reason:
        raise RequestError(
            f"This conversation was set aside ({conversation.get_exclusion_reason_display().lower()}): "
            "include it anyway first, then send it."
        )
    if reviewer.pk == conversation.assignee_id:
        raise RequestError(f"{reviewer.name} handled this conversation; choose someone else to review it.")
    # A teammate of the conversation's team, or the lead themselves, whatever team they answer in.
    if reviewer.team_id != conversation.team_id and reviewer.user_id != by.pk:
        raise RequestError(f"{reviewer.name} is not in the team this conversation belongs to.")
    if not reviewer.is_active:
        raise RequestError(f"{reviewer.name} is no longer active in the helpdesk.")
    now = now or timezone.now()
    week = week_assign(team=conversation.team, now=now)
    try:
        with transaction.atomic():
            return Assignment.objects.create(
                week=week,
                reviewer=reviewer,
                conversation=conversation,
                reviewee_id=conversation.assignee_id,
                kind=Assignment.Kind.REQUESTED,
                requested_by=by,
                request_note=note,
                created_at=now,
            )
    except IntegrityError:
        # The database's one active assignment per conversation and reviewer.
        you = by.pk is not None and reviewer.user_id == by.pk
        raise RequestError(
            "You already have this conversation to review."
            if you
            else f"{reviewer.name} already has this conversation to review."
        ) from None
