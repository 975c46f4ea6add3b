"""1:1 coaching sessions: a lead meets an agent, writes notes and action items with due dates,
and the agent acknowledges them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from conversations.models import Agent, Team

from ..models import ActionItem, OneOnOne

ACTION_MAX = ActionItem._meta.get_field("text").max_length or 300


class CoachingError(Exception):
    """What the 1:1 rules refuse; the message is shown as it is."""


@dataclass(frozen=True)
class ActionAnswer:
    text: str
    due_on: date | None = None


def _actions_checked(actions: list[ActionAnswer]) -> list[ActionAnswer]:
    checked = [ActionAnswer(action.text.strip(), action.due_on) for action in actions if action.text.strip()]
    for action in checked:
        if len(action.text) > ACTION_MAX:
            raise CoachingError(f"Keep each action item under {ACTION_MAX} characters; one has {len(action.text)}.")
    return checked


def one_on_one_create(
    *,
    team: Team,
    agent: Agent,
    lead: User,
    held_on: date,
    agenda: str,
    notes: str,
    actions: list[ActionAnswer],
    now: datetime | None = None,
) -> OneOnOne:
    if agent.team_id != team.pk:
        raise CoachingError(f"{agent.name} is not in {team.name}.")
    checked = _actions_checked(actions)
    now = now or timezone.now()
    with transaction.atomic():
        session = OneOnOne.objects.create(
            team=team,
            agent=agent,
            lead=lead,
            held_on=held_on,
            agenda=agenda.strip(),
            notes=notes.strip(),
            created_at=now,
            updated_at=now,
        )
        ActionItem.objects.bulk_create(
            ActionItem(one_on_one=session, text=action.text, due_on=action.due_on) for action in checked
        )
    return session


def one_on_one_update(
    *, session: OneOnOne, agenda: str, notes: str, actions: list[ActionAnswer], now: datetime | None = None
) -> OneOnOne:
    """The lead's changes; new action items are added. A change the agent has not seen asks
    them to acknowledge again."""
    checked = _actions_checked(actions)
    agenda, notes = agenda.strip(), notes.strip()
    if (agenda, notes) == (session.agenda, session.notes) and not checked:
        return session
    now = now or timezone.now()
    with transaction.atomic():
        session.agenda, session.notes, session.updated_at, session.acknowledged_at = agenda, notes, now, None
        session.save(update_fields=["agenda", "notes", "updated_at", "acknowledged_at"])
        ActionItem.objects.bulk_create(
            ActionItem(one_on_one=session, text=action.text, due_on=action.due_on) for action in checked
        )
    return session


def one_on_one_acknowledge(*, session: OneOnOne, now: datetime | None = None) -> bool:
    """The agent has read it; False if they had already."""
    return bool(
        OneOnOne.objects.filter(pk=session.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now or timezone.now()
        )
    )


def action_item_mark(*, item: ActionItem, done: bool, now: datetime | None = None) -> None:
    """Done (keeping when it was first done) or open again."""
    if done:
        ActionItem.objects.filter(pk=item.pk, done_at__isnull=True).update(done_at=now or timezone.now())
    else:
        ActionItem.objects.filter(pk=item.pk).update(done_at=None)
