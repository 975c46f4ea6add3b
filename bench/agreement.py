"""How fast a lead sees reviewer agreement and a reviewer their own leniency, on a year of a big team.

    .venv/bin/python bench/agreement.py                                  # both databases, full size
    .venv/bin/python bench/agreement.py --database sqlite --agents 200 --weeks 26 --repeat 3
    .venv/bin/python bench/agreement.py --smoke      # the same checks in seconds (bench/smoke)

The issue's target: alpha and leniency for a 500-agent team over 52 weeks in under a second,
on SQLite and on PostgreSQL.

The data (bulk_create, nothing saved row by row): one team of N agents, each linked to a
Django user (one password hash shared by all), a lead user who is no agent, the team's
default scorecard (``scorecard_current``: quality and tone on three points, process yes/no,
no N/A) and W consecutive ReviewWeeks, the newest ending Monday 2026-11-30 00:00 UTC. Every
week each agent reviews 5 conversations (an AgentWeek with quota 5 each): 2,500 reviews for
500 agents, of which 10% of the conversations (about 227 of 2,273) have a second review
(role "second") by another agent, neither the first reviewer nor the reviewee. Every
assignment is completed and every review rates every criterion. The second reviewer gives
the first one's level about 70% of the time, else one level off (up or down, leaning on a
reviewer's own strictness or leniency), so alpha is middling and the leniency table has
strict and lenient reviewers.

Measured, each --repeat times after a warm-up, the median reported:

    selectors  team_agreement(team, weeks=the W weeks, scorecard=scorecard_now(team)) and
               own_leniency(agent) for the agent with the most second opinions lately
    page       the lead's reviews:agreement ?weeks=52 (django.test.Client, signed in as a lead)
    written    that agent's reviews:written page (their own leniency at its head)

Checked, whatever the size: alpha of each criterion, overall and per four-week period, against
``krippendorff.alpha`` run here on the levels this script generated (ordinal for three points,
nominal for yes/no; to 1e-9), with a bootstrap interval around it; the conversations reviewed
twice and the ratings the selector reads against those built; every reviewer of a pair in the
leniency table, with the conversations, ratings and mean difference computed here; the agent's
own leniency likewise over their last 12 weeks; both pages answer 200 and show those figures;
the agreement page sends as many statements for ?weeks=52 as for a smaller window (26 weeks;
4 for --smoke), and so do the selectors. At the full size the selectors and each page must
take under 1 s (median); --smoke shows the timings and does not check them.

Django settings can be configured once per process, so each database runs in a fresh
subprocess of this script (``--worker``); its figures come back as one JSON line. SQLite is
var/bench/agreement.sqlite3, PostgreSQL the database carousel_bench_agreement on
127.0.0.1:5432, both made afresh and removed afterwards unless --keep. --smoke (12 agents,
6 weeks) runs on SQLite, or on PostgreSQL when DATABASE_URL is a postgres:// URL (--database
overrides), with its files in a temporary folder and its PostgreSQL database named for the
process. The exit status is 0 only when every check passes; 77 when PostgreSQL is asked for
and not reachable.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import (
    BENCH_DIR,
    EXIT_MISSING,
    ROOT,
    database_url,
    django_setup,
    postgres_database_drop,
    postgres_database_ensure,
    postgres_missing,
    smoke_dir,
    smoke_postgres_name,
    sqlite_remove,
)

SQLITE_PATH = BENCH_DIR / "agreement.sqlite3"
POSTGRES_DB = "carousel_bench_agreement"
RESULT_PREFIX = "AGREEMENT-RESULT "

TARGET_SECONDS = 1.0
SMOKE_SIZES = {"agents": 12, "weeks": 6, "repeat": 2}
# The newest week ends Monday 2026-11-30 00:00 UTC; the others are the weeks before it.
LAST_WEEK_END = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
REVIEWS_PER_AGENT = 5
SECOND_SHARE = 0.10  # of a week's conversations, as the team setting's default
SAME_LEVEL = 0.70  # how often the second reviewer gives the first one's level
# The first reviewer's level, drawn from evenly: some variation, mostly the middle or top.
FIRST_LEVELS = {2: [1, 2, 2], 3: [1, 2, 2, 3]}
OWN_WEEKS = 12  # own_leniency's window: the reviewer's last 12 weeks
PERIOD_WEEKS = 4  # team_agreement's trend periods
SMALL_WINDOWS = (26, 4)  # the smaller ?weeks= for the query count: 26, or 4 when there are fewer weeks
TOLERANCE = 1e-9
CHUNK = 5000  # rows per INSERT asked of bulk_create (SQLite's parameter cap lowers it)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- inside a worker: Django set up for one database ---------------------------------------
@dataclass(frozen=True)
class Pair:
    """One conversation reviewed twice, as built: the levels each reviewer gave, in criteria order."""

    week: int  # index, 0 the oldest
    conversation_id: int
    first: int  # agent ids
    second: int
    first_levels: tuple[int, ...]
    second_levels: tuple[int, ...]


@dataclass(frozen=True)
class Built:
    """What the build made beside the weeks: the rows the measurements need."""

    team: Any
    lead: Any
    agents: list
    criteria: list[tuple[Any, Any]]  # (Criterion row, its CriterionSpec), in scorecard order


def build(args: argparse.Namespace) -> tuple[Built, list[Pair], float]:
    """The team's year, week by week; returns it, the pairs built and the seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    rng = random.Random(20261130)
    built = build_team(args.agents)
    # A reviewer's lean when they disagree: up (lenient), down (strict) or either way.
    lean = {agent.pk: rng.choice([-0.3, 0.0, 0.0, 0.3]) for agent in built.agents}
    pairs: list[Pair] = []
    for index in range(args.weeks):
        pairs += build_week(index, weeks=args.weeks, built=built, lean=lean, rng=rng)
        if (index + 1) % 13 == 0:
            log(f"  {index + 1} of {args.weeks} weeks built, {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a load in production: planner statistics and a
        # visibility map (index-only scans).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return built, pairs, time.perf_counter() - started


def build_team(agents: int) -> Built:
    """The team and its settings, a lead, the agents (each with a user) and the default scorecard."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from conversations.models import Agent, Team
    from reviews import selectors
    from reviews.models import TeamSettings
    from reviews.services.scorecards import scorecard_current

    user_model = get_user_model()
    password = make_password("bench-password-not-for-use")  # hashed once, shared by every user
    with transaction.atomic():
        team = Team.objects.create(name="Support EMEA", source="intercom", external_id="bench-team")
        TeamSettings.objects.create(team=team, reviews_per_week=REVIEWS_PER_AGENT)
        lead = user_model.objects.create(username="lead@bench.example", email="lead@bench.example", password=password)
        team.leads.add(lead)
        users = user_model.objects.bulk_create(
            [
                user_model(username=email, email=email, password=password)
                for email in (f"agent{n:04d}@bench.example" for n in range(agents))
            ],
            batch_size=CHUNK,
        )
        rows = Agent.objects.bulk_create(
            [
                Agent(
                    source="intercom",
                    external_id=f"admin-{n}",
                    name=f"Agent {n:04d}",
                    email=user.email,
                    team=team,
                    user=user,
                )
                for n, user in enumerate(users)
            ],
            batch_size=CHUNK,
        )
        scorecard = scorecard_current(team=team, now=LAST_WEEK_END - timedelta(weeks=60))
    specs = {spec.key: spec for spec in selectors.scorecard_now(team=team).criteria}
    criteria = [(row, specs[row.key]) for row in scorecard.criteria.order_by("position")]
    return Built(team=team, lead=lead, agents=rows, criteria=criteria)


def week_plan(agents: list, rng: random.Random) -> list[tuple[tuple, Any]]:
    """(reviewers, reviewee) per conversation of a week: every agent reviews 5, 10% of the
    conversations by two.

    Review slot k goes to agent order[k % n], so each agent has exactly 5 slots; the first
    conversations take two consecutive slots (two different agents, whatever n >= 2)."""
    n = len(agents)
    slots = n * REVIEWS_PER_AGENT
    conversations = round(slots / (1 + SECOND_SHARE))
    seconds = slots - conversations
    order = rng.sample(agents, n)
    plan, slot = [], 0
    for number in range(conversations):
        taking = 2 if number < seconds else 1
        reviewers = tuple(order[(slot + i) % n] for i in range(taking))
        slot += taking
        reviewee = rng.choice(agents)
        while reviewee in reviewers:
            reviewee = rng.choice(agents)
        plan.append((reviewers, reviewee))
    return plan


def second_level(first: int, size: int, lean: float, rng: random.Random) -> int:
    """The first level ~70% of the time, else one off, inside the scale."""
    if rng.random() < SAME_LEVEL:
        return first
    step = 1 if rng.random() < 0.5 + lean else -1
    if not 1 <= first + step <= size:
        step = -step
    return first + step


def build_week(index: int, *, weeks: int, built: Built, lean: dict[int, float], rng: random.Random) -> list[Pair]:
    """One ReviewWeek: agent weeks, conversations, completed assignments, reviews and ratings."""
    from django.db import transaction

    from conversations.models import Conversation
    from reviews.models import AgentWeek, Assignment, Rating, Review, ReviewWeek, level_score, week_label
    from reviews.scorecards import review_score

    starts_at = LAST_WEEK_END - timedelta(weeks=weeks - index)
    plan = week_plan(built.agents, rng)
    sizes = [spec.size for _, spec in built.criteria]
    with transaction.atomic():
        week = ReviewWeek.objects.create(
            team=built.team,
            label=week_label(starts_at),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(weeks=1),
            seed=index,
            lookback_days_used=7,
            assigned_at=starts_at,
        )
        AgentWeek.objects.bulk_create(
            [
                AgentWeek(week=week, agent=agent, quota=REVIEWS_PER_AGENT, required=REVIEWS_PER_AGENT)
                for agent in built.agents
            ],
            batch_size=CHUNK,
        )
        conversations = []
        for number, (_, reviewee) in enumerate(plan):
            closed = starts_at - timedelta(minutes=rng.randrange(1, 7 * 24 * 60))
            conversations.append(
                Conversation(
                    source="intercom",
                    external_id=f"{index}-{number}",
                    url=f"https://app.intercom.com/a/inbox/bench/conversation/{index}-{number}",
                    subject="Refund for a double charge",
                    team=built.team,
                    assignee=reviewee,
                    state="closed",
                    created_at=closed - timedelta(hours=2),
                    updated_at=closed,
                    closed_at=closed,
                    csat_rating=rng.choice([None, None, 1, 3, 4, 5]),
                    customer_message_count=3,
                    agent_message_count=3,
                    customer_word_count=60,
                    agent_word_count=120,
                )
            )
        conversations = Conversation.objects.bulk_create(conversations, batch_size=CHUNK)
        assignments, answers = [], []
        for conversation, (reviewers, reviewee) in zip(conversations, plan, strict=True):
            first = tuple(rng.choice(FIRST_LEVELS[size]) for size in sizes)
            levels = [first]
            if len(reviewers) == 2:
                lean_of = lean[reviewers[1].pk]
                levels.append(
                    tuple(second_level(level, size, lean_of, rng) for level, size in zip(first, sizes, strict=True))
                )
            for reviewer, role, given in zip(
                reviewers, (Assignment.Role.FIRST, Assignment.Role.SECOND), levels, strict=False
            ):
                created_at = starts_at + timedelta(minutes=rng.randrange(0, 60))
                assignments.append(
                    Assignment(
                        week=week,
                        reviewer=reviewer,
                        reviewee=reviewee,
                        conversation=conversation,
                        role=role,
                        status=Assignment.Status.COMPLETED,
                        created_at=created_at,
                        completed_at=created_at + timedelta(minutes=rng.randrange(30, 5 * 24 * 60)),
                    )
                )
                answers.append(given)
        assignments = Assignment.objects.bulk_create(assignments, batch_size=CHUNK)
        reviews = Review.objects.bulk_create(
            [
                Review(
                    assignment=assignment,
                    conversation=assignment.conversation,
                    reviewer=assignment.reviewer,
                    reviewee=assignment.reviewee,
                    scorecard_id=built.criteria[0][0].scorecard_id,
                    score=review_score((spec, level) for (_, spec), level in zip(built.criteria, given, strict=True)),
                    created_at=assignment.completed_at,
                    updated_at=assignment.completed_at,
                )
                for assignment, given in zip(assignments, answers, strict=True)
            ],
            batch_size=CHUNK,
        )
        Rating.objects.bulk_create(
            [
                Rating(review_id=review.pk, criterion_id=row.pk, level=level, score=level_score(level, spec.size))
                for review, given in zip(reviews, answers, strict=True)
                for (row, spec), level in zip(built.criteria, given, strict=True)
            ],
            batch_size=CHUNK,
        )
    # A second opinion's assignment follows its first one's.
    return [
        Pair(index, a.conversation_id, a.reviewer_id, b.reviewer_id, answers[i], answers[i + 1])
        for i, (a, b) in enumerate(zip(assignments, assignments[1:], strict=False))
        if b.role == Assignment.Role.SECOND
    ]


# --- what the selectors should say, from the levels built ---------------------------------
def package_alpha(pairs: list[Pair], position: int, size: int) -> float | None:
    """krippendorff.alpha on the two reviewers' levels of one criterion (a row each: alpha does
    not depend on who the coders are, only on each conversation's pair of levels)."""
    import krippendorff
    import numpy as np

    if len(pairs) < 2:
        return None
    data = np.array(
        [[pair.first_levels[position] for pair in pairs], [pair.second_levels[position] for pair in pairs]],
        dtype=np.float64,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        value = krippendorff.alpha(
            reliability_data=data,
            value_domain=list(range(1, size + 1)),
            level_of_measurement="nominal" if size == 2 else "ordinal",
        )
    return None if math.isnan(value) else float(value)


def expected_leniency(pairs: list[Pair], sizes: list[int]) -> dict[int, tuple[int, int, float]]:
    """Per reviewer: (conversations, ratings compared, mean of their score less the other's)."""
    from reviews.models import level_score

    differences: dict[int, list[float]] = defaultdict(list)
    conversations: dict[int, int] = defaultdict(int)
    for pair in pairs:
        for first, second, size in zip(pair.first_levels, pair.second_levels, sizes, strict=True):
            difference = level_score(first, size) - level_score(second, size)
            differences[pair.first].append(difference)
            differences[pair.second].append(-difference)
        conversations[pair.first] += 1
        conversations[pair.second] += 1
    return {who: (conversations[who], len(values), sum(values) / len(values)) for who, values in differences.items()}


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= TOLERANCE


def agreement_problems(result, pairs: list[Pair], built: Built, window: int, weeks: int) -> list[str]:
    """Where team_agreement over the last `window` weeks differs from what was built."""
    problems = []
    first_week = weeks - window
    shown = [pair for pair in pairs if pair.week >= first_week]
    sizes = [spec.size for _, spec in built.criteria]
    if result.conversations != len(shown):
        problems.append(f"{result.conversations} conversations reviewed twice, {len(shown)} built")
    keys = [spec.key for _, spec in built.criteria]
    if [row.criterion.key for row in result.criteria] != keys:
        problems.append(f"criteria {[row.criterion.key for row in result.criteria]}, expected {keys}")
        return problems
    for position, (row, size) in enumerate(zip(result.criteria, sizes, strict=True)):
        expected = package_alpha(shown, position, size)
        overall = row.overall
        if not close(overall.alpha, expected):
            problems.append(f"{row.criterion.key}: alpha {overall.alpha}, krippendorff.alpha says {expected}")
        if overall.conversations != len(shown):
            problems.append(f"{row.criterion.key}: alpha on {overall.conversations} conversations, {len(shown)} built")
        if expected is not None and not (overall.low is not None and overall.high is not None):
            problems.append(f"{row.criterion.key}: no bootstrap interval")
        elif expected is not None and not overall.low <= overall.high:
            problems.append(f"{row.criterion.key}: interval {overall.low} to {overall.high}")
    # The trend: four-week periods from the oldest week shown.
    starts = range(0, window, PERIOD_WEEKS)
    if len(result.periods) != len(starts):
        problems.append(f"{len(result.periods)} trend periods, expected {len(starts)}")
    for start, period in zip(starts, result.periods, strict=False):
        inside = [pair for pair in shown if start <= pair.week - first_week < start + PERIOD_WEEKS]
        for position, ((value, count), size) in enumerate(zip(period.values, sizes, strict=True)):
            expected = package_alpha(inside, position, size)
            if not close(value, expected) or count != len(inside):
                problems.append(
                    f"{period.label}, {keys[position]}: alpha {value} on {count}, "
                    f"krippendorff.alpha says {expected} on {len(inside)}"
                )
    # Leniency: every reviewer of a pair, with the figures computed here, most lenient first.
    expected_rows = expected_leniency(shown, sizes)
    got = {row.agent.pk: row.leniency for row in result.reviewers}
    if set(got) != set(expected_rows):
        problems.append(
            f"leniency for {len(got)} reviewers, {len(expected_rows)} were in a pair "
            f"({len(set(expected_rows) - set(got))} missing, {len(set(got) - set(expected_rows))} extra)"
        )
    for who, (conversations, ratings, mean) in expected_rows.items():
        row = got.get(who)
        if row is None:
            continue  # counted as missing above
        if (row.conversations, row.ratings) != (conversations, ratings) or not close(row.mean_difference, mean):
            problems.append(
                f"agent {who}: leniency {row.mean_difference} on {row.conversations} conversations and "
                f"{row.ratings} ratings, expected {mean} on {conversations} and {ratings}"
            )
    differences = [row.leniency.mean_difference for row in result.reviewers]
    if differences != sorted(differences, reverse=True):
        problems.append("the leniency table is not most lenient first")
    return problems[:20]


def own_problems(own, agent_id: int, pairs: list[Pair], built: Built, weeks: int) -> list[str]:
    """own_leniency over the agent's last 12 weeks (every agent reviews every week)."""
    recent = [pair for pair in pairs if pair.week >= weeks - OWN_WEEKS and agent_id in (pair.first, pair.second)]
    expected = expected_leniency(recent, [spec.size for _, spec in built.criteria]).get(agent_id)
    if expected is None or own is None:
        return [] if expected is own else [f"own_leniency of agent {agent_id} is {own}, expected {expected}"]
    conversations, ratings, mean = expected
    if (own.conversations, own.ratings) != (conversations, ratings) or not close(own.mean_difference, mean):
        return [
            f"own_leniency of agent {agent_id}: {own.mean_difference} on {own.conversations} conversations and "
            f"{own.ratings} ratings, expected {mean} on {conversations} and {ratings}"
        ]
    return []


def ratings_read(weeks: list) -> int:
    """The ratings team_agreement's query reads: both reviews' of each conversation reviewed twice."""
    from reviews.models import Assignment, Rating

    seconded = Assignment.objects.filter(
        week__in=weeks, role=Assignment.Role.SECOND, status=Assignment.Status.COMPLETED
    ).values("conversation")
    return Rating.objects.filter(review__assignment__week__in=weeks, review__conversation__in=seconded).count()


# --- timing and statements -------------------------------------------------------------------
def timed(function: Callable[[], object], repeat: int) -> dict[str, list[float]]:
    """Seconds of each of `repeat` runs, after one to warm up (caches, the planner, imports):
    wall-clock, and this process's CPU time, which other work on the machine does not inflate
    (PostgreSQL's own work is in its server process, so only in the wall-clock)."""
    function()
    timings: dict[str, list[float]] = {"wall": [], "cpu": []}
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        function()
        timings["wall"].append(time.perf_counter() - started)
        timings["cpu"].append(time.process_time() - cpu_started)
    return timings


def statements(function: Callable[[], object]) -> tuple[object, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # the log is a bounded deque: a full one would hide what is captured
    with CaptureQueriesContext(connection) as captured:
        value = function()
    return value, len(captured.captured_queries)


def fetch(client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response.content.decode()


def profile(function: Callable[[], object], label: str, lines: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    function()
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(lines)
        log(f"\n--- cProfile: {label} (top {lines} by {order}) ---\n{out.getvalue()}")


def measure(args: argparse.Namespace, built: Built, pairs: list[Pair]) -> dict:
    from django.template.defaultfilters import floatformat
    from django.test import Client
    from django.urls import reverse

    from conversations.models import Agent
    from reviews import selectors
    from reviews.models import ReviewWeek

    team = built.team
    window = min(args.weeks, 52)
    small = next(size for size in SMALL_WINDOWS if size < window)
    recent = list(ReviewWeek.objects.filter(team=team).order_by("-starts_at"))
    weeks, small_weeks = recent[:window][::-1], recent[:small][::-1]
    scorecard = selectors.scorecard_now(team=team)
    # The reviewer: the agent with the most second opinions in their last 12 weeks.
    lately: dict[int, int] = defaultdict(int)
    for pair in pairs:
        if pair.week >= args.weeks - OWN_WEEKS:
            lately[pair.first] += 1
            lately[pair.second] += 1
    agent = Agent.objects.select_related("user").get(pk=max(lately, key=lambda pk: (lately[pk], -pk)))

    def call_pair() -> tuple:
        return selectors.team_agreement(team, weeks=weeks, scorecard=scorecard), selectors.own_leniency(agent)

    result, agreement_queries = statements(lambda: selectors.team_agreement(team, weeks=weeks, scorecard=scorecard))
    small_result, small_queries = statements(
        lambda: selectors.team_agreement(team, weeks=small_weeks, scorecard=scorecard)
    )
    own, own_queries = statements(lambda: selectors.own_leniency(agent))
    problems = agreement_problems(result, pairs, built, window, args.weeks)
    problems += [f"?weeks={small}: {p}" for p in agreement_problems(small_result, pairs, built, small, args.weeks)]
    problems += own_problems(own, agent.pk, pairs, built, args.weeks)
    read = ratings_read(weeks)
    shown = sum(1 for pair in pairs if pair.week >= args.weeks - window)
    if read != shown * 2 * len(built.criteria):
        problems.append(f"the selector's query reads {read} ratings, {shown * 2 * len(built.criteria)} were built")

    # Not the test environment (no template instrumentation): serve as the app would, on a
    # host the settings allow.
    lead_client, agent_client = Client(SERVER_NAME="127.0.0.1"), Client(SERVER_NAME="127.0.0.1")
    lead_client.force_login(built.lead)
    agent_client.force_login(agent.user)
    page_url = reverse("reviews:agreement", args=[team.pk])
    written_url = reverse("reviews:written")
    body, page_queries = statements(lambda: fetch(lead_client, f"{page_url}?weeks=52"))
    small_body, page_small_queries = statements(lambda: fetch(lead_client, f"{page_url}?weeks={small}"))
    written, written_queries = statements(lambda: fetch(agent_client, written_url))
    for label, text, figures in (("?weeks=52", body, result), (f"?weeks={small}", small_body, small_result)):
        missing = [
            row.criterion.key
            for row in figures.criteria
            if row.overall.alpha is not None and floatformat(row.overall.alpha, 3) not in text
        ]
        if missing or f"{figures.conversations} conversation" not in text:
            problems.append(f"the agreement page {label} does not show the alpha of {missing} or its count")
    if own is not None and own.points not in written:
        problems.append(f"the reviewer's page does not show their leniency {own.points}")
    if page_queries != page_small_queries:
        problems.append(
            f"the agreement page sent {page_queries} statements for 52 weeks, {page_small_queries} for {small}"
        )
    if agreement_queries != small_queries:
        problems.append(
            f"team_agreement sent {agreement_queries} statements for {window} weeks, {small_queries} for {small}"
        )

    if args.profile:
        profile(call_pair, "team_agreement + own_leniency", args.profile)
        profile(lambda: fetch(lead_client, f"{page_url}?weeks=52"), "the agreement page ?weeks=52", args.profile)
    return {
        "window": window,
        "small_window": small,
        "double_reviewed": result.conversations,
        "ratings_read": read,
        "alphas": [
            [row.criterion.name, row.measure, row.overall.alpha, row.overall.low, row.overall.high]
            for row in result.criteria
        ],
        "reviewers": len(result.reviewers),
        "own": None if own is None else [agent.name, own.conversations, own.ratings, own.points],
        "timings": {
            "selectors": timed(call_pair, args.repeat),
            "page": timed(lambda: fetch(lead_client, f"{page_url}?weeks=52"), args.repeat),
            "written": timed(lambda: fetch(agent_client, written_url), args.repeat),
        },
        "queries": {
            "selectors": agreement_queries + own_queries,
            "team_agreement": agreement_queries,
            "team_agreement_small": small_queries,
            "page": page_queries,
            "page_small": page_small_queries,
            "written": written_queries,
        },
        "problems": problems,
    }


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        version = connection.pg_version  # e.g. 150020
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def stored_counts() -> dict[str, int]:
    from conversations.models import Agent, Conversation
    from reviews.models import Rating, Review, ReviewWeek

    return {
        "agents": Agent.objects.count(),
        "weeks": ReviewWeek.objects.count(),
        "conversations": Conversation.objects.count(),
        "reviews": Review.objects.count(),
        "ratings": Rating.objects.count(),
    }


def worker(args: argparse.Namespace) -> None:
    url = database_url(args.worker, sqlite_path=Path(args.sqlite_path), postgres_db=args.postgres_db)
    django_setup(url, static_root=Path(args.static_root) if args.static_root else None)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    built, pairs, build_seconds = build(args)
    counts = {**stored_counts(), "pairs": len(pairs)}
    log(
        f"  built {counts['agents']} agents, {counts['weeks']} weeks, {counts['conversations']:,} conversations "
        f"({len(pairs):,} reviewed twice), {counts['reviews']:,} reviews, {counts['ratings']:,} ratings "
        f"in {build_seconds:.1f} s"
    )
    result = {
        "database": args.worker,
        "server_version": database_version(),
        "build_seconds": build_seconds,
        "counts": counts,
        **measure(args, built, pairs),
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# --- the parent: one subprocess per database, then a table ---------------------------------
def run_database(database: str, args: argparse.Namespace) -> dict:
    log(f"... {database}: {args.agents} agents x {args.weeks} weeks x {REVIEWS_PER_AGENT} reviews")
    if database == "sqlite":
        Path(args.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        sqlite_remove(Path(args.sqlite_path))
    else:
        postgres_database_ensure(args.postgres_db, recreate=True)
    command = [sys.executable, __file__, "--worker", database]
    for option in ("agents", "weeks", "repeat", "profile", "sqlite_path", "postgres_db"):
        command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    command += ["--static-root", args.static_root] if args.static_root else []
    finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in finished.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if finished.returncode or not lines:
        print(finished.stdout, file=sys.stderr)
        raise SystemExit(f"The {database} run failed (exit {finished.returncode}).")
    return json.loads(lines[-1].removeprefix(RESULT_PREFIX))


def report(results: list[dict], *, check_target: bool, repeat: int) -> bool:
    """The figures of each database, then the table; whether every check passed."""
    ok = True
    for result in results:
        counts, queries = result["counts"], result["queries"]
        print()
        print(
            f"{result['database']} ({result['server_version']}): {counts['agents']} agents, {counts['weeks']} weeks, "
            f"{counts['conversations']:,} conversations, {counts['reviews']:,} reviews, {counts['ratings']:,} ratings, "
            f"built in {result['build_seconds']:.1f} s"
        )
        print(f"  over the last {result['window']} weeks, {result['double_reviewed']:,} conversations reviewed twice:")
        for name, measure_, alpha, low, high in result["alphas"]:
            interval = "no interval" if low is None else f"95% interval {low:.3f} to {high:.3f}"
            shown = "none" if alpha is None else f"{alpha:.3f}"
            print(f"    {name:<30} alpha {shown} ({measure_}), {interval}")
        print(f"  leniency for {result['reviewers']} reviewers", end="")
        if result["own"]:
            name, conversations, ratings, points = result["own"]
            print(f"; {name}'s own: {points} points on {conversations} conversations, {ratings} ratings", end="")
        print()
        print(
            f"  statements: agreement page {queries['page']} for ?weeks=52, {queries['page_small']} for "
            f"?weeks={result['small_window']}; team_agreement {queries['team_agreement']} and "
            f"{queries['team_agreement_small']}; with own_leniency {queries['selectors']}; "
            f"the reviewer's page {queries['written']}"
        )
        for problem in result["problems"]:
            print(f"  WRONG: {problem}")
        ok = ok and not result["problems"]
        for name, timings in result["timings"].items():
            print(f"  {name} seconds: {seconds(timings['wall'])} (CPU {seconds(timings['cpu'])})")
    print()
    print(
        f"Median seconds of {repeat} runs after a warm-up (CPU: this process's); selectors = team_agreement + "
        "own_leniency, page = the lead's agreement page ?weeks=52, written = the reviewer's page."
    )
    header = (
        f"{'database':<10} {'reviewed twice':>14} {'ratings read':>12} {'selectors':>9} {'(CPU)':>6} {'page':>6} "
        f"{'(CPU)':>6} {'written':>7} {'target':>7}  result"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        timings = result["timings"]
        medians = [statistics.median(timings[name]["wall"]) for name in ("selectors", "page", "written")]
        cpu = [statistics.median(timings[name]["cpu"]) for name in ("selectors", "page")]
        met = all(value < TARGET_SECONDS for value in medians)
        if check_target:
            ok = ok and met
        verdict = ("OK" if met else "FAIL") if check_target else "not checked"
        if result["problems"]:
            verdict += ", figures WRONG"
        print(
            f"{result['database']:<10} {result['double_reviewed']:>14,} {result['ratings_read']:>12,} "
            f"{medians[0]:>9.3f} {cpu[0]:>6.3f} {medians[1]:>6.3f} {cpu[1]:>6.3f} {medians[2]:>7.3f} "
            f"{f'< {TARGET_SECONDS:g} s':>7}  {verdict}"
        )
    print()
    if not check_target:
        print("Smoke run: the figures are checked; the target is for the full size and is not.")
    print(f"All checks {'pass' if ok else 'DO NOT pass'}.")
    return ok


def seconds(values: list[float]) -> str:
    return ", ".join(f"{value:.3f}" for value in values)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of the selectors and each page; the median")
    parser.add_argument("--profile", type=int, default=0, metavar="LINES", help="cProfile the selectors and page")
    parser.add_argument("--keep", action="store_true", help="keep the database (var/bench/ or PostgreSQL's)")
    parser.add_argument("--smoke", action="store_true", help=f"seconds, not minutes: {SMOKE_SIZES}")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--sqlite-path", default=str(SQLITE_PATH), help=argparse.SUPPRESS)
    parser.add_argument("--postgres-db", default=POSTGRES_DB, help=argparse.SUPPRESS)
    parser.add_argument("--static-root", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return args
    if args.smoke:
        # Smoke sizes replace the defaults; options given on the command line still win.
        parser.set_defaults(**SMOKE_SIZES)
        args = parser.parse_args()
    if args.database is None:
        # The smoke follows the database scripts/test is testing; a full run measures both.
        on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
        args.database = ("postgres" if on_postgres else "sqlite") if args.smoke else "both"
    if args.agents < 3:
        parser.error("--agents must be at least 3 (two reviewers and someone else's conversation)")
    if args.weeks <= min(SMALL_WINDOWS):
        parser.error(f"--weeks must be above {min(SMALL_WINDOWS)}, so that a smaller window can be compared")
    if args.smoke and args.keep:
        parser.error("a smoke run keeps nothing: --keep does not apply")
    return args


def main() -> int:
    args = parse_args()
    if args.worker:
        worker(args)
        return 0
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    scratch = None
    if args.smoke:
        scratch = smoke_dir("agreement")
        args.sqlite_path, args.static_root = str(scratch / "agreement.sqlite3"), str(scratch / "static")
        (scratch / "static").mkdir()  # whitenoise warns of a missing STATIC_ROOT
        args.postgres_db = smoke_postgres_name(POSTGRES_DB)
    if "postgres" in databases and (missing := postgres_missing()):
        print(f"bench/agreement.py needs PostgreSQL for --database {args.database}: {missing}.", file=sys.stderr)
        return EXIT_MISSING
    try:
        results = [run_database(database, args) for database in databases]
    finally:
        if not args.keep:
            if "sqlite" in databases:
                sqlite_remove(Path(args.sqlite_path))
            if "postgres" in databases:
                postgres_database_drop(args.postgres_db)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0 if report(results, check_target=not args.smoke, repeat=args.repeat) else 1


if __name__ == "__main__":
    sys.exit(main())
