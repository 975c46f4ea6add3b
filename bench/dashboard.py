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
def expected_counts(args: argparse.Namespace) -> dict[str, int]:
    reviews = args.agents * args.weeks * args.reviews_per_week
    return {"agents": args.agents, "weeks": args.weeks, "agent_weeks": args.agents * args.weeks, "reviews": reviews}


def stored_counts() -> dict[str, int]:
    from conversations.models import Agent
    from reviews.models import AgentWeek, Review, ReviewWeek

    return {
        "agents": Agent.objects.count(),
        "weeks": ReviewWeek.objects.count(),
        "agent_weeks": AgentWeek.objects.count(),
        "reviews": Review.objects.count(),
    }


def build(args: argparse.Namespace) -> float:
    """The team's year, inserted week by week; returns the seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    rng = random.Random(20261123)
    team, agents, rubric = build_team(args, rng)
    for index in range(args.weeks):
        build_week(index, args=args, team=team, agents=agents, rubric=rubric, rng=rng)
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a load in production: planner statistics and a
        # visibility map (index-only scans).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def build_team(args: argparse.Namespace, rng: random.Random) -> tuple:
    """The team, its settings, a lead, the agents (each with a user), the rubric and two sync runs."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from conversations.models import Agent, SyncRun, Team
    from reviews.models import Rubric, TeamSettings

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
            ]
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
            ]
        )
        rubric = Rubric.objects.create(team=team, version=1, created_by=lead)
        SyncRun.objects.create(
            source="intercom", status="succeeded", kept=2400, excluded_counts={"short": 31, "spam_tag": 4}
        )
        SyncRun.objects.create(source="intercom", status="failed", error_text="Intercom answered HTTP 503.")
    return team, agents, rubric


def build_week(index: int, *, args: argparse.Namespace, team, agents: list, rubric, rng: random.Random) -> None:
    """One ReviewWeek: an AgentWeek per agent, and R completed assignments each, reviewed."""
    from django.db import transaction

    from reviews.models import AgentWeek, Assignment, Review, ReviewWeek, week_label

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
            [AgentWeek(week=week, agent=agent, quota=per_week, required=per_week) for agent in agents]
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
        assignments = Assignment.objects.bulk_create(assignments)
        Review.objects.bulk_create([week_review(assignment, rubric, rng) for assignment in assignments])


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
    return Conversation.objects.bulk_create(conversations)


def week_review(assignment, rubric, rng: random.Random):
    from reviews.models import Review

    return Review(
        assignment=assignment,
        conversation=assignment.conversation,
        reviewer=assignment.reviewer,
        reviewee=assignment.reviewee,
        rubric=rubric,
        quality=rng.choice([1, 2, 2, 2, 3, 3]),
        quality_note=rng.choice(NOTES),
        tone=rng.choice([1, 2, 2, 3, 3, 3]),
        tone_note=rng.choice(NOTES),
        followed_process=rng.random() < 0.85,
        process_note=rng.choice(NOTES),
        created_at=assignment.completed_at,
        updated_at=assignment.completed_at,
        seen_at=assignment.completed_at + timedelta(hours=3) if rng.random() < 0.7 else None,
    )


# --- the single queries each page needs, on a cursor ---------------------------------------
def _tables() -> dict[str, str]:
    from conversations.models import Agent, Conversation, Team
    from reviews.models import AgentWeek, Assignment, Review, ReviewComment, ReviewWeek, Rubric

    models = {
        "agent": Agent,
        "conversation": Conversation,
        "agentweek": AgentWeek,
        "assignment": Assignment,
        "review": Review,
        "reviewcomment": ReviewComment,
        "rubric": Rubric,
        "team": Team,
        "week": ReviewWeek,
    }
    return {key: model._meta.db_table for key, model in models.items()}


def _placeholders(values: list) -> str:
    return ", ".join(["%s"] * len(values))


def team_week_query(week_ids: list[int]) -> tuple[str, list]:
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


def trends_query(team_id: int, week_ids: list[int]) -> tuple[str, list]:
    t = _tables()
    levels = ", ".join(
        f"COUNT(CASE WHEN r.{criterion} = {level} THEN 1 END)"
        for criterion in ("quality", "tone")
        for level in (1, 2, 3)
    )
    sql = f"""
        SELECT a.week_id, COUNT(r.id), {levels}, COUNT(CASE WHEN r.followed_process THEN 1 END)
        FROM {t["review"]} r
        JOIN {t["assignment"]} a ON a.id = r.assignment_id
        JOIN {t["agent"]} g ON g.id = r.reviewee_id
        WHERE g.team_id = %s AND a.week_id IN ({_placeholders(week_ids)})
        GROUP BY a.week_id
    """
    return sql, [team_id, *week_ids]


def export_query(week_ids: list[int]) -> tuple[str, list]:
    t = _tables()
    sql = f"""
        SELECT tm.name, w.label, r.id, r.created_at, c.id, c.subject, c.source, c.external_id, c.url,
               c.csat_rating, c.tags, rv.name, re.name, rb.version, r.quality, r.tone, r.followed_process,
               r.quality_note, r.tone_note, r.process_note, r.share_as_example, r.unshared_at IS NOT NULL,
               r.seen_at IS NOT NULL,
               (SELECT COUNT(*) FROM {t["reviewcomment"]} rc WHERE rc.review_id = r.id)
        FROM {t["review"]} r
        JOIN {t["assignment"]} a ON a.id = r.assignment_id
        JOIN {t["week"]} w ON w.id = a.week_id
        JOIN {t["team"]} tm ON tm.id = w.team_id
        JOIN {t["conversation"]} c ON c.id = r.conversation_id
        JOIN {t["agent"]} rv ON rv.id = r.reviewer_id
        JOIN {t["agent"]} re ON re.id = r.reviewee_id
        LEFT JOIN {t["rubric"]} rb ON rb.id = r.rubric_id
        WHERE a.week_id IN ({_placeholders(week_ids)})
        ORDER BY w.starts_at, r.created_at, r.id
    """
    return sql, list(week_ids)


def run_query(sql: str, params: list) -> int:
    from django.db import connection

    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(2000):
            rows += len(batch)
    return rows


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
    cases = [
        ("Team week ?weeks=52", "team_week", {"weeks": 52}, team_week_query(all_weeks)),
        ("Team week (default 8)", "team_week", {}, team_week_query(week_ids(8))),
        ("Trends ?weeks=52", "trends", {"weeks": 52}, trends_query(team.pk, all_weeks)),
        ("Reviews CSV ?weeks=52", "export_reviews", {"weeks": 52}, export_query(all_weeks)),
    ]
    return [measure_page(client, team, case, args) for case in cases]


def measure_page(client, team, case: tuple, args: argparse.Namespace) -> dict:
    """One page against its query: the page's statements, then both timed in turn."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from reviews.models import Review

    label, name, query, (sql, params) = case
    url = reverse(f"reviews:{name}", args=[team.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    reset_queries()  # the log is a bounded deque: a full one would hide what is captured
    with CaptureQueriesContext(connection) as captured:
        body = fetch_page(client, url)
    # Read now: the log is cleared when the next request starts.
    statements = list(captured.captured_queries)
    if args.show_queries:
        print(f"\n--- queries: {label} ---", file=sys.stderr)
        for entry in statements:
            print(f"{entry['time']:>7}s  {entry['sql'][:600]}", file=sys.stderr)
    page_times, query_times, rows = timed_pair(
        lambda: fetch_page(client, url), lambda: run_query(sql, params), args.repeat
    )
    if args.profile:
        print(profile(lambda: fetch_page(client, url), label, args.profile), file=sys.stderr)
    result = {
        "page": label,
        "url": url,
        "server_ms": statistics.median(page_times),
        "server_runs_ms": [round(value, 1) for value in page_times],
        "query_ms": statistics.median(query_times),
        "query_runs_ms": [round(value, 1) for value in query_times],
        "query_rows": rows,
        "queries": len(statements),
        "bytes": len(body),
    }
    if name == "export_reviews":
        text = body.decode("utf-8").removeprefix("\ufeff")
        result["csv_records"] = sum(1 for _ in csv.reader(io.StringIO(text))) - 1  # less the header
        result["reviews_stored"] = Review.objects.count()
    return result


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
        counts = result["counts"]
        built = f"built in {result['build_seconds']:.0f} s" if result["build_seconds"] is not None else "reused"
        print()
        print(
            f"{result['database']} ({result['server_version']}): {counts['agents']} agents, {counts['weeks']} weeks, "
            f"{counts['agent_weeks']:,} agent-weeks, {counts['reviews']:,} reviews ({built}); "
            f"median of {repeat} runs after a warm-up"
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
        export = next(page for page in result["pages"] if "csv_records" in page)
        print(
            f"  Reviews CSV: {export['csv_records']:,} records in the file, {export['query_rows']:,} rows read by "
            f"the query, {export['reviews_stored']:,} reviews stored"
        )
    return all_met


def smoke_problems(results: list[dict]) -> list[str]:
    """What says a page is wrong whatever the machine's speed. (A page that does not answer 200,
    or data that does not add up, already stopped the worker.)"""
    problems = []
    for result in results:
        database, counts = result["database"], result["counts"]
        pages = {page["page"]: page for page in result["pages"]}
        export = pages["Reviews CSV ?weeks=52"]
        if not export["csv_records"] == export["query_rows"] == export["reviews_stored"] == counts["reviews"]:
            problems.append(
                f"{database}: the CSV has {export['csv_records']} records, the query read {export['query_rows']} "
                f"rows, {export['reviews_stored']} reviews are stored"
            )
        if pages["Team week ?weeks=52"]["query_rows"] != counts["agent_weeks"]:
            problems.append(f"{database}: the team week query read {pages['Team week ?weeks=52']['query_rows']} rows")
        # The team week page reads every week shown at once: more weeks must not mean more queries.
        many, default = pages["Team week ?weeks=52"]["queries"], pages["Team week (default 8)"]["queries"]
        if many != default:
            problems.append(f"{database}: the team week page ran {many} queries for 52 weeks, {default} for 8")
        problems += [
            f"{database}: {page['page']} timed {page['server_ms']} ms, its query {page['query_ms']} ms"
            for page in pages.values()
            if not (page["server_ms"] > 0 and page["query_ms"] > 0)
        ]
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
    if not args.smoke:
        print("Every page within the target." if all_met else "Some pages missed the target (see above).")
        return 0 if all_met else 1
    problems = smoke_problems(results)
    for problem in problems:
        print(f"SMOKE FAILED: {problem}")
    if not problems:
        print("Smoke run: the figures are sane (the target is for full-size runs and is not checked).")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
