"""Spotlight sampling: which of a team's conversations its signals flag, by the team's own
rules, from what the sync measured (conversations/spotlight.py). Pure: no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import Signal, TeamSettings

# VADER's own convention: a compound score of -0.5 or less is strongly negative.
STRONGLY_NEGATIVE = -0.5


@dataclass(frozen=True)
class SpotlightRules:
    signals: tuple[str, ...]  # the team's, in Signal's order
    complaint_tags: frozenset[str]
    escalation_tags: frozenset[str]
    slow_after: timedelta
    many_back_and_forths: int

    @classmethod
    def of(cls, settings: TeamSettings) -> SpotlightRules:
        chosen = set(settings.spotlight_signals or [])
        return cls(
            signals=tuple(signal for signal in Signal.values if signal in chosen),
            complaint_tags=frozenset(settings.complaint_tag_list),
            escalation_tags=frozenset(settings.escalation_tag_list),
            slow_after=timedelta(hours=settings.slow_close_hours),
            many_back_and_forths=settings.many_back_and_forths,
        )

    def signal(
        self,
        *,
        tags: Iterable[str],
        sentiment: float | None,
        reopens: int | None,
        created_at: datetime,
        closed_at: datetime | None,
        back_and_forths: int,
    ) -> str:
        """The first of the team's signals the conversation shows, or "" for none."""
        lowered = {tag.lower() for tag in tags}
        for signal in self.signals:
            if signal == Signal.COMPLAINT and lowered & self.complaint_tags:
                return signal
            if signal == Signal.NEGATIVE and sentiment is not None and sentiment <= STRONGLY_NEGATIVE:
                return signal
            if signal == Signal.ESCALATED and lowered & self.escalation_tags:
                return signal
            if signal == Signal.REOPENED and reopens:
                return signal
            if signal == Signal.SLOW and closed_at is not None and closed_at - created_at >= self.slow_after:
                return signal
            if signal == Signal.BACK_AND_FORTH and back_and_forths >= self.many_back_and_forths:
                return signal
        return ""
