"""Spotlight sampling: a team mixes into each batch conversations its signals flag, and every
assignment says why it was picked, on My week and on the review page."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from reviews.allocation import LOW, OTHER, SPOTLIGHT, Candidate, Mix, allocate
from reviews.models import Assignment, Signal, TeamSettings
from reviews.services import assignments_pull, week_assign
from reviews.spotlight import SpotlightRules

CLOSED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def rules(**settings) -> SpotlightRules:
    return SpotlightRules.of(TeamSettings(**settings))


def signal(rule: SpotlightRules, **measures) -> str:
    conversation = {
        "tags": [],
        "sentiment": 0.2,
        "reopens": 0,
        "created_at": CLOSED - timedelta(hours=2),
        "closed_at": CLOSED,
        "back_and_forths": 2,
        **measures,
    }
    return rule.signal(**conversation)


def test_each_signal_flags_what_it_says_by_the_teams_thresholds():
    rule = rules(complaint_tags="complaint, Refund-Complaint", escalation_tags="tier-2", slow_close_hours=48)

    assert signal(rule) == ""
    assert signal(rule, tags=["billing", "refund-complaint"]) == "complaint"
    assert signal(rule, sentiment=-0.5) == "negative"
    assert signal(rule, sentiment=-0.49) == ""
    assert signal(rule, tags=["Tier-2"]) == "escalated"
    assert signal(rule, reopens=1) == "reopened"
    assert signal(rule, reopens=None) == ""
    assert signal(rule, created_at=CLOSED - timedelta(hours=48)) == "slow"
    assert signal(rule, created_at=CLOSED - timedelta(hours=47)) == ""
    assert signal(rule, back_and_forths=6) == "back_and_forth"
    assert signal(rule, back_and_forths=5) == ""


def test_the_first_signal_in_order_names_it_and_signals_the_team_left_out_do_not_count():
    everything = {"tags": ["complaint", "escalation"], "sentiment": -0.9, "reopens": 2, "back_and_forths": 9}

    assert signal(rules(), **everything) == "complaint"
    assert signal(rules(spotlight_signals=["reopened", "escalated"]), **everything) == "escalated"
    assert signal(rules(spotlight_signals=[]), **everything) == ""


def test_the_batch_follows_the_spotlight_share_and_each_pick_has_its_reason():
    needs = {agent: 5 for agent in range(10)}
    candidates = [
        Candidate(agent * 100 + n, agent, rating, spotlight)
        for agent in range(10)
        for n, (rating, spotlight) in enumerate(
            [(1, ""), (2, "complaint"), (None, "complaint"), (None, "reopened"), (3, "negative")]
            + [(None, "")] * 7
            + [(4, "")] * 3
        )
    ]

    assigned = allocate(needs=needs, candidates=candidates, mix=Mix(20, 0, 40), rng=random.Random(5))

    picked = [candidate for batch in assigned.values() for candidate in batch]
    categories = Counter(candidate.category for candidate in picked)
    assert (categories[LOW], categories[SPOTLIGHT], categories[OTHER]) == (10, 20, 20)
    assert {candidate.reason for candidate in picked if candidate.category == SPOTLIGHT} <= {
        "complaint",
        "reopened",
        "negative",
    }
    # A low rating is a CSAT extreme first, whatever else it shows.
    assert Candidate(1, 1, 2, "complaint").reason == "lowest_csat"
    assert Candidate(1, 1, 5, "").reason == "highest_csat"
    assert Candidate(1, 1, None, "").reason == "random"


def test_without_a_spotlight_share_the_flagged_are_drawn_like_any_other():
    candidates = [Candidate(n, n % 4, None, "complaint" if n % 2 else "") for n in range(40)]

    with_flags = allocate(needs={0: 5, 1: 5, 2: 5, 3: 5}, candidates=candidates, mix=Mix(0, 0, 0), rng=random.Random(1))

    assert sum(len(batch) for batch in with_flags.values()) == 20
    picked = Counter(candidate.category for batch in with_flags.values() for candidate in batch)
    assert picked[SPOTLIGHT] and picked[OTHER]


@pytest.fixture
def spotlit(team_of_five, monday):
    """Five agents, each with two complaints, an escalation with an angry customer (a strongly
    negative customer first) and eight ordinary conversations."""
    builder, agents = team_of_five
    TeamSettings.objects.create(
        team=builder.team,
        reviews_per_week=4,
        lowest_csat_percent=0,
        highest_csat_percent=0,
        spotlight_percent=50,
        second_opinion_percent=0,
    )
    for agent in agents:
        builder.conversations(agent, 2, tags=["Complaint"])
        builder.conversations(agent, 1, tags=["escalated"], customer_sentiment=-0.8)
    return builder, agents


def test_a_teams_batches_carry_its_spotlight_share_and_the_reasons(spotlit):
    builder, _ = spotlit

    week = week_assign(team=builder.team)

    reasons = Counter(Assignment.objects.filter(week=week).values_list("picked_because", flat=True))
    assert sum(reasons.values()) == 20
    assert reasons["complaint"] + reasons["negative"] == 10, reasons
    assert reasons["random"] == 10


def test_my_week_and_the_review_page_say_why_it_was_picked(client, spotlit):
    builder, agents = spotlit
    week = week_assign(team=builder.team)
    mine = Assignment.objects.filter(week=week, reviewer=agents[0], picked_because="complaint").first()
    assert mine is not None
    client.force_login(agents[0].user)

    my_week = client.get(reverse("reviews:my_week")).content.decode()
    review_page = client.get(reverse("reviews:review", args=[mine.pk])).content.decode()

    assert "<th>Picked because</th>" in my_week
    assert "<td>complaint</td>" in my_week
    assert "<td>random</td>" in my_week
    assert "Picked for you because: complaint." in review_page


def test_a_pulled_conversation_says_it_was_pulled(client, spotlit):
    builder, agents = spotlit
    week_assign(team=builder.team)

    pulled = assignments_pull(agent=agents[0], count=1)[0]
    client.force_login(agents[0].user)

    assert pulled.why_picked == "pulled on demand"
    assert "<td>pulled on demand</td>" in client.get(reverse("reviews:my_week")).content.decode()


def test_a_team_without_the_spotlight_gets_no_signal_reasons(team_of_five, monday):
    builder, agents = team_of_five
    TeamSettings.objects.create(team=builder.team, second_opinion_percent=0)
    for agent in agents:
        builder.conversations(agent, 3, tags=["complaint"], customer_sentiment=-0.9)

    week = week_assign(team=builder.team)

    reasons = set(Assignment.objects.filter(week=week).values_list("picked_because", flat=True))
    assert reasons <= {"random", "lowest_csat", "highest_csat"}
    assert not reasons & set(Signal.values)
