"""What the sync measures of a conversation for spotlight sampling: how the customer felt and
how many times the talk went back and forth. Teams decide later, with their own thresholds,
which of these make a conversation worth a closer look (reviews/spotlight.py).

The customer's feeling is VADER's compound score (-1 to 1): a lexicon and rules shipped
inside the vaderSentiment package, so nothing is downloaded and nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from itertools import islice

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from .models import AuthorKind

# The customer's opening message and first answer say how they felt. Scoring more costs the
# sync more than it tells: VADER's time grows with the square of a text's words, and one
# joined transcript cost a quarter of the sync's time above its floor (bench/sync.py).
SENTIMENT_MESSAGES = 2
SENTIMENT_MESSAGE_MAX = 400  # characters of each


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # reads its 7,500-word lexicon once a process


def customer_sentiment(bodies: Iterable[str]) -> float | None:
    """VADER's compound score of the more negative of the customer's first two messages, or
    None if they wrote nothing."""
    said = islice((body for body in bodies if body.strip()), SENTIMENT_MESSAGES)
    scores = [_analyzer().polarity_scores(body[:SENTIMENT_MESSAGE_MAX])["compound"] for body in said]
    return round(min(scores), 3) if scores else None


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
