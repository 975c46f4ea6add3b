"""How fast a lead's pages are on a year of a big team, against the queries each needs.

    .venv/bin/python bench/dashboard.py                                   # both databases, full size
    .venv/bin/python bench/dashboard.py --database sqlite --agents 100 --weeks 12 --repeat 3
    .venv/bin/python bench/dashboard.py --smoke       # the same in seconds (what scripts/test does)

The data (made with bulk_create, nothing per row): one team of N agents, each linked to a
Django user (one precomputed password hash, not ``create_user``), a lead, one scorecard
version of four criteria (the default three, quality, tone and process, and a five-point
"Product knowledge" of weight 2 that allows N/A), W ReviewWeeks, an AgentWeek per agent and
week (quota = required = R), and R completed assignments per agent and week, each of its own
conversation and with its review: 500 agents x 52 weeks x 5 = 130,000 reviews, each with its
quality score (``review_score``) and a rating of every criterion (level, score, note):
520,000 ratings. About 5% of the product knowledge ratings are N/A; most low process and
product knowledge ratings tick a root cause or two; most reviews of a low-CSAT conversation
say what caused it. Reviewer and reviewee are always different agents, no conversation has
two active assignments, and every completed assignment has its completed_at.

Measured with django.test.Client, signed in (force_login) as the team's lead, each page a
few times after a warm-up, the median reported:

    Team week ?weeks=52   (and the default 8)  vs  the AgentWeek + completed-count aggregate
                                                   over the weeks shown
    Trends    ?weeks=52                        vs  the ratings grouped by week, criterion key,
                                                   scale and level (count, sum of scores), and
                                                   the reviews grouped by week (count, mean
                                                   score, low-CSAT counts): 2 statements
    Reports   ?weeks=52                        vs  those two, the root causes ticked per
                                                   criterion, the low ratings per criterion and
                                                   the reviews per CSAT cause: 5 statements
    Reviews CSV ?weeks=52 (all of streaming_content)
                                               vs  the criteria of the versions used, the joined
                                                   SELECT of every review row and column
                                                   (replies counted per review) read with
                                                   fetchmany, and per 2,000 reviews their ratings
                                                   (with the level's label) and root causes ticked

The queries are run directly on a cursor: no ORM, no model instances, each over the weeks
shown (a team's own weeks, so no team filter is needed). Target: each page within 3x of its
queries. The query count of each page is captured with CaptureQueriesContext.

Django settings can be configured once per process, so each database runs in a fresh
subprocess of this script (``--worker``); its figures come back as one JSON line. SQLite
is a throwaway file under var/bench/; PostgreSQL is the database carousel_bench_dashboard,
dropped and made again for each run (``--reuse`` keeps either when it holds the same data;
the SQLite file is deleted after the run unless ``--keep`` or ``--reuse``).

Every run checks what says a figure is wrong, whatever the size: a CSV that does not hold
every review or a rating of every criterion, a query reading other rows than stored, the
trends or reports figures (per week and criterion, root causes, low ratings, CSAT causes)
differing from the queries', a team week, trends or reports page whose query count grows
with the weeks shown. Exits 1 when a page misses the target or a figure is wrong. --smoke
builds a small team (SQLite unless --database says otherwise; its files in a temporary
folder, its PostgreSQL database named for the process and dropped), checks too that its data
holds N/A ratings, root causes and CSAT causes, and exits 1 when a figure is wrong; at that
size the target says nothing, so it is shown but not checked.
Exit 77: PostgreSQL was asked for and is not reachable.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import time
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

SQLITE_PATH = BENCH_DIR / "dashboard.sqlite3"
POSTGRES_DB = "carousel_bench_dashboard"
RESULT_PREFIX = "DASHBOARD-RESULT "

TARGET_RATIO = 3.0
# Ten weeks, so that the default eight and "all" differ; a few hundred reviews.
SMOKE_SIZES = {"database": "sqlite", "agents": 12, "weeks": 10, "reviews_per_week": 2, "repeat": 1}
# The newest week starts Monday 2026-11-23 00:00 UTC; the others are the weeks before it.
LAST_WEEK_START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
FIRST_NAMES = [
    "Ana", "Ben", "Cleo", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jun",
    "Kemi", "Liam", "Maya", "Nils", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Bauer", "Castro", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quist", "Rossi", "Santos", "Tanaka",
    "Ulloa", "Varga", "Wong", "Xu", "Young",
]  # fmt: skip
NOTES = [
    "",
    "",
    "Clear answer, and the workaround was spot on.",
    'Quoted the "refund policy" before checking the plan, so the customer asked twice.',
    "Missed the identity check before changing the email address.\nTagged it afterwards.",
    "Warm, and the next question was answered before it was asked, which saved a reply.",
]


# --- inside a worker: Django set up for one database ---------------------------------------
CHUNK = 5000  # rows per INSERT in bulk_create
# The levels reviewers give each criterion, drawn from evenly (process: about 85% Yes).
LEVEL_CHOICES: dict[str, list[int]] = {
    "quality": [1, 2, 2, 2, 3, 3],
    "tone": [1, 2, 2, 3, 3, 3],
    "process": [1, 2, 2, 2, 2, 2, 2],
    "product_knowledge": [1, 2, 3, 3, 4, 4, 4, 5, 5, 5],
}
NA_SHARE = 0.05  # of the ratings of a criterion that allows N/A
TICK_SHARE = 0.8  # of the low ratings of a criterion with root causes: one or two ticked


def bench_criteria() -> tuple:
    """The scorecard's four criteria: the default three and a five-point one with N/A."""
    from reviews.models import Scale
    from reviews.scorecards import DEFAULT_SPEC, CriterionSpec, default_levels

    product_knowledge = CriterionSpec(
        key="product_knowledge",
        name="Product knowledge",
        description="knows the features, plans and limits the customer asks about",
        scale=Scale.FIVE_POINT,
        levels=default_levels(Scale.FIVE_POINT),
        root_causes=("Did not know the feature", "Relied on an outdated help article"),
        allow_na=True,
        weight=2,
        low_levels=2,
    )
    return (*DEFAULT_SPEC.criteria, product_knowledge)


def expected_counts(args: argparse.Namespace) -> dict[str, int]:
    reviews = args.agents * args.weeks * args.reviews_per_week
    criteria = len(LEVEL_CHOICES)
    return {
        "agents": args.agents,
        "weeks": args.weeks,
        "agent_weeks": args.agents * args.weeks,
        "scorecards": 1,
        "criteria": criteria,
        "reviews": reviews,
        "ratings": reviews * criteria,
    }


def stored_counts() -> dict[str, int]:
    from conversations.models import Agent
    from reviews.models import AgentWeek, Criterion, Rating, Review, ReviewWeek, Scorecard

    return {
        "agents": Agent.objects.count(),
        "weeks": ReviewWeek.objects.count(),
        "agent_weeks": AgentWeek.objects.count(),
        "scorecards": Scorecard.objects.count(),
        "criteria": Criterion.objects.count(),
        "reviews": Review.objects.count(),
        "ratings": Rating.objects.count(),
    }


def data_counts() -> dict[str, int]:
    """What the data holds beside its size: the N/A ratings, ticks and CSAT causes."""
    from reviews.models import Rating, Review

    return {
        "not_applicable": Rating.objects.filter(level__isnull=True).count(),
        "ticked": Rating.root_causes.through.objects.count(),
        "csat_causes": Review.objects.exclude(csat_cause="").count(),
    }


def build(args: argparse.Namespace) -> float:
    """The team's year, inserted week by week; returns the seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    rng = random.Random(20261123)
    team, agents, scorecard = build_team(args, rng)
    for index in range(args.weeks):
        build_week(index, args=args, team=team, agents=agents, scorecard=scorecard, rng=rng)
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a load in production: planner statistics and a
        # visibility map (index-only scans).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def build_team(args: argparse.Namespace, rng: random.Random) -> tuple:
    """The team, its settings, a lead, the agents (each with a user), the scorecard and two sync runs."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from conversations.models import Agent, SyncRun, Team
    from reviews.models import TeamSettings

    user_model = get_user_model()
    password = make_password("bench-password-not-for-use")  # hashed once, shared by every user
    with transaction.atomic():
        team = Team.objects.create(name="Support EMEA", source="intercom", external_id="bench-team")
        TeamSettings.objects.create(team=team, reviews_per_week=args.reviews_per_week)
        lead = user_model.objects.create(
            username="lead@bench.example", email="lead@bench.example", password=password, first_name="Lee"
        )
        team.leads.add(lead)
        users = user_model.objects.bulk_create(
            [
                user_model(username=email, email=email, password=password)
                for email in (f"agent{n:04d}@bench.example" for n in range(args.agents))
            ],
            batch_size=CHUNK,
        )
        names = [f"{first} {last}" for last in LAST_NAMES for first in FIRST_NAMES]
        rng.shuffle(names)
        agents = Agent.objects.bulk_create(
            [
                Agent(
                    source="intercom",
                    external_id=f"admin-{n}",
                    name=names[n] if n < len(names) else f"Agent {n:04d}",
                    email=user.email,
                    team=team,
                    user=user,
                )
                for n, user in enumerate(users)
            ],
            batch_size=CHUNK,
        )
        scorecard = build_scorecard(team, lead)
        SyncRun.objects.create(
            source="intercom", status="succeeded", kept=2400, excluded_counts={"short": 31, "spam_tag": 4}
        )
        SyncRun.objects.create(source="intercom", status="failed", error_text="Intercom answered HTTP 503.")
    return team, agents, scorecard


def build_scorecard(team, lead) -> list[tuple]:
    """Version 1 of the team's scorecard, its rows as services.scorecard_save writes a version
    (which would keep the default three criteria as a version 1 of its own); read back with
    selectors.scorecard_now as the pages read it. Returns (criterion row, its spec, root cause
    ids by position) per criterion."""
    from reviews import selectors
    from reviews.models import Criterion, CriterionLevel, RootCause, Scorecard

    criteria = bench_criteria()
    scorecard = Scorecard.objects.create(team=team, version=1, created_by=lead)
    rows = Criterion.objects.bulk_create(
        [
            Criterion(
                scorecard=scorecard,
                key=spec.key,
                name=spec.name,
                description=spec.description,
                position=position,
                scale=spec.scale,
                allow_na=spec.allow_na,
                weight=spec.weight,
                critical=spec.critical,
                low_levels=spec.low_levels,
                note_required_when_low=spec.note_required_when_low,
            )
            for position, spec in enumerate(criteria, start=1)
        ]
    )
    CriterionLevel.objects.bulk_create(
        [
            CriterionLevel(criterion=row, value=level.value, label=level.label, definition=level.definition)
            for row, spec in zip(rows, criteria, strict=True)
            for level in spec.levels
        ]
    )
    causes = RootCause.objects.bulk_create(
        [
            RootCause(criterion=row, label=label, position=position)
            for row, spec in zip(rows, criteria, strict=True)
            for position, label in enumerate(spec.root_causes, start=1)
        ]
    )
    stored = selectors.scorecard_now(team=team)
    if stored.criteria != criteria:
        raise SystemExit(f"The scorecard reads back as {stored.criteria}, not as written.")
    return [
        (row, spec, [cause.pk for cause in causes if cause.criterion_id == row.pk])
        for row, spec in zip(rows, criteria, strict=True)
    ]


def build_week(index: int, *, args: argparse.Namespace, team, agents: list, scorecard, rng: random.Random) -> None:
    """One ReviewWeek: an AgentWeek per agent, and R completed assignments each, reviewed and rated."""
    from django.db import transaction

    from reviews.models import AgentWeek, Assignment, Rating, Review, ReviewWeek, level_score, week_label

    per_week = args.reviews_per_week
    starts_at = LAST_WEEK_START - timedelta(weeks=args.weeks - 1 - index)
    with transaction.atomic():
        week = ReviewWeek.objects.create(
            team=team,
            label=week_label(starts_at),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(weeks=1),
            seed=index,
            lookback_days_used=7,
            assigned_at=starts_at,
        )
        AgentWeek.objects.bulk_create(
            [AgentWeek(week=week, agent=agent, quota=per_week, required=per_week) for agent in agents],
            batch_size=CHUNK,
        )
        pairs = [(r, (r + k + 1) % len(agents)) for r in range(len(agents)) for k in range(per_week)]
        conversations = week_conversations(index, pairs, team=team, agents=agents, starts_at=starts_at, rng=rng)
        assignments = []
        for (reviewer, reviewee), conversation in zip(pairs, conversations, strict=True):
            created_at = starts_at + timedelta(minutes=rng.randrange(0, 60))
            assignments.append(
                Assignment(
                    week=week,
                    reviewer=agents[reviewer],
                    reviewee=agents[reviewee],
                    conversation=conversation,
                    status=Assignment.Status.COMPLETED,
                    created_at=created_at,
                    completed_at=created_at + timedelta(minutes=rng.randrange(30, 5 * 24 * 60)),
                )
            )
        assignments = Assignment.objects.bulk_create(assignments, batch_size=CHUNK)
        answers = [week_answers(scorecard, rng) for _ in assignments]
        reviews = Review.objects.bulk_create(
            [
                week_review(assignment, scorecard, levels, rng)
                for assignment, levels in zip(assignments, answers, strict=True)
            ],
            batch_size=CHUNK,
        )
        ratings, ticks = [], []
        for review, levels in zip(reviews, answers, strict=True):
            for (row, spec, cause_ids), level in zip(scorecard, levels, strict=True):
                ratings.append(
                    Rating(
                        review_id=review.pk,
                        criterion_id=row.pk,
                        level=level,
                        score=None if level is None else level_score(level, spec.size),
                        note=rng.choice(NOTES),
                    )
                )
                if cause_ids and spec.is_low(level) and rng.random() < TICK_SHARE:
                    ticks.append(rng.sample(cause_ids, rng.choice([1, 1, 2])))
                else:
                    ticks.append([])
        ratings = Rating.objects.bulk_create(ratings, batch_size=CHUNK)
        through = Rating.root_causes.through
        through.objects.bulk_create(
            [
                through(rating_id=rating.pk, rootcause_id=cause_id)
                for rating, cause_ids in zip(ratings, ticks, strict=True)
                for cause_id in cause_ids
            ],
            batch_size=CHUNK,
        )


def week_conversations(index: int, pairs: list, *, team, agents: list, starts_at: datetime, rng: random.Random):
    """A conversation of the reviewee's, closed in the week before, for every reviewer-reviewee pair."""
    from conversations.models import Conversation

    conversations = []
    for reviewer, reviewee in pairs:
        closed = starts_at - timedelta(minutes=rng.randrange(1, 7 * 24 * 60))
        external_id = f"{index}-{reviewer}-{reviewee}"
        from_file = rng.random() < 0.1  # imported from a file: no helpdesk link
        conversations.append(
            Conversation(
                source="file" if from_file else "intercom",
                external_id=external_id,
                url="" if from_file else f"https://app.intercom.com/a/inbox/bench/conversation/{external_id}",
                subject=rng.choice(["", "Refund for a double charge", "Cannot export invoices", "SSO, again"]),
                team=team,
                assignee=agents[reviewee],
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
    return Conversation.objects.bulk_create(conversations, batch_size=CHUNK)


def week_answers(scorecard: list[tuple], rng: random.Random) -> list[int | None]:
    """The level given to each criterion (None: N/A)."""
    return [
        None if spec.allow_na and rng.random() < NA_SHARE else rng.choice(LEVEL_CHOICES[spec.key])
        for _, spec, _ in scorecard
    ]


def week_review(assignment, scorecard: list[tuple], levels: list[int | None], rng: random.Random):
    from reviews.models import LOW_CSAT_AT_MOST, CsatCause, Review
    from reviews.scorecards import review_score

    csat = assignment.conversation.csat_rating
    asked = csat is not None and csat <= LOW_CSAT_AT_MOST
    return Review(
        assignment=assignment,
        conversation=assignment.conversation,
        reviewer=assignment.reviewer,
        reviewee=assignment.reviewee,
        scorecard_id=scorecard[0][0].scorecard_id,
        score=review_score((spec, level) for (_, spec, _), level in zip(scorecard, levels, strict=True)),
        csat_cause=rng.choice([*CsatCause.values, CsatCause.AGENT]) if asked and rng.random() < 0.9 else "",
        share_as_example=rng.random() < 0.02,
        created_at=assignment.completed_at,
        updated_at=assignment.completed_at,
        seen_at=assignment.completed_at + timedelta(hours=3) if rng.random() < 0.7 else None,
    )


# --- the queries each page needs, on a cursor ----------------------------------------------
def _tables() -> dict[str, str]:
    from conversations.models import Agent, Conversation, Team
    from reviews.models import (
        AgentWeek,
        Assignment,
        Criterion,
        CriterionLevel,
        Rating,
        Review,
        ReviewComment,
        ReviewWeek,
        RootCause,
        Scorecard,
    )

    models: dict[str, Any] = {
        "agent": Agent,
        "conversation": Conversation,
        "agentweek": AgentWeek,
        "assignment": Assignment,
        "criterion": Criterion,
        "level": CriterionLevel,
        "rating": Rating,
        "ticked": Rating.root_causes.through,
        "review": Review,
        "reviewcomment": ReviewComment,
        "rootcause": RootCause,
        "scorecard": Scorecard,
        "team": Team,
        "week": ReviewWeek,
    }
    return {key: model._meta.db_table for key, model in models.items()}


def _placeholders(values: list) -> str:
    return ", ".join(["%s"] * len(values))


Statement = tuple[str, list]


def team_week_query(week_ids: list[int]) -> Statement:
    t = _tables()
    sql = f"""
        SELECT aw.agent_id, aw.week_id, aw.quota, aw.required, aw.is_away, COUNT(a.id)
        FROM {t["agentweek"]} aw
        LEFT JOIN {t["assignment"]} a
            ON a.week_id = aw.week_id AND a.reviewer_id = aw.agent_id AND a.status = 'completed'
        WHERE aw.week_id IN ({_placeholders(week_ids)})
        GROUP BY aw.id, aw.agent_id, aw.week_id, aw.quota, aw.required, aw.is_away
    """
    return sql, list(week_ids)


def trends_queries(week_ids: list[int]) -> dict[str, Statement]:
    """What the trends page shows, in the weeks: the ratings per week, criterion key, scale and
    level (count, sum of scores), and the reviews per week (count, mean score, low CSAT)."""
    from reviews.models import CSAT_OUTSIDE_AGENT

    t, weeks = _tables(), _placeholders(week_ids)
    ratings = f"""
        SELECT a.week_id, cr.key, cr.scale, rt.level, COUNT(*), SUM(rt.score)
        FROM {t["rating"]} rt
        JOIN {t["review"]} r ON r.id = rt.review_id
        JOIN {t["assignment"]} a ON a.id = r.assignment_id
        JOIN {t["criterion"]} cr ON cr.id = rt.criterion_id
        WHERE a.week_id IN ({weeks})
        GROUP BY a.week_id, cr.key, cr.scale, rt.level
    """
    reviews = f"""
        SELECT a.week_id, COUNT(*), AVG(r.score), COUNT(CASE WHEN r.csat_cause <> '' THEN 1 END),
               COUNT(CASE WHEN r.csat_cause IN ({_placeholders(CSAT_OUTSIDE_AGENT)}) THEN 1 END)
        FROM {t["review"]} r
        JOIN {t["assignment"]} a ON a.id = r.assignment_id
        WHERE a.week_id IN ({weeks})
        GROUP BY a.week_id
    """
    return {
        "ratings": (ratings, list(week_ids)),
        "reviews": (reviews, [*map(str, CSAT_OUTSIDE_AGENT), *week_ids]),
    }


def reports_queries(week_ids: list[int]) -> dict[str, Statement]:
    """The trends' two, the root causes ticked per criterion key and label, the low ratings per
    criterion key and the reviews per CSAT cause."""
    t, weeks = _tables(), _placeholders(week_ids)
    causes = f"""
        SELECT cr.key, rc.label, COUNT(*)
        FROM {t["ticked"]} tk
        JOIN {t["rating"]} rt ON rt.id = tk.rating_id
        JOIN {t["review"]} r ON r.id = rt.review_id
        JOIN {t["assignment"]} a ON a.id = r.assignment_id
        JOIN {t["criterion"]} cr ON cr.id = rt.criterion_id
        JOIN {t["rootcause"]} rc ON rc.id = tk.rootcause_id
        WHERE a.week_id IN ({weeks})
        GROUP BY cr.key, rc.label
    """
    low = f"""
        SELECT cr.key, COUNT(*)
        FROM {t["rating"]} rt
        JOIN {t["review"]} r ON r.id = rt.review_id
        JOIN {t["assignment"]} a ON a.id = r.assignment_id
        JOIN {t["criterion"]} cr ON cr.id = rt.criterion_id
        WHERE a.week_id IN ({weeks}) AND rt.level <= cr.low_levels
        GROUP BY cr.key
    """
    csat = f"""
        SELECT r.csat_cause, COUNT(*)
        FROM {t["review"]} r
        JOIN {t["assignment"]} a ON a.id = r.assignment_id
        WHERE a.week_id IN ({weeks}) AND r.csat_cause <> ''
        GROUP BY r.csat_cause
    """
    return {
        **trends_queries(week_ids),
        "causes": (causes, list(week_ids)),
        "low": (low, list(week_ids)),
        "csat": (csat, list(week_ids)),
    }


def run_queries(statements: dict[str, Statement]) -> dict[str, list]:
    """Each statement's rows, one after another."""
    from django.db import connection

    rows = {}
    with connection.cursor() as cursor:
        for name, (sql, params) in statements.items():
            cursor.execute(sql, params)
            rows[name] = cursor.fetchall()
    return rows


def export_queries(week_ids: list[int]) -> dict[str, Statement]:
    t = _tables()
    criteria = f"""
        SELECT cr.key, cr.name, COUNT(rc.id)
        FROM {t["criterion"]} cr
        JOIN {t["scorecard"]} sc ON sc.id = cr.scorecard_id
        LEFT JOIN {t["rootcause"]} rc ON rc.criterion_id = cr.id
        WHERE cr.scorecard_id IN (
            SELECT r.scorecard_id FROM {t["review"]} r JOIN {t["assignment"]} a ON a.id = r.assignment_id
            WHERE a.week_id IN ({_placeholders(week_ids)})
        )
        GROUP BY cr.id, cr.key, cr.name, sc.version, cr.position
        ORDER BY sc.version DESC, cr.position
    """
    reviews = f"""
        SELECT tm.name, w.label, r.id, r.created_at, c.id, c.subject, c.source, c.external_id, c.url,
               c.csat_rating, c.tags, rv.name, re.name, sc.version, r.score, r.csat_cause, r.start_note,
               r.stop_note, r.continue_note, r.share_as_example, r.unshared_at IS NOT NULL,
               r.seen_at IS NOT NULL,
               (SELECT COUNT(*) FROM {t["reviewcomment"]} rc WHERE rc.review_id = r.id)
        FROM {t["review"]} r
        JOIN {t["assignment"]} a ON a.id = r.assignment_id
        JOIN {t["week"]} w ON w.id = a.week_id
        JOIN {t["team"]} tm ON tm.id = w.team_id
        JOIN {t["conversation"]} c ON c.id = r.conversation_id
        JOIN {t["agent"]} rv ON rv.id = r.reviewer_id
        JOIN {t["agent"]} re ON re.id = r.reviewee_id
        JOIN {t["scorecard"]} sc ON sc.id = r.scorecard_id
        WHERE a.week_id IN ({_placeholders(week_ids)})
        ORDER BY w.starts_at, r.created_at, r.id
    """
    return {"criteria": (criteria, list(week_ids)), "reviews": (reviews, list(week_ids))}


def export_chunk_queries(review_ids: list[int]) -> tuple[str, str]:
    """A chunk's ratings with their level's label, and the root causes ticked, in order."""
    t, ids = _tables(), _placeholders(review_ids)
    ratings = f"""
        SELECT rt.review_id, cr.key, rt.level, lv.label, rt.note
        FROM {t["rating"]} rt
        JOIN {t["criterion"]} cr ON cr.id = rt.criterion_id
        LEFT JOIN {t["level"]} lv ON lv.criterion_id = rt.criterion_id AND lv.value = rt.level
        WHERE rt.review_id IN ({ids})
    """
    causes = f"""
        SELECT rt.review_id, cr.key, rc.label
        FROM {t["ticked"]} tk
        JOIN {t["rating"]} rt ON rt.id = tk.rating_id
        JOIN {t["criterion"]} cr ON cr.id = rt.criterion_id
        JOIN {t["rootcause"]} rc ON rc.id = tk.rootcause_id
        WHERE rt.review_id IN ({ids})
        ORDER BY rc.position
    """
    return ratings, causes


def run_export_queries(statements: dict[str, Statement]) -> dict[str, int]:
    """The criteria, then the review rows read 2,000 at a time, as the export reads them, each
    chunk's ratings and root causes read before the next: rows read of each."""
    from django.db import connection

    read = {"reviews": 0, "ratings": 0, "ticked": 0}
    with connection.cursor() as cursor, connection.cursor() as chunk_cursor:
        cursor.execute(*statements["criteria"])
        read["criteria"] = len(cursor.fetchall())
        cursor.execute(*statements["reviews"])
        while batch := cursor.fetchmany(2000):
            read["reviews"] += len(batch)
            ids = [row[2] for row in batch]
            ratings, causes = export_chunk_queries(ids)
            chunk_cursor.execute(ratings, ids)
            read["ratings"] += len(chunk_cursor.fetchall())
            chunk_cursor.execute(causes, ids)
            read["ticked"] += len(chunk_cursor.fetchall())
    return read


def rows_read(result: object) -> int:
    if isinstance(result, int):
        return result
    if isinstance(result, dict):
        return sum(value if isinstance(value, int) else len(value) for value in result.values())
    raise TypeError(result)


# --- the pages' figures against the queries' ----------------------------------------------
def _same(a: object, b: object) -> bool:
    """Equal, floats to within rounding (a sum divided in Python against AVG in SQL)."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-6
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def trends_differences(rows: dict[str, list], trends: list, weeks: list, scorecard) -> list[str]:
    """Where the page's per-week figures differ from the queries' rows."""
    labels = {week.pk: week.label for week in weeks}
    levels: dict[tuple[str, str], dict[tuple[str, int | None], tuple[int, float]]] = {}
    for week_id, key, scale, level, total, score_sum in rows["ratings"]:
        levels.setdefault((labels[week_id], key), {})[(scale, level)] = (total, score_sum or 0.0)
    expected: dict[object, tuple] = {}
    shown: dict[object, tuple] = {}
    for week_id, total, score, csat_low, csat_outside in rows["reviews"]:
        expected[labels[week_id]] = (total, score, csat_low, csat_outside)
    for trend in trends:
        shown[trend.label] = (trend.reviews, trend.score, trend.csat_low, trend.csat_outside)
        for criterion in scorecard.criteria:
            got = levels.get((trend.label, criterion.key), {})
            rated = [(total, score) for (_, level), (total, score) in got.items() if level is not None]
            count = sum(total for total, _ in rated)
            expected[(trend.label, criterion.key)] = (
                [got.get((criterion.scale, level.value), (0, 0.0))[0] for level in criterion.levels],
                sum(total for (_, level), (total, _) in got.items() if level is None),
                sum(score for _, score in rated) / count if count else None,
            )
            summary = trend.criteria[criterion.key]
            shown[(trend.label, criterion.key)] = (
                [count for _, count in summary.counts],
                summary.not_applicable,
                summary.score,
            )
    differences = []
    for key in sorted(set(expected) | set(shown), key=str):
        a, b = expected.get(key), shown.get(key)
        if not _same(a, b):
            differences.append(f"{key}: the queries say {a}, the page {b}")
    return differences


def reports_differences(rows: dict[str, list], report, weeks: list, scorecard) -> list[str]:
    from reviews.models import CsatCause

    differences = trends_differences(rows, report.trends, weeks, scorecard)
    ticked = {(key, label): total for key, label, total in rows["causes"]}
    low = dict(rows["low"])
    for group in report.causes:
        key = group.criterion.key
        if group.low_ratings != low.get(key, 0):
            differences.append(f"{key}: {low.get(key, 0)} low ratings by the query, {group.low_ratings} on the page")
        for label, count in group.causes:
            if count != ticked.pop((key, label), 0):
                differences.append(f"{key}, {label!r}: ticked {ticked.get((key, label))} by the query, {count}")
    shown_keys = {group.criterion.key for group in report.causes}
    differences += [f"{key}, {label!r}: ticked, not on the page" for key, label in ticked if key in shown_keys]
    by_cause = dict(rows["csat"])
    shown_csat = dict(report.csat)
    for value, label in CsatCause.choices:
        if by_cause.get(value, 0) != shown_csat.get(label):
            differences.append(f"CSAT {value}: {by_cause.get(value, 0)} by the query, {shown_csat.get(label)}")
    if report.csat_low != sum(by_cause.values()):
        differences.append(f"low CSAT: {sum(by_cause.values())} by the query, {report.csat_low} on the page")
    return differences


def figure_differences(name: str, rows: object, team, weeks: list) -> list[str]:
    """The page's selector, called as its view calls it, against the queries' rows."""
    from reviews import selectors
    from reviews.models import Review

    scorecard = selectors.scorecard_now(team=team)
    assert isinstance(rows, dict)
    if name == "trends":
        trends = selectors.review_trends(
            reviews=Review.objects.filter(assignment__week__team=team), weeks=weeks, scorecard=scorecard
        )
        return trends_differences(rows, trends, weeks, scorecard)
    report = selectors.team_report(team, weeks=weeks, scorecard=scorecard)
    return reports_differences(rows, report, weeks, scorecard)


# --- timing ------------------------------------------------------------------------------
def timed_pair(page, query, repeat: int) -> tuple[list[float], list[float], object]:
    """Both once to warm up, then `repeat` times in turn (so a busy moment hits both); ms."""
    page()
    result = query()
    page_times, query_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        page()
        page_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        result = query()
        query_times.append((time.perf_counter() - started) * 1000)
    return page_times, query_times, result


def fetch_page(client, url: str) -> bytes:
    """The whole body (a streaming one too), as a browser would read it."""
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return body


def page_statements(client, url: str) -> tuple[bytes, list[dict]]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # the log is a bounded deque: a full one would hide what is captured
    with CaptureQueriesContext(connection) as captured:
        body = fetch_page(client, url)
    # Read now: the log is cleared when the next request starts.
    return body, list(captured.captured_queries)


def profile(function, label: str, lines: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    function()
    profiler.disable()
    out = io.StringIO()
    out.write(f"\n--- cProfile: {label} (top {lines} by cumulative time) ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(lines)
    out.write(f"--- cProfile: {label} (top {lines} by own time) ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


def measure_pages(args: argparse.Namespace) -> list[dict]:
    from django.test import Client

    from conversations.models import Team
    from reviews.models import ReviewWeek

    team = Team.objects.get(external_id="bench-team")
    lead = team.leads.get()
    # Not the test environment (no template instrumentation): serve as the app would, on a
    # host the settings allow.
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(lead)

    def week_ids(count: int) -> list[int]:
        ids = list(ReviewWeek.objects.filter(team=team).order_by("-starts_at").values_list("pk", flat=True)[:count])
        return ids[::-1]

    all_weeks = week_ids(52)
    weeks = list(ReviewWeek.objects.filter(pk__in=all_weeks).order_by("starts_at"))
    trends, reports, export = trends_queries(all_weeks), reports_queries(all_weeks), export_queries(all_weeks)
    team_week, team_week_8 = team_week_query(all_weeks), team_week_query(week_ids(8))
    cases = [
        ("Team week ?weeks=52", "team_week", {"weeks": 52}, lambda: run_queries({"rows": team_week})),
        ("Team week (default 8)", "team_week", {}, lambda: run_queries({"rows": team_week_8})),
        ("Trends ?weeks=52", "trends", {"weeks": 52}, lambda: run_queries(trends)),
        ("Reports ?weeks=52", "reports", {"weeks": 52}, lambda: run_queries(reports)),
        ("Reviews CSV ?weeks=52", "export_reviews", {"weeks": 52}, lambda: run_export_queries(export)),
    ]
    return [measure_page(client, team, weeks, case, args) for case in cases]


def measure_page(client, team, weeks: list, case: tuple, args: argparse.Namespace) -> dict:
    """One page against its queries: the page's statements, then both timed in turn."""
    from django.urls import reverse

    from reviews.models import Rating, Review

    label, name, query, reference = case
    url = reverse(f"reviews:{name}", args=[team.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    body, statements = page_statements(client, url)
    if args.show_queries:
        print(f"\n--- queries: {label} ---", file=sys.stderr)
        for entry in statements:
            print(f"{entry['time']:>7}s  {entry['sql'][:600]}", file=sys.stderr)
    page_times, query_times, rows = timed_pair(lambda: fetch_page(client, url), reference, args.repeat)
    if args.profile:
        print(profile(lambda: fetch_page(client, url), label, args.profile), file=sys.stderr)
    result = {
        "page": label,
        "url": url,
        "server_ms": statistics.median(page_times),
        "server_runs_ms": [round(value, 1) for value in page_times],
        "query_ms": statistics.median(query_times),
        "query_runs_ms": [round(value, 1) for value in query_times],
        "query_rows": rows_read(rows),
        "queries": len(statements),
        "bytes": len(body),
    }
    if name in ("trends", "reports"):
        assert isinstance(rows, dict)
        result["ratings_read"] = sum(row[4] for row in rows["ratings"])
        result["differences"] = figure_differences(name, rows, team, weeks)
        # The default eight weeks, for its query count only: more weeks must not mean more queries.
        result["queries_default"] = len(page_statements(client, reverse(f"reviews:{name}", args=[team.pk]))[1])
    if name == "export_reviews":
        assert isinstance(rows, dict)
        text = body.decode("utf-8").removeprefix("\ufeff")
        records = list(csv.reader(io.StringIO(text)))
        header, records = records[0], records[1:]
        level_columns = [header.index(column) for column in CSV_LEVEL_COLUMNS if column in header]
        result["csv_records"] = len(records)
        result["csv_level_columns_missing"] = [column for column in CSV_LEVEL_COLUMNS if column not in header]
        result["csv_ratings"] = sum(1 for record in records for index in level_columns if record[index])
        result["query_read"] = rows
        result["reviews_stored"] = Review.objects.count()
        result["ratings_stored"] = Rating.objects.count()
    return result


# The export's level column of each criterion: its name, slugified.
CSV_LEVEL_COLUMNS = ["quality", "tone", "followed_internal_processes", "product_knowledge"]


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        version = connection.pg_version  # e.g. 160004
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def worker(args: argparse.Namespace) -> None:
    url = database_url(args.worker, sqlite_path=Path(args.sqlite_path), postgres_db=args.postgres_db)
    django_setup(url, static_root=Path(args.static_root) if args.static_root else None)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    expected = expected_counts(args)
    build_seconds = None
    if not (args.reuse and stored_counts() == expected):
        call_command("flush", interactive=False, verbosity=0)
        build_seconds = build(args)
    counts = stored_counts()
    if counts != expected:
        raise SystemExit(f"Built {counts}, expected {expected}.")
    result = {
        "database": args.worker,
        "server_version": database_version(),
        "counts": counts,
        "data": data_counts(),
        "build_seconds": build_seconds,
        "pages": measure_pages(args),
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# --- the parent: one subprocess per database, then a table ---------------------------------
def prepare_database(database: str, args: argparse.Namespace) -> None:
    if database == "sqlite":
        Path(args.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        if not args.reuse:
            sqlite_remove(Path(args.sqlite_path))
        return
    postgres_database_ensure(args.postgres_db, recreate=not args.reuse)


def run_database(database: str, args: argparse.Namespace) -> dict:
    print(
        f"... {database}: {args.agents} agents x {args.weeks} weeks x {args.reviews_per_week} reviews "
        f"= {args.agents * args.weeks * args.reviews_per_week:,} reviews",
        flush=True,
    )
    prepare_database(database, args)
    command = [sys.executable, __file__, "--worker", database]
    for option in ("agents", "weeks", "reviews_per_week", "repeat", "profile", "sqlite_path", "postgres_db"):
        command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    command += ["--static-root", args.static_root] if args.static_root else []
    command += ["--reuse"] if args.reuse else []
    command += ["--show-queries"] if args.show_queries else []
    finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in finished.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if finished.returncode or not lines:
        print(finished.stdout, file=sys.stderr)
        raise SystemExit(f"The {database} run failed (exit {finished.returncode}).")
    return json.loads(lines[-1].removeprefix(RESULT_PREFIX))


def print_table(results: list[dict], repeat: int) -> bool:
    all_met = True
    for result in results:
        counts, data = result["counts"], result["data"]
        built = f"built in {result['build_seconds']:.0f} s" if result["build_seconds"] is not None else "reused"
        print()
        print(
            f"{result['database']} ({result['server_version']}): {counts['agents']} agents, {counts['weeks']} weeks, "
            f"{counts['agent_weeks']:,} agent-weeks, {counts['reviews']:,} reviews, {counts['ratings']:,} ratings "
            f"of {counts['criteria']} criteria ({built}); median of {repeat} runs after a warm-up"
        )
        header = (
            f"{'page':<24} {'server ms':>10} {'query ms':>9} {'ratio':>6} {'queries':>8} {'KB':>7}  "
            f"target <= {TARGET_RATIO:g}x"
        )
        print(header)
        print("-" * len(header))
        for page in result["pages"]:
            ratio = page["server_ms"] / page["query_ms"] if page["query_ms"] else float("inf")
            met = ratio <= TARGET_RATIO
            all_met &= met
            print(
                f"{page['page']:<24} {page['server_ms']:>10.1f} {page['query_ms']:>9.1f} {ratio:>6.2f} "
                f"{page['queries']:>8} {page['bytes'] / 1024:>7.0f}  {'met' if met else 'MISSED'}"
            )
        for page in result["pages"]:
            print(f"  {page['page']}: server runs {page['server_runs_ms']} ms, query runs {page['query_runs_ms']} ms")
        print(
            f"  Data: {data['not_applicable']:,} ratings N/A, {data['ticked']:,} root causes ticked, "
            f"{data['csat_causes']:,} reviews with a low-CSAT cause"
        )
        for page in result["pages"]:
            if "differences" in page:
                agree = "agree" if not page["differences"] else f"DIFFER in {len(page['differences'])} places"
                print(
                    f"  {page['page']}: {page['ratings_read']:,} ratings grouped by the queries, "
                    f"{page['query_rows']:,} rows; the page's figures and the queries' {agree}; "
                    f"{page['queries_default']} queries for the default 8 weeks"
                )
        export = next(page for page in result["pages"] if "csv_records" in page)
        read = export["query_read"]
        print(
            f"  Reviews CSV: {export['csv_records']:,} records and {export['csv_ratings']:,} ratings in the file; "
            f"{read['reviews']:,} review rows, {read['ratings']:,} ratings, {read['ticked']:,} root causes ticked "
            f"and {read['criteria']} criteria read by the queries; {export['reviews_stored']:,} reviews and "
            f"{export['ratings_stored']:,} ratings stored"
        )
    return all_met


def sanity_problems(results: list[dict], *, smoke: bool) -> list[str]:
    """What says a page is wrong whatever the machine's speed. (A page that does not answer 200,
    or data that does not add up, already stopped the worker.)"""
    problems = []
    for result in results:
        database, counts, data = result["database"], result["counts"], result["data"]
        pages = {page["page"]: page for page in result["pages"]}
        # The pages show the newest 52 weeks at most.
        reviews = counts["reviews"] * min(counts["weeks"], 52) // counts["weeks"]
        ratings = reviews * counts["criteria"]
        export = pages["Reviews CSV ?weeks=52"]
        read = export["query_read"]
        if not export["csv_records"] == read["reviews"] == export["reviews_stored"] == reviews:
            problems.append(
                f"{database}: the CSV has {export['csv_records']} records, the queries read {read['reviews']} review "
                f"rows, {export['reviews_stored']} reviews are stored"
            )
        if not export["csv_ratings"] == read["ratings"] == ratings:
            problems.append(
                f"{database}: the CSV has {export['csv_ratings']} ratings, the queries read {read['ratings']}, "
                f"{ratings} are stored in the weeks"
            )
        if read["ticked"] != data["ticked"] or read["criteria"] != counts["criteria"]:
            problems.append(
                f"{database}: the export's queries read {read['ticked']} root causes ticked of {data['ticked']} and "
                f"{read['criteria']} criteria of {counts['criteria']}"
            )
        if export["csv_level_columns_missing"]:
            problems.append(f"{database}: the CSV has no column {export['csv_level_columns_missing']}")
        team_week = pages["Team week ?weeks=52"]
        if team_week["query_rows"] != counts["agent_weeks"] * min(counts["weeks"], 52) // counts["weeks"]:
            problems.append(f"{database}: the team week query read {team_week['query_rows']} rows")
        # The team week page reads every week shown at once: more weeks must not mean more queries.
        many, default = pages["Team week ?weeks=52"]["queries"], pages["Team week (default 8)"]["queries"]
        if many != default:
            problems.append(f"{database}: the team week page ran {many} queries for 52 weeks, {default} for 8")
        for label in ("Trends ?weeks=52", "Reports ?weeks=52"):
            page = pages[label]
            if page["ratings_read"] != ratings:
                problems.append(f"{database}: {label}: the queries grouped {page['ratings_read']} ratings of {ratings}")
            if page["queries"] != page["queries_default"]:
                problems.append(
                    f"{database}: {label} ran {page['queries']} queries, {page['queries_default']} for 8 weeks"
                )
            problems += [f"{database}: {label}: {difference}" for difference in page["differences"][:10]]
        problems += [
            f"{database}: {page['page']} timed {page['server_ms']} ms, its query {page['query_ms']} ms"
            for page in pages.values()
            if not (page["server_ms"] > 0 and page["query_ms"] > 0)
        ]
        if smoke:
            # The smoke data must take the pages' every path: N/A, root causes, CSAT causes.
            problems += [f"{database}: the data has no {name}" for name, count in data.items() if not count]
    return problems


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--reviews-per-week", type=int, default=5, help="quota (= required) per agent and week")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each page and query; the median is shown")
    parser.add_argument("--reuse", action="store_true", help="reuse the database when it holds the same data")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file under var/bench/ afterwards")
    parser.add_argument("--profile", type=int, default=0, metavar="LINES", help="cProfile each page (stderr)")
    parser.add_argument("--show-queries", action="store_true", help="list each page's statements (stderr)")
    parser.add_argument(
        "--smoke", action="store_true", help=f"seconds, not minutes: {SMOKE_SIZES}; checks the figures, not the target"
    )
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--sqlite-path", default=str(SQLITE_PATH), help=argparse.SUPPRESS)
    parser.add_argument("--postgres-db", default=POSTGRES_DB, help=argparse.SUPPRESS)
    parser.add_argument("--static-root", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke and not args.worker:
        # Smoke sizes replace the defaults; options given on the command line still win.
        parser.set_defaults(**SMOKE_SIZES)
        args = parser.parse_args()
    if args.reviews_per_week >= args.agents:
        parser.error("--reviews-per-week must be below --agents (nobody reviews themselves)")
    if args.smoke and (args.reuse or args.keep):
        parser.error("a smoke run keeps nothing: --reuse and --keep do not apply")
    return args


def main() -> int:
    args = parse_args()
    if args.worker:
        worker(args)
        return 0
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    scratch = None
    if args.smoke:
        scratch = smoke_dir("dashboard")
        args.sqlite_path, args.static_root = str(scratch / "dashboard.sqlite3"), str(scratch / "static")
        args.postgres_db = smoke_postgres_name(POSTGRES_DB)
    if "postgres" in databases and (missing := postgres_missing()):
        print(f"bench/dashboard.py needs PostgreSQL for --database {args.database}: {missing}.", file=sys.stderr)
        return EXIT_MISSING
    try:
        results = [run_database(database, args) for database in databases]
    finally:
        if "sqlite" in databases and not (args.keep or args.reuse):
            sqlite_remove(Path(args.sqlite_path))
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
            if "postgres" in databases:
                postgres_database_drop(args.postgres_db)
    all_met = print_table(results, args.repeat)
    print()
    problems = sanity_problems(results, smoke=args.smoke)
    for problem in problems:
        print(f"{'SMOKE FAILED' if args.smoke else 'WRONG FIGURE'}: {problem}")
    if not args.smoke:
        print("Every page within the target." if all_met else "Some pages missed the target (see above).")
        return 0 if all_met and not problems else 1
    if not problems:
        print("Smoke run: the figures are sane (the target is for full-size runs and is not checked).")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
