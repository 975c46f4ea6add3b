"""People, teams and conversations for quota and review tests, at a fixed Monday."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
import time_machine
from django.contrib.auth import get_user_model

from conversations.models import Agent, Conversation, Team

# Monday of ISO week 48, 09:00 UTC: the week that starts 2026-11-23 00:00 UTC is running.
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK_START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
_ids = count(1)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


class TeamBuilder:
    def __init__(self, name="Support"):
        self.team = Team.objects.create(name=name)

    def agent(self, name, *, user=True, **extra) -> Agent:
        number = next(_ids)
        email = f"{name.lower().replace(' ', '.')}.{number}@ledgerly.example"
        linked = get_user_model().objects.create_user(email, email=email, password="pw") if user else None
        return Agent.objects.create(
            source="file", external_id=f"agent-{number}", name=name, email=email, team=self.team, user=linked, **extra
        )

    def conversations(self, assignee, how_many, *, closed_days_ago=2, csat=None, **extra) -> list[Conversation]:
        closed = WEEK_START - timedelta(days=closed_days_ago)
        return [
            Conversation.objects.create(
                source="file",
                external_id=f"c-{next(_ids)}",
                subject=f"{assignee.name} conversation",
                team=self.team,
                assignee=assignee,
                created_at=closed - timedelta(hours=1),
                updated_at=closed,
                closed_at=closed,
                state="closed",
                csat_rating=csat,
                customer_message_count=3,
                agent_message_count=3,
                customer_word_count=40,
                **extra,
            )
            for _ in range(how_many)
        ]


@pytest.fixture
def build(db):
    return TeamBuilder


@pytest.fixture
def team_of_five(build):
    """Five agents who can sign in, each with eight conversations closed last week."""
    builder = build()
    agents = [builder.agent(name) for name in ("Ana", "Ben", "Cleo", "Dev", "Eli")]
    for agent in agents:
        builder.conversations(agent, 8)
    return builder, agents


def answers(
    *,
    quality: int = 2,
    tone: int = 2,
    followed: bool = True,
    quality_note: str = "",
    tone_note: str = "",
    process_note: str = "",
    missed: tuple[int, ...] = (),
    share_as_example: bool = False,
    **extra,
) -> dict:
    """What `services.review_submit` takes for a review on the default scorecard."""
    from reviews.scorecards import RatingAnswer

    return {
        "ratings": {
            "quality": RatingAnswer(quality, quality_note),
            "tone": RatingAnswer(tone, tone_note),
            "process": RatingAnswer(2 if followed else 1, process_note, missed),
            **extra.pop("ratings", {}),
        },
        "share_as_example": share_as_example,
        "start_note": "",
        "stop_note": "",
        "continue_note": "",
        "csat_cause": "",
        "complaint_topic": "",
        **extra,
    }


def review_form(
    *, quality: int | str = 2, tone: int | str = 2, process: str = "yes", **fields: object
) -> dict[str, object]:
    """The review page's form on the default scorecard, as a browser posts it."""
    return {
        "quality": str(quality),
        "tone": str(tone),
        "process": {"yes": "2", "no": "1"}.get(process, process),
        "quality_note": "",
        "tone_note": "",
        "process_note": "",
        **fields,
    }


def levels(review) -> tuple[int | None, ...]:
    """A default-scorecard review's levels of Quality, Tone and Followed internal processes
    (1 No, 2 Yes)."""
    ratings = {rating.criterion.key: rating for rating in review.ratings.select_related("criterion")}
    return tuple(ratings[key].level for key in ("quality", "tone", "process"))


def note(review, key: str) -> str:
    return review.ratings.get(criterion__key=key).note
