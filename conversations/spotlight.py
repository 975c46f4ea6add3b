"""What the sync measures of a conversation for spotlight sampling: how the customer felt and
how many times the talk went back and forth. Teams decide later, with their own thresholds,
which of these make a conversation worth a closer look (reviews/spotlight.py).

The customer's feeling is VADER's compound score (-1 to 1): a lexicon and rules shipped
inside the vaderSentiment package, so nothing is downloaded and nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from .models import AuthorKind

# How a customer opens says how they felt; scoring more costs the sync more than it tells
# (bench/sync.py: 1,500 characters added a quarter to the sync's time above its floor).
SENTIMENT_TEXT_MAX = 600


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # reads its 7,500-word lexicon once a process


def customer_sentiment(bodies: Iterable[str]) -> float | None:
    """VADER's compound score of what the customer wrote, or None if they wrote nothing."""
    text = "\n".join(body for body in bodies if body.strip())[:SENTIMENT_TEXT_MAX]
    if not text:
        return None
    return round(_analyzer().polarity_scores(text)["compound"], 3)


def back_and_forths(author_kinds: Iterable[str]) -> int:
    """How many times an agent answered the customer after the customer wrote: the turns of
    the conversation, notes and bots aside."""
    turns = 0
    waiting = False
    for kind in author_kinds:
        if kind == AuthorKind.CUSTOMER:
            waiting = True
        elif kind == AuthorKind.AGENT and waiting:
            turns += 1
            waiting = False
    return turns
