"""How fast beat makes every team's weekly batches, and how its query count scales.

    .venv/bin/python bench/assign.py                                  # both databases, full size
    .venv/bin/python bench/assign.py --database sqlite --teams 20 --agents 400 --conversations 40000
    .venv/bin/python bench/assign.py --smoke                          # seconds: the checks at toy sizes

``due_weeks_assign(now=Monday 09:00 UTC)`` is timed on a database holding N teams (each with
its TeamSettings row and one lead), agents spread evenly over the teams (each linked to a
Django user) and conversations that are all eligible for the week: reviewable, closed in
the 7 days before the week starts, handled by an agent of the team, CSAT None or 1..5.
Each team also has last week's batch (a ReviewWeek with one completed assignment per
reviewer and reviewee pair it made, of conversations closed 8-13 days before), so the
"avoid last week's pairs" path runs as it does every week after the first.

Three sizes are measured, the database flushed and rebuilt for each:

    teams/10, agents/10, conversations/10    -> the baseline
    teams/10, agents/5,  conversations/5     -> twice the agents and conversations per team
    teams,    agents,    conversations       -> ten times the teams (the full size)

At each size due_weeks_assign runs --repeat times (this week's ReviewWeeks are deleted in
between, so each run does the whole job) and the median is reported. Statements other than
INSERT must stay the same from the first size to the second and grow with teams to the third;
the INSERTs must be exactly the batches bulk_create needs (on SQLite Django 5.2 caps a
statement at 999 parameters: 83 assignments). Second opinions run at the default 10%, and
one agent in twenty (5%) is a new hire on the onboarding ramp. Target: the full size under 5 s.
Last, allocate() alone is timed for one team of 20, 200 and 2,000 agents: near-linear.

--smoke runs the same checks at toy sizes (4 teams, 40 agents, 2,000 conversations; two
runs each; allocate() for 20 and 200 agents) in well under a minute, for scripts/test: on
SQLite, or on PostgreSQL when DATABASE_URL is a postgres:// URL (--database overrides).

Each run gets a fresh database, flushed per size and removed afterwards (--keep keeps it):
SQLite in var/bench/assign.sqlite3 (assign-smoke.sqlite3 for --smoke); PostgreSQL on
DATABASE_URL's server when that is a postgres:// URL, in a database named after its own plus
_bench_assign (one per checkout, so two checkouts never flush each other's), else
carousel_bench_assign on 127.0.0.1:5432; --smoke adds _smoke to the name.
The exit status is 0 only when every check passes.

Django settings can be configured once per process, so each database runs in a fresh
subprocess of this script (``--worker``); its figures come back as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from common import BENCH_DIR, POSTGRES_SERVER, ROOT, django_setup

POSTGRES_DB = "carousel_bench_assign"
RESULT_PREFIX = "ASSIGN-RESULT "

TARGET_SECONDS = 5.0
# Monday 2026-11-23 09:00 UTC: every team's week (Monday 00:00 UTC, the default) has begun.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK_START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
WEEK_SECONDS = 7 * 24 * 3600
RATINGS = [None, None, 1, 2, 3, 4, 5]
CHUNK = 10_000  # conversations built and inserted at a time
BATCH_SIZE = 2_000
RAMP_EVERY = 20  # 5% of agents started lately
SMOKE = {"teams": 4, "agents": 40, "conversations": 2_000, "repeat": 2, "allocation_team_sizes": (20, 200)}
FULL_ALLOCATION_TEAM_SIZES = (20, 200, 2000)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- inside the worker (Django configured) ---------------------------------------------
def flush() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def build(*, teams: int, agents: int, conversations: int, seed: int = 1) -> dict:
    """Bulk-create the teams, users, agents, eligible conversations and last week's batches."""
    from django.db import connection, reset_queries, transaction

    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        team_rows, agent_rows = build_people(teams=teams, agents=agents)
        build_eligible_conversations(rng, agent_rows, conversations)
        history = build_last_week(rng, team_rows, agent_rows, first_number=conversations)
    if connection.vendor == "postgresql":
        # Autovacuum would analyse tables this size soon after a load; do it now so the
        # planner sees the same statistics as in production.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    reset_queries()
    return {"build_seconds": time.perf_counter() - started, "history_assignments": history}


def build_people(*, teams: int, agents: int) -> tuple[list, list]:
    """Teams with their settings, one user and agent per teammate, the first of each team its lead."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from conversations.models import Agent, Team
    from reviews.models import TeamSettings

    user_model = get_user_model()
    unusable = make_password(None)  # one hash for everyone: create_user would hash 2,000 times
    team_rows = Team.objects.bulk_create(
        [Team(name=f"Team {t:03d}", source="file", external_id=f"team-{t}") for t in range(teams)]
    )
    TeamSettings.objects.bulk_create([TeamSettings(team=team) for team in team_rows])
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"agent{a}@bench.example", email=f"agent{a}@bench.example", password=unusable)
            for a in range(agents)
        ],
        batch_size=BATCH_SIZE,
    )
    # Agents are spread evenly: team t holds a contiguous run of agents.
    agent_rows = Agent.objects.bulk_create(
        [
            Agent(
                source="file",
                external_id=f"agent-{a}",
                name=f"Agent {a:05d}",
                email=users[a].email,
                team=team_rows[a * teams // agents],
                user=users[a],
                # One agent in twenty is a new hire on the onboarding ramp (weeks 0 to 3 of 4).
                started_on=WEEK_START.date() - timedelta(weeks=a // RAMP_EVERY % 4) if a % RAMP_EVERY == 1 else None,
            )
            for a in range(agents)
        ],
        batch_size=BATCH_SIZE,
    )
    assert all(agent.pk for agent in agent_rows), "bulk_create did not return primary keys"
    leads = {}
    for agent in agent_rows:
        leads.setdefault(agent.team_id, agent)
    # Leads do not review by default.
    Team.leads.through.objects.bulk_create(
        [Team.leads.through(team_id=team.pk, user_id=leads[team.pk].user_id) for team in team_rows]
    )
    return team_rows, agent_rows


def conversation(number: int, agent, closed_at: datetime, rating: int | None):
    from conversations.models import Conversation

    return Conversation(
        source="file",
        external_id=f"c-{number}",
        subject=f"Conversation {number}",
        team_id=agent.team_id,
        assignee=agent,
        state="closed",
        created_at=closed_at - timedelta(hours=1),
        updated_at=closed_at,
        closed_at=closed_at,
        csat_rating=rating,
        customer_message_count=3,
        agent_message_count=3,
        customer_word_count=40,
        agent_word_count=60,
        synced_at=NOW,
    )


def build_eligible_conversations(rng: random.Random, agent_rows: list, conversations: int) -> None:
    """Conversations closed in the week before this one, dealt round the agents."""
    from django.db import reset_queries

    from conversations.models import Conversation

    for start in range(0, conversations, CHUNK):
        Conversation.objects.bulk_create(
            [
                conversation(
                    number,
                    agent_rows[number % len(agent_rows)],
                    WEEK_START - timedelta(seconds=rng.randrange(1, WEEK_SECONDS)),
                    rng.choice(RATINGS),
                )
                for number in range(start, min(start + CHUNK, conversations))
            ],
            batch_size=BATCH_SIZE,
        )
        reset_queries()  # DEBUG keeps every statement; the inserts are big


def build_last_week(rng: random.Random, team_rows: list, agent_rows: list, *, first_number: int) -> int:
    """Last week's batches: reviewer i of a team reviewed teammates i+2..i+6 (one each), done."""
    from conversations.models import Conversation
    from reviews.models import Assignment, ReviewWeek, week_label

    members: dict[int, list] = {}
    for agent in agent_rows:
        members.setdefault(agent.team_id, []).append(agent)
    last_start = WEEK_START - timedelta(days=7)
    weeks = ReviewWeek.objects.bulk_create(
        [
            ReviewWeek(
                team=team,
                label=week_label(last_start),
                starts_at=last_start,
                ends_at=WEEK_START,
                seed=t,
                lookback_days_used=7,
                assigned_at=last_start + timedelta(hours=9),
            )
            for t, team in enumerate(team_rows)
        ]
    )
    pairs = []
    for week in weeks:
        team_agents = members.get(week.team_id, [])
        reviewers = team_agents[1:]  # not the lead
        for index, reviewer in enumerate(reviewers):
            for step in range(1, min(5, len(team_agents) - 1) + 1):
                reviewee = team_agents[(index + 1 + step) % len(team_agents)]
                if reviewee.pk != reviewer.pk:
                    pairs.append((week, reviewer, reviewee))
    old = Conversation.objects.bulk_create(
        [
            conversation(
                first_number + n,
                reviewee,
                WEEK_START - timedelta(days=8) - timedelta(seconds=rng.randrange(0, 5 * 24 * 3600)),
                rng.choice(RATINGS),
            )
            for n, (_, _, reviewee) in enumerate(pairs)
        ],
        batch_size=BATCH_SIZE,
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                week=week,
                reviewer=reviewer,
                reviewee=reviewee,
                conversation=done,
                status=Assignment.Status.COMPLETED,
                created_at=last_start + timedelta(hours=9),
                completed_at=last_start + timedelta(days=2),
            )
            for (week, reviewer, reviewee), done in zip(pairs, old, strict=True)
        ],
        batch_size=BATCH_SIZE,
    )
    return len(pairs)


def shape(sql: str) -> str:
    """A statement with its literals blanked, to group the same query across teams."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"\((\?,\s*)+\?\)", "(?…)", sql)
    sql = re.sub(r"(\(\?…\),\s*)+\(\?…\)", "(?…)…", sql)
    return sql[:160]


def insert_rows_per_statement(model) -> int | None:
    """How many rows Django puts in one INSERT of this model; None when unlimited."""
    from django.db import connection

    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    unlimited = 1_000_000
    size = connection.ops.bulk_batch_size(fields, [None] * unlimited)
    return None if size >= unlimited else size


def insert_statements(model, rows: int) -> int:
    size = insert_rows_per_statement(model)
    return 0 if not rows else 1 if size is None else math.ceil(rows / size)


def timed_runs(*, repeat: int, profile: bool) -> dict:
    """due_weeks_assign `repeat` times from scratch: timings, statements, the last run's weeks.

    Between runs this week's ReviewWeeks (and with them their assignments and agent weeks)
    are deleted, so every run does the same work.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews.models import ReviewWeek
    from reviews.services import due_weeks_assign

    timings, cpu_timings, counts = [], [], []
    for attempt in range(repeat):
        if attempt:
            ReviewWeek.objects.filter(starts_at=WEEK_START).delete()
        profiler = None
        if profile and not attempt:
            import cProfile

            profiler = cProfile.Profile()
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            weeks = due_weeks_assign(now=NOW)
            if profiler:
                profiler.disable()
            timings.append(time.perf_counter() - started)
            cpu_timings.append(time.process_time() - cpu_started)
        counts.append(len(captured.captured_queries))
        if profiler:
            import io
            import pstats

            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
            log(out.getvalue())
    return {
        "timings": timings,
        "cpu_timings": cpu_timings,
        "counts": counts,
        "statements": [query["sql"] for query in captured.captured_queries],
        "weeks": weeks,
    }


def run_figures(runs: dict, teams: int) -> dict:
    """What the last run did: statements by kind, the INSERTs it had to make, short reviewers."""
    from conversations.models import Agent
    from reviews.models import AgentWeek, Assignment

    weeks, statements, timings = runs["weeks"], runs["statements"], runs["timings"]
    queries = len(statements)
    this_week = Assignment.objects.filter(week__in=weeks)
    agent_weeks = AgentWeek.objects.filter(week__in=weeks)
    quotas = list(agent_weeks.values_list("required", "quota"))
    required = sorted(r for r, _ in quotas)
    received = Counter(this_week.values_list("reviewee_id", flat=True))
    ramped = set(Agent.objects.filter(started_on__isnull=False).values_list("pk", flat=True))

    def mean_received(pks: set[int]) -> float:
        return sum(received[pk] for pk in pks) / len(pks) if pks else 0.0

    kinds = Counter(sql.split(None, 1)[0].upper() for sql in statements)
    # The INSERTs bulk_create must send: one per ReviewWeek, and each week's assignments and
    # agent weeks in as many statements as the backend's parameter limit requires.
    per_week = Counter(this_week.values_list("week_id", flat=True))
    people = Counter(agent_weeks.values_list("week_id", flat=True))
    expected_inserts = len(weeks) + sum(
        insert_statements(Assignment, per_week[week.pk]) + insert_statements(AgentWeek, people[week.pk])
        for week in weeks
    )
    return {
        "seconds": statistics.median(timings),
        "best_seconds": min(timings),
        "timings": timings,
        "cpu_seconds": statistics.median(runs["cpu_timings"]),
        "query_counts": runs["counts"],
        "queries": queries,
        "inserts": kinds.get("INSERT", 0),
        "expected_inserts": expected_inserts,
        "assignment_rows_per_insert": insert_rows_per_statement(Assignment),
        "other_queries": queries - kinds.get("INSERT", 0),
        "queries_per_team": queries / teams,
        "weeks": len(weeks),
        "assignments": this_week.count(),
        "reviewers": len(required),
        # Short of what the team asks of them (the ramp asks less of new hires).
        "short_reviewers": sum(1 for r, quota in quotas if r < quota),
        "second_opinions": this_week.filter(role="second").count(),
        "ramped_received": mean_received(ramped),
        "others_received": mean_received(set(received) - ramped),
        "query_kinds": dict(kinds.most_common()),
    }


def measure(*, teams: int, agents: int, conversations: int, repeat: int, profile: bool, show_queries: bool) -> dict:
    flush()
    figures: dict = {"teams": teams, "agents": agents, "conversations": conversations, "profiled": profile}
    figures.update(build(teams=teams, agents=agents, conversations=conversations))
    log(f"  built {teams} teams, {agents} agents, {conversations} conversations in {figures['build_seconds']:.1f} s")
    runs = timed_runs(repeat=repeat, profile=profile)
    figures.update(run_figures(runs, teams))
    if show_queries:
        shapes = Counter(shape(sql) for sql in runs["statements"])
        log(f"  {len(shapes)} statement shapes, most frequent first:")
        for sql, count in shapes.most_common():
            log(f"  {count:6d}  {sql}")
    log(
        f"  assigned in {', '.join(f'{t:.2f}' for t in figures['timings'])} s with {figures['queries']} queries "
        f"({figures['queries_per_team']:.1f} a team), {figures['assignments']} assignments"
    )
    return figures


def worker(args: argparse.Namespace) -> None:
    django_setup(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    results = []
    sizes = json.loads(args.sizes)
    for number, (teams, agents, conversations) in enumerate(sizes, start=1):
        log(f"[{args.worker}] size {number}/{len(sizes)}")
        last = number == len(sizes)
        results.append(
            measure(
                teams=teams,
                agents=agents,
                conversations=conversations,
                repeat=args.repeat,
                profile=args.profile and last,
                show_queries=args.show_queries and last,
            )
        )
    results_meta = {"database": args.worker, "vendor": connection.vendor, "server": server_version(connection)}
    print(RESULT_PREFIX + json.dumps({**results_meta, "runs": results}), flush=True)


def server_version(connection) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


# --- the parent --------------------------------------------------------------------------
def sqlite_path(smoke: bool) -> Path:
    return BENCH_DIR / ("assign-smoke.sqlite3" if smoke else "assign.sqlite3")


def sqlite_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm")]


def postgres_target(smoke: bool) -> tuple[str, str]:
    """(server, database) of the PostgreSQL run: beside DATABASE_URL's database when it names one."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        server, name = f"{parts.scheme}://{parts.netloc}", f"{parts.path.strip('/') or 'carousel'}_bench_assign"
    else:
        server, name = POSTGRES_SERVER, POSTGRES_DB
    return server, f"{name}_smoke" if smoke else name


def postgres_database(server: str, name: str, *, create: bool) -> None:
    """Drop the database if it is there (a stale one may hold another branch's schema), then
    create it afresh unless create=False."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')


def database_prepare(database: str, args: argparse.Namespace) -> tuple[str, Callable[[], None]]:
    """A fresh database for the worker: its URL, and what removes it afterwards (unless --keep)."""
    if database == "sqlite":
        files = sqlite_files(sqlite_path(args.smoke))

        def remove() -> None:
            for path in files:
                path.unlink(missing_ok=True)

        remove()
        url = f"sqlite:///{files[0]}"
    else:
        server, name = postgres_target(args.smoke)

        def remove() -> None:
            postgres_database(server, name, create=False)

        postgres_database(server, name, create=True)
        url = f"{server}/{name}"
    return url, (lambda: None) if args.keep else remove


def run_database(database: str, sizes: list[tuple[int, int, int]], args: argparse.Namespace) -> dict:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url, remove = database_prepare(database, args)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", database, "--database-url", url]
    command += ["--sizes", json.dumps(sizes), "--repeat", str(args.repeat)]
    if args.profile:
        command.append("--profile")
    if args.show_queries:
        command.append("--show-queries")
    try:
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    finally:
        remove()
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise SystemExit(f"The {database} worker failed (exit {done.returncode}); its output is above.")


def sizes_for(args: argparse.Namespace) -> list[tuple[int, int, int]]:
    full = (args.teams, args.agents, args.conversations)
    base = (max(1, args.teams // 10), max(1, args.agents // 10), max(1, args.conversations // 10))
    double = (base[0], base[1] * 2, base[2] * 2)
    return [base, double, full]


def allocation_scaling(team_sizes: tuple[int, ...], *, repeat: int, per_agent: int = 100) -> list[dict]:
    """allocate() alone (no database) for one team of each size, the best of `repeat` runs:
    its work must stay near-linear."""
    from reviews.allocation import Candidate, Mix, allocate

    figures = []
    for agents in team_sizes:
        rng = random.Random(agents)
        candidates = [
            Candidate(agent * 1000 + n, agent, rng.choice(RATINGS)) for agent in range(agents) for n in range(per_agent)
        ]
        needs = {agent: 5 for agent in range(1, agents)}  # agent 0 is the lead
        last_week = {(r, (r + step) % agents) for r in needs for step in range(2, 7) if (r + step) % agents != r}
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            batches = allocate(
                needs=needs, candidates=candidates, previous_pairs=last_week, mix=Mix(), rng=random.Random(7)
            )
            timings.append(time.perf_counter() - started)
        figures.append(
            {
                "agents": agents,
                "candidates": len(candidates),
                "assignments": sum(len(batch) for batch in batches.values()),
                "seconds": min(timings),
            }
        )
    return figures


def database_rows(result: dict) -> list[str]:
    return [
        f"{result['database']:<10} {run['teams']:>5} {run['agents']:>6} {run['conversations']:>7} "
        f"{run['build_seconds']:>7.1f} {run['seconds']:>8.2f} {run['best_seconds']:>6.2f} "
        f"{run['cpu_seconds']:>5.2f} {run['queries']:>7} "
        f"{run['queries_per_team']:>6.1f} {run['inserts']:>7} {run['other_queries']:>6} "
        f"{run['assignments']:>8} {run['short_reviewers']:>5}"
        for run in result["runs"]
    ]


def database_checks(result: dict) -> tuple[bool, list[str]]:
    """Whether one database's runs pass every check, and the notes that say so."""
    runs = result["runs"]
    base, double, full = runs
    fast = full["seconds"] < TARGET_SECONDS
    # Statements other than INSERT must not change with agents or conversations, and the
    # INSERTs must be exactly the statements bulk_create has to make for the rows.
    flat = base["other_queries"] == double["other_queries"]
    inserts_exact = all(run["inserts"] == run["expected_inserts"] for run in runs)
    per_team = (full["other_queries"] - base["other_queries"]) / (full["teams"] - base["teams"] or 1)
    fixed = base["other_queries"] - per_team * base["teams"]
    linear = per_team == int(per_team) and 0 <= fixed <= 8
    # 10% of the week's conversations get a second opinion: 10 in 110 reviews.
    second_share = full["second_opinions"] / full["assignments"]
    seconds_right = 0.085 <= second_share <= 0.095
    ramp_right = full["ramped_received"] > full["others_received"] * 1.2
    steady = all(len(set(run["query_counts"])) == 1 for run in runs)
    short = sum(run["short_reviewers"] for run in runs)
    rows = full["assignment_rows_per_insert"]
    batching = "one INSERT per table per team" if rows is None else f"{rows} assignments per INSERT"
    notes = [
        f"{result['server']}:",
        f"  full size: {full['seconds']:.2f} s (median of "
        + ", ".join(f"{t:.2f}" for t in full["timings"])
        + f"), {'meets' if fast else 'MISSES'} the {TARGET_SECONDS:.0f} s target"
        + (" (first run under cProfile)" if full["profiled"] else ""),
        f"  every run sent the same number of queries: {'yes' if steady else 'NO'}",
        f"  2x agents and conversations: queries {base['queries']} -> {double['queries']}; "
        f"statements other than INSERT {base['other_queries']} -> {double['other_queries']} "
        f"({'unchanged' if flat else 'GROW'})",
        f"  INSERTs {'match' if inserts_exact else 'DO NOT match'} bulk_create's batches ({batching}): "
        + ", ".join(f"{run['inserts']}/{run['expected_inserts']}" for run in runs),
        f"  10x teams: statements other than INSERT = {fixed:g} + {per_team:g} a team "
        f"({'linear in teams' if linear else 'NOT linear in teams'})",
        f"  reviewers short of their quota: {short} ({'none' if not short else 'SOME'})",
        f"  second opinions: {full['second_opinions']} of {full['assignments']} reviews ({100 * second_share:.1f}%, "
        f"{'as the 10% setting asks' if seconds_right else 'NOT 10%'})",
        f"  reviews received: {full['ramped_received']:.2f} a new hire on the ramp, {full['others_received']:.2f} "
        f"everyone else ({'more for new hires' if ramp_right else 'NOT more for new hires'})",
        "  full-size statements: " + ", ".join(f"{kind} {count}" for kind, count in full["query_kinds"].items()),
    ]
    return fast and flat and inserts_exact and linear and steady and not short and seconds_right and ramp_right, notes


def allocation_checks(allocation: list[dict]) -> tuple[bool, list[str]]:
    lines = [
        "allocate() alone, one team, 100 conversations an agent, quota 5, last week's pairs (best of the runs):",
        f"{'agents':>7} {'candidates':>10} {'assigned':>8} {'seconds':>8} {'us/assignment':>13}",
    ]
    for row in allocation:
        per = row["seconds"] / max(row["assignments"], 1) * 1e6
        lines.append(
            f"{row['agents']:>7} {row['candidates']:>10} {row['assignments']:>8} {row['seconds']:>8.3f} {per:>13.1f}"
        )
    growth = allocation[-1]["seconds"] / max(allocation[-2]["seconds"], 1e-9)
    near_linear = growth < 25  # 10x the team: about 10x the time; quadratic work would be about 100x
    lines.append(
        f"{allocation[-2]['agents']} -> {allocation[-1]['agents']} agents: {growth:.1f}x the time "
        f"({'near-linear' if near_linear else 'NOT near-linear'})"
    )
    return near_linear, lines


def report(results: list[dict], allocation: list[dict]) -> bool:
    header = (
        f"{'database':<10} {'teams':>5} {'agents':>6} {'convs':>7} {'build s':>7} {'assign s':>8} {'best s':>6} "
        f"{'cpu s':>5} {'queries':>7} {'q/team':>6} {'INSERTs':>7} {'others':>6} {'assigned':>8} {'short':>5}"
    )
    lines = [
        "",
        "due_weeks_assign(now=Monday 2026-11-23 09:00 UTC); assign s = median of the runs, best s = fastest,",
        "cpu s = this process's CPU time (median), queries = statements one run sends",
        header,
        "-" * len(header),
    ]
    ok, notes = True, []
    for result in results:
        lines += database_rows(result)
        passed, said = database_checks(result)
        ok, notes = ok and passed, notes + said
    passed, said = allocation_checks(allocation)
    ok = ok and passed
    lines += ["", *notes, "", *said, ""]
    lines.append("short = reviewers given fewer than their quota (there should be none; the onboarding ramp asks less")
    lines.append("of new hires). Each team also holds last week's batch, whose pairs are avoided; its conversations")
    lines.append("are not among the eligible ones. Second opinions are on, at the default 10%.")
    if any(run["assignment_rows_per_insert"] for result in results for run in result["runs"]):
        lines.append(
            "On SQLite Django 5.2 puts at most 999 parameters in a statement, so each team's assignments go in"
        )
        lines.append("INSERTs of 83 rows: a team of 20 agents needs 2, a team of 40 needs 3. That is bulk_create's")
        lines.append("batching, the same for any number of conversations; everything else is fixed per team.")
    lines.append(f"All checks {'pass' if ok else 'DO NOT pass'}.")
    print("\n".join(lines))
    return ok


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs at each size; the median is reported")
    parser.add_argument("--smoke", action="store_true", help="toy sizes, two runs each: the checks in seconds")
    parser.add_argument("--profile", action="store_true", help="cProfile the full size's first run (slows it)")
    parser.add_argument("--show-queries", action="store_true", help="list the full-size run's statements")
    parser.add_argument("--keep", action="store_true", help="keep the database (var/bench/*.sqlite3 or PostgreSQL's)")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return args
    if args.smoke:
        args.teams, args.agents, args.conversations = SMOKE["teams"], SMOKE["agents"], SMOKE["conversations"]
        args.repeat = SMOKE["repeat"]
    if args.database is None:
        # The smoke follows the database scripts/test is testing; a full run measures both.
        on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
        args.database = ("postgres" if on_postgres else "sqlite") if args.smoke else "both"
    if any(agents < teams * 2 for teams, agents, _ in sizes_for(args)):
        parser.error("every team needs at least two agents, at every size")
    return args


def main() -> None:
    args = arguments()
    if args.worker:
        worker(args)
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    sizes = sizes_for(args)
    results = [run_database(database, sizes, args) for database in databases]
    team_sizes = SMOKE["allocation_team_sizes"] if args.smoke else FULL_ALLOCATION_TEAM_SIZES
    sys.exit(0 if report(results, allocation_scaling(team_sizes, repeat=args.repeat)) else 1)


if __name__ == "__main__":
    main()
