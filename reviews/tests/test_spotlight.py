"""Spotlight sampling: a team mixes into each batch conversations its signals flag, and every
assignment says why it was picked, on My week and on the review page."""

import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from reviews.allocation import LOW, OTHER, SPOTLIGHT, Candidate, Mix, allocate
from reviews.models import Assignment, Signal, TeamSettings
from reviews.services import assignments_pull, week_assign
from reviews.spotlight import SpotlightRules
from reviews.tests.factories import WEEK_START

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


def test_the_spotlight_share_is_a_floor_and_without_it_the_flagged_are_drawn_like_any_other():
    # Four teammates, each with ten conversations, half of them flagged.
    candidates = [Candidate(n, n % 4, None, "complaint" if n % 8 < 4 else "") for n in range(40)]
    needs = {4: 5, 5: 5, 6: 5, 7: 5}

    def flagged_share(mix, seed):
        assigned = allocate(needs=needs, candidates=candidates, mix=mix, rng=random.Random(seed))
        picked = [candidate for batch in assigned.values() for candidate in batch]
        assert len(picked) == len({candidate.conversation_id for candidate in picked}) == 20
        return sum(candidate.spotlight != "" for candidate in picked) / len(picked)

    without = [flagged_share(Mix(0, 0, 0), seed) for seed in range(20)]
    floor = [flagged_share(Mix(0, 0, 10), seed) for seed in range(20)]

    assert 0.3 < sum(without) / len(without) < 0.7  # about their half of the pool
    assert min(floor) >= 0.1 and sum(floor) / len(floor) > 0.3


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
    # Half at least from the spotlight; the random half may draw flagged ones too.
    assert reasons["complaint"] + reasons["negative"] >= 10, reasons
    assert reasons["random"] + reasons["complaint"] + reasons["negative"] == 20, reasons
    assert reasons["random"] > 0


def test_my_week_and_the_review_page_say_why_it_was_picked(client, spotlit):
    builder, agents = spotlit
    week = week_assign(team=builder.team)
    mine = Assignment.objects.filter(week=week, picked_because="complaint").select_related("reviewer__user").first()
    batch = Assignment.objects.filter(week=week, reviewer=mine.reviewer)
    client.force_login(mine.reviewer.user)

    my_week = client.get(reverse("reviews:my_week")).content.decode()
    review_page = client.get(reverse("reviews:review", args=[mine.pk])).content.decode()

    assert "<th>Picked because</th>" in my_week
    assert "<td>complaint</td>" in my_week
    for assignment in batch:
        assert f"<td>{assignment.get_picked_because_display()}</td>" in my_week
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


# --- Recurring complaints ----------------------------------------------------------------------


@pytest.fixture
def complaints(team_of_five, monday, django_user_model):
    """Two weeks of a team whose complaint tags are "complaint" and "late-refund", with topics."""
    from reviews.models import ReviewWeek
    from reviews.services import review_week_get_or_create

    builder, agents = team_of_five
    TeamSettings.objects.create(
        team=builder.team,
        complaint_tags="complaint, Late-Refund",
        complaint_topics="Refund delays\nApp crashes",
        second_opinion_percent=0,
    )
    last = review_week_get_or_create(team=builder.team, starts_at=WEEK_START - timedelta(days=7))
    week = week_assign(team=builder.team)
    # Closed last week (the factories' default: two days before this week).
    builder.conversations(agents[0], 3, tags=["complaint"])
    builder.conversations(agents[1], 1, tags=["late-refund", "complaint"])
    builder.conversations(agents[2], 2, customer_sentiment=-0.7)
    builder.conversations(agents[2], 1, tags=["complaint"], customer_sentiment=-0.9)
    # Closed this week.
    builder.conversations(agents[3], 1, tags=["Late-Refund"], closed_days_ago=-1)
    lead = django_user_model.objects.create_user("lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    assert ReviewWeek.objects.filter(team=builder.team).count() == 2
    return {"builder": builder, "agents": agents, "week": week, "last": last, "lead": lead}


def test_the_complaints_page_counts_tags_sentiment_and_reviewers_topics_per_week(client, complaints):
    from reviews.services import review_submit
    from reviews.tests.factories import answers

    first, second = Assignment.objects.filter(week=complaints["week"], role="first")[:2]
    review_submit(assignment=first, answers=answers(complaint_topic="Refund delays"))
    review_submit(assignment=second, answers=answers(complaint_topic="Refund delays"))
    client.force_login(complaints["lead"])

    page = client.get(reverse("reviews:complaints", args=[complaints["builder"].team.pk])).content.decode()

    rows = re.findall(r"<tr><td>(.*?)</td>\s*<td>(.*?)</td>\s*((?:<td>\d+</td>)+)<td><strong>(\d+)", page)
    table = {topic: (source, re.findall(r"\d+", counts), total) for topic, source, counts, total in rows}
    assert table == {
        "tagged “complaint”": ("helpdesk tag", ["5", "0"], "5"),
        "tagged “late-refund”": ("helpdesk tag", ["1", "1"], "2"),
        "Refund delays": ("reviewers' topic", ["0", "2"], "2"),
        "strongly negative customer, no complaint tag": ("sentiment", ["2", "0"], "2"),
    }
    assert list(table)[0] == "tagged “complaint”"  # most frequent first


def test_the_complaints_page_is_for_the_teams_leads(client, complaints):
    url = reverse("reviews:complaints", args=[complaints["builder"].team.pk])
    client.force_login(complaints["agents"][0].user)

    assert client.get(url).status_code == 404


def test_a_reviewer_picks_a_topic_from_the_teams_list_and_it_stays_when_the_list_changes(client, complaints):
    from reviews.models import Review
    from reviews.tests.factories import review_form

    assignment = Assignment.objects.filter(week=complaints["week"], role="first").first()
    reviewer = assignment.reviewer.user
    client.force_login(reviewer)
    url = reverse("reviews:review", args=[assignment.pk])

    form = client.get(url).content.decode()
    refused = client.post(url, review_form(complaint_topic="Moon phases"))
    client.post(url, review_form(complaint_topic="App crashes"))
    TeamSettings.objects.filter(team=complaints["builder"].team).update(complaint_topics="Refund delays")
    again = client.get(url).content.decode()
    client.post(url, review_form(complaint_topic="App crashes", quality=3))

    assert '<option value="" selected>Not a complaint</option>' in form
    assert '<option value="App crashes">App crashes</option>' in form
    assert refused.status_code == 400
    assert "Select a valid choice. Moon phases is not one of the available choices." in refused.content.decode()
    assert '<option value="App crashes" selected>App crashes</option>' in again
    assert Review.objects.get(assignment=assignment).complaint_topic == "App crashes"


def test_a_team_without_topics_asks_none_but_shows_a_reviews_own(client, complaints):
    from reviews.models import Review
    from reviews.services import review_submit
    from reviews.tests.factories import answers, review_form

    assignment = Assignment.objects.filter(week=complaints["week"], role="first").first()
    review_submit(assignment=assignment, answers=answers(complaint_topic="Refund delays"))
    TeamSettings.objects.filter(team=complaints["builder"].team).update(complaint_topics="")
    other = Assignment.objects.filter(week=complaints["week"], role="first").exclude(pk=assignment.pk).first()
    client.force_login(other.reviewer.user)

    fresh = client.get(reverse("reviews:review", args=[other.pk])).content.decode()
    client.force_login(assignment.reviewer.user)
    own = client.get(reverse("reviews:review", args=[assignment.pk])).content.decode()
    client.post(reverse("reviews:review", args=[assignment.pk]), review_form(quality=3, complaint_topic=""))

    assert "Complaint topic" not in fresh
    assert '<option value="Refund delays" selected>Refund delays</option>' in own
    assert Review.objects.get(assignment=assignment).complaint_topic == ""  # cleared by choosing "Not a complaint"


def test_a_complaint_topic_longer_than_a_review_keeps_is_refused_in_words(client, complaints):
    url = reverse("reviews:team_settings", args=[complaints["builder"].team.pk])
    client.force_login(complaints["lead"])
    form = client.get(url).content.decode()
    data = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    data.update({"midweek_joiners": "pro_rata", "time_zone": "UTC", "complaint_topics": "Short one\n" + "x" * 101})

    response = client.post(url, data)

    assert f"Keep each topic under 100 characters; “{'x' * 40}…” has 101." in response.content.decode()
    assert TeamSettings.objects.get(team=complaints["builder"].team).complaint_topics == "Refund delays\nApp crashes"


def test_a_topic_two_reviewers_gave_one_conversation_counts_once_and_a_gap_week_counts_nowhere(client, complaints):
    from reviews.models import Review, ReviewWeek
    from reviews.services import review_request, review_submit
    from reviews.tests.factories import answers

    first = Assignment.objects.filter(week=complaints["week"], role="first").select_related("conversation").first()
    review_submit(assignment=first, answers=answers(complaint_topic="App crashes"))
    busy = {first.reviewer_id, first.conversation.assignee_id}
    other = next(agent for agent in complaints["agents"] if agent.pk not in busy)
    sent = review_request(conversation=first.conversation, reviewer=other, by=complaints["lead"])
    review_submit(assignment=sent, answers=answers(complaint_topic="App crashes"))
    # Last week never had a batch: its conversations fall between the weeks shown.
    ReviewWeek.objects.filter(pk=complaints["last"].pk).delete()
    client.force_login(complaints["lead"])

    page = client.get(reverse("reviews:complaints", args=[complaints["builder"].team.pk])).content.decode()

    assert Review.objects.filter(complaint_topic="App crashes").count() == 2
    assert re.search(r"<td>App crashes</td>\s*<td>reviewers' topic</td>\s*<td>1</td><td><strong>1</strong>", page)
    assert re.search(r"<td>tagged “complaint”</td>\s*<td>helpdesk tag</td>\s*<td>0</td><td><strong>0</strong>", page)
