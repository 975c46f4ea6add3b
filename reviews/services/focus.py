"""Focus items ("one thing to try"): a review sets one for its reviewee, and the agent's next
review by someone else says whether it happened."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import FocusItem, FocusOutcome, Review

FOCUS_MAX = FocusItem._meta.get_field("text").max_length or 300


class FocusError(Exception):
    """What the focus rules refuse; the message is shown to the reviewer."""


def focus_record(
    *, review: Review, text: str, follows: FocusItem | None = None, outcome: str = "", now: datetime | None = None
) -> None:
    """Store what a review says about focus: the one thing it sets for its reviewee (empty:
    none), and, for the earlier focus the reviewer was shown (`follows`), whether it happened
    (empty: not said)."""
    text = text.strip()
    if len(text) > FOCUS_MAX:
        raise FocusError(f"Keep the thing to try under {FOCUS_MAX} characters; it has {len(text)}.")
    if outcome and outcome not in FocusOutcome.values:
        raise FocusError("Choose whether the earlier focus happened from the list.")
    now = now or timezone.now()
    with transaction.atomic():
        if follows is not None:
            _follow_up(review, follows, outcome, now)
        own = FocusItem.objects.select_for_update().filter(review=review).first()
        if own is not None and own.outcome and text != own.text:
            raise FocusError("Its next reviewer has already said whether this focus happened: it stays as it was.")
        if own is None and text:
            # One open focus per agent (a constraint): the newest.
            FocusItem.objects.filter(agent_id=review.reviewee_id, outcome="", replaced_at__isnull=True).update(
                replaced_at=now
            )
            try:
                with transaction.atomic():
                    FocusItem.objects.create(review=review, agent_id=review.reviewee_id, text=text, created_at=now)
            except IntegrityError:
                raise FocusError(
                    "Another review set a focus for this agent a moment ago; save again to replace it."
                ) from None
        elif own is not None and text:
            own.text = text
            own.save(update_fields=["text"])
        elif own is not None:
            own.delete()


def _follow_up(review: Review, follows: FocusItem, outcome: str, now: datetime) -> None:
    # Only this review's follow-up is changed: another's, a moment ago, stays.
    mine = FocusItem.objects.filter(Q(follow_up__isnull=True) | Q(follow_up=review), pk=follows.pk)
    if outcome:
        mine.update(follow_up=review, outcome=outcome, followed_at=now)
        return
    # Withdrawn: open again, unless a newer focus is open by now.
    newer = FocusItem.objects.filter(agent_id=follows.agent_id, outcome="", replaced_at__isnull=True)
    mine.filter(follow_up=review).update(
        follow_up=None, outcome="", followed_at=None, replaced_at=now if newer.exists() else None
    )
